package analysis

import (
	"math"
	"slices"
	"strings"

	"github.com/research-cli/research/analysis/text"
)

// Keyphrase candidates: 1 to maxPhraseLen words inside one clause, neither
// first nor last word a stop word or a number, at most one stop word inside.
const (
	maxPhraseLen = 4
	// dfSample is how many articles the phrase document frequencies are
	// counted on; below it they are exact, above it scaled from an even sample
	// so the cost stays linear and bounded.
	dfSample = 2000
	// setKeep is how many of each article's best phrases feed the set's keyphrases.
	setKeep = 20
)

// Scoring priors, tuned on the Inspec dev split (docs/quality.md).
var (
	titleBoost   = 1.5
	posWeight    = 1.0  // first-position prior: 1 + posWeight/(1 + first/posScale)
	posScale     = 20.0 // tokens
	lenPrior     = [maxPhraseLen + 1]float64{0, 1.0, 1.4, 1.5, 1.3}
	innerStopPen = 0.4
)

// phrase is a keyphrase candidate in one article.
type phrase struct {
	hash      uint64
	setKey    uint64 // hash of the sorted distinct stems, for de-duplication
	terms     [maxPhraseLen]uint32
	n         int
	tf        int
	first     int // position of the first occurrence, counted in words from the title's start
	field     int // where the first occurrence is, for display
	tok       int
	inTitle   bool
	innerStop bool
	score     float64
}

func (p *phrase) seq() []uint32 { return p.terms[:p.n] }

// contains reports whether b's terms are a contiguous run of a's.
func contains(a, b *phrase) bool {
	as, bs := a.seq(), b.seq()
	for i := 0; i+len(bs) <= len(as); i++ {
		if slices.Equal(as[i:i+len(bs)], bs) {
			return true
		}
	}
	return false
}

func hashTerms(ts []uint32) uint64 {
	h := uint64(14695981039346656037)
	for _, t := range ts {
		for k := 0; k < 4; k++ {
			h ^= uint64(byte(t >> (8 * k)))
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return h
}

// candidates appends the phrase candidates of d to out, merged by term
// sequence, in order of first occurrence. idx is scratch space reused
// between calls.
func candidates(d *doc, idx map[uint64]int, out []phrase) []phrase {
	clear(idx)
	pos := 0
	for f := range numFields {
		toks := d.toks[f]
		for i := range toks {
			start := toks[i]
			if start.Flags&(text.FlagStop|text.FlagNumeric) != 0 || start.Len < 2 {
				continue
			}
			inner := 0
			for l := 1; l <= maxPhraseLen && i+l <= len(toks); l++ {
				t := toks[i+l-1]
				if l > 1 && t.Is(text.FlagBreak) {
					break
				}
				if t.Is(text.FlagStop) {
					inner++
					if inner > 1 {
						break
					}
					continue
				}
				if t.Is(text.FlagNumeric) || t.Len < 2 {
					continue
				}
				var p phrase
				p.n = l
				for k := range l {
					p.terms[k] = toks[i+k].Term
				}
				p.hash = hashTerms(p.seq())
				if k, ok := idx[p.hash]; ok {
					out[k].tf++
					if f == fieldTitle {
						out[k].inTitle = true
					}
					continue
				}
				p.tf = 1
				p.first = pos + i
				p.field, p.tok = f, i
				p.inTitle = f == fieldTitle
				p.innerStop = inner > 0
				idx[p.hash] = len(out)
				out = append(out, p)
			}
		}
		pos += len(toks)
	}
	return out
}

// phraseStats holds the phrase document frequencies.
type phraseStats struct {
	df    map[uint64]int32
	scale float64 // documents per sampled document
	n     int
}

func samplePhraseDF(c *corpus) *phraseStats {
	n := len(c.docs)
	s := min(n, dfSample)
	sets := make([][]uint64, s)
	idxs := make([]map[uint64]int, numWorkers(s))
	for i := range idxs {
		idxs[i] = make(map[uint64]int, 1024)
	}
	bufs := make([][]phrase, len(idxs))
	parallel(s, func(w, k int) {
		d := &c.docs[k*n/s]
		cands := candidates(d, idxs[w], bufs[w][:0])
		bufs[w] = cands
		hs := make([]uint64, len(cands))
		for j := range cands {
			hs[j] = cands[j].hash
		}
		sets[k] = hs
	})
	ps := &phraseStats{df: make(map[uint64]int32), scale: float64(n) / float64(max(s, 1)), n: n}
	for _, hs := range sets {
		for _, h := range hs {
			ps.df[h]++
		}
	}
	return ps
}

func (ps *phraseStats) idf(h uint64) float64 {
	df := max(float64(ps.df[h])*ps.scale, 1)
	return math.Log(float64(ps.n+1) / df)
}

// prior is a candidate's score without its idf: term frequency, the
// first-position prior, the title boost and the length prior.
func prior(p *phrase) float64 {
	s := float64(p.tf)
	s *= 1 + posWeight/(1+float64(p.first)/posScale)
	if p.inTitle {
		s *= titleBoost
	}
	s *= lenPrior[p.n]
	if p.innerStop {
		s *= innerStopPen
	}
	return s
}

// pruneCandidates is how many of an article's candidates, by prior, are
// scored with their idf: looking up a phrase's document frequency is the
// costliest step, and a phrase far down by prior rarely reaches the top.
const pruneCandidates = 160

// topPhrases scores candidates by TF-IDF times their prior and returns the
// best want of them, best first (ties by first occurrence). Only the
// pruneCandidates best by prior are considered.
func topPhrases(ps *phraseStats, cands []phrase, want int, scratch []float64) ([]phrase, []float64) {
	scratch = scratch[:0]
	for k := range cands {
		cands[k].score = prior(&cands[k])
		scratch = append(scratch, cands[k].score)
	}
	threshold := math.Inf(-1)
	if len(cands) > pruneCandidates {
		threshold = kthLargest(scratch, pruneCandidates)
	}
	var top []phrase
	for k := range cands {
		if cands[k].score >= threshold {
			p := cands[k]
			p.score *= ps.idf(p.hash) + 0.5
			top = append(top, p)
		}
	}
	if len(top) > want {
		scratch = scratch[:0]
		for k := range top {
			scratch = append(scratch, top[k].score)
		}
		cut := kthLargest(scratch, want)
		kept := top[:0]
		for _, p := range top {
			if p.score >= cut {
				kept = append(kept, p)
			}
		}
		top = kept
	}
	slices.SortFunc(top, byScore)
	if len(top) > want {
		top = top[:want]
	}
	return top, scratch
}

// kthLargest returns the k-th largest value of xs (1-based), reordering xs.
func kthLargest(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	target := k - 1
	for lo < hi {
		pivot := xs[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] > pivot {
				i++
			}
			for xs[j] < pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case target <= j:
			hi = j
		case target >= i:
			lo = i
		default:
			return xs[target]
		}
	}
	return xs[target]
}

// byScore orders phrases best first, ties by first occurrence then length.
func byScore(a, b phrase) int {
	if a.score != b.score {
		if a.score > b.score {
			return -1
		}
		return 1
	}
	if a.first != b.first {
		return a.first - b.first
	}
	return a.n - b.n
}

// setKey is the hash of the sorted distinct non-stop stems of a phrase.
func setKey(d *doc, p *phrase) uint64 {
	var ts [maxPhraseLen]uint32
	m := 0
	toks := d.toks[p.field][p.tok : p.tok+p.n]
	for _, t := range toks {
		if !t.Is(text.FlagStop) {
			ts[m] = t.Term
			m++
		}
	}
	s := ts[:m]
	slices.Sort(s)
	return hashTerms(slices.Compact(s))
}

// selectPhrases picks up to k of the candidates, which are sorted best
// first, skipping one with the same stems as a phrase already chosen or
// contained in one (or containing one).
func selectPhrases(cands []phrase, k int) []phrase {
	var out []phrase
	for i := range cands {
		if len(out) >= k {
			break
		}
		p := &cands[i]
		dup := false
		for j := range out {
			q := &out[j]
			if q.setKey == p.setKey || contains(q, p) || contains(p, q) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, *p)
		}
	}
	return out
}

// displayPhrase is the folded surface form of a phrase's first occurrence,
// words joined by single spaces.
func displayPhrase(an *text.Analyzer, d *doc, p *phrase) string {
	toks := d.toks[p.field][p.tok : p.tok+p.n]
	parts := make([]string, len(toks))
	for k, t := range toks {
		parts[k] = an.Fold(t.Surface(d.text[p.field]))
	}
	return strings.Join(parts, " ")
}
