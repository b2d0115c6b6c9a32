package analysis

import (
	"math"
	"slices"
	"strings"

	"github.com/research-cli/research/analysis/text"
)

// Keyphrase candidates are maximal runs of content words inside one clause,
// less the trailing words that cannot head a noun phrase, if 1 to
// maxPhraseLen words remain: no stop word or number anywhere, no one-letter
// word at an edge, and in English no adverb anywhere and a plausible head
// noun at the end.
const (
	maxPhraseLen = 4
	// maxWordBytes is the longest word a keyphrase may hold; longer ones are
	// identifiers, hashes or garbage.
	maxWordBytes = 40
	// setKeep is how many of each article's best phrases feed the set's keyphrases.
	setKeep = 20
)

// Scoring priors, tuned on the Inspec dev split (docs/quality.md).
var (
	titleBoost = 2.5
	posWeight  = 3.0  // first-position prior: 1 + posWeight/(1 + first/posScale)
	posScale   = 20.0 // tokens
	lenPrior   = [maxPhraseLen + 1]float64{0, 0.8, 1.4, 1.5, 1.3}
)

// extends reports whether a neighbouring token could continue a phrase.
func extends(t text.Token, src string, english bool) bool {
	if t.Flags&(text.FlagStop|text.FlagNumeric) != 0 || t.Len > maxWordBytes {
		return false
	}
	return !english || !isAdverb(t.Surface(src))
}

// adverbExceptions are nouns that end like adverbs.
var adverbExceptions = map[string]bool{"family": true, "supply": true, "assembly": true, "anomaly": true,
	"monopoly": true, "butterfly": true, "reply": true, "italy": true, "july": true, "ally": true, "poly": true}

// isAdverb guesses, from its ending, that an English word is an adverb,
// which never belongs in a keyphrase.
func isAdverb(w string) bool {
	n := len(w)
	if n < 5 || w[n-2]|0x20 != 'l' || w[n-1]|0x20 != 'y' {
		return false
	}
	return !adverbExceptions[strings.ToLower(w)]
}

// headNoun guesses whether an English word can end a noun phrase: past
// participles ("proposed"), and adjectives with tell-tale endings ("-ous",
// "-ble", "-ive"), cannot, apart from the nouns that share those endings.
func headNoun(w string) bool {
	if len(w) < 5 {
		return true
	}
	lw := strings.ToLower(w)
	if nounLike[lw] {
		return true
	}
	if strings.HasSuffix(lw, "ed") && !strings.HasSuffix(lw, "eed") {
		return false
	}
	for _, suf := range adjectiveSuffixes {
		if strings.HasSuffix(lw, suf) {
			return false
		}
	}
	return true
}

// pluralLike guesses that an English word is a plural noun or a verb in the
// third person ("layers", "dominates"): either way it ends a noun phrase.
// Noun compounds take singular modifiers ("feed forward layer"), so in "feed
// forward layers cost" or "benchmarks reward models" the word after it is
// most likely a verb, and "dominates inference memory" starts with one.
func pluralLike(w string) bool {
	n := len(w)
	if n < 4 || w[n-1]|0x20 != 's' {
		return false
	}
	lw := strings.ToLower(w)
	for _, suf := range singularS {
		if strings.HasSuffix(lw, suf) {
			return false
		}
	}
	return !invariantS[lw]
}

// singularS end words that are not plurals though they end in s.
var singularS = []string{"ss", "us", "is", "ics", "ous", "'s", "’s"}

// invariantS are nouns ending in s that modify other nouns as they are.
var invariantS = map[string]bool{"news": true, "series": true, "species": true, "means": true, "sales": true, "arms": true,
	"savings": true, "sports": true, "goods": true, "earnings": true, "communications": true, "systems": true,
	"operations": true, "materials": true, "jobs": true, "sciences": true, "services": true, "emissions": true,
	"products": true, "markets": true}

// genericNouns are English nouns too general to be a keyphrase on their own.
var genericNouns = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`paper papers article articles study studies approach approaches method methods
		result results problem problems work works way ways case cases part parts number numbers set sets
		example examples issue issues aspect aspects fact facts kind kinds type types form forms order terms
		term level levels point points thing things lot lots year years today people relationship
		relationships impact impacts application applications development developments technology
		technologies solution solutions`) {
		genericNouns[w] = true
	}
}

// adjectiveSuffixes end words that are mostly adjectives.
var adjectiveSuffixes = []string{"ous", "ble", "bles", "ive"}

// nounLike are nouns among words with adjective endings.
var nounLike = map[string]bool{"table": true, "tables": true, "variable": true, "variables": true,
	"cable": true, "cables": true, "bible": true, "ensemble": true, "ensembles": true, "trouble": true,
	"double": true, "module": true, "modules": true, "objective": true, "derivative": true, "alternative": true,
	"initiative": true, "incentive": true, "perspective": true, "executive": true, "directive": true,
	"narrative": true, "archive": true, "detective": true, "representative": true, "collective": true,
	"relative": true, "native": true, "explosive": true, "adhesive": true, "additive": true, "motive": true,
	"locomotive": true, "primitive": true, "primitives": true, "objectives": true, "derivatives": true,
	"alternatives": true, "initiatives": true, "incentives": true, "perspectives": true, "executives": true,
	"directives": true, "archives": true}

// phrase is a keyphrase candidate in one article.
type phrase struct {
	hash    uint64
	setKey  uint64 // hash of the sorted distinct stems, for de-duplication
	terms   [maxPhraseLen]uint32
	n       int
	tf      int
	first   int // position of the first occurrence, counted in words from the title's start
	field   int // where the first occurrence is, for display
	tok     int
	inTitle bool
	score   float64
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

// hashTerms hashes a term sequence; the length is mixed in so that
// sequences that are prefixes of each other differ.
func hashTerms(ts []uint32) uint64 {
	h := uint64(len(ts)) * 0x9e3779b97f4a7c15
	for _, t := range ts {
		h = mix64(h ^ uint64(t))
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
		src := d.text[f]
		english := d.lang == text.English
		for i := range toks {
			start := toks[i]
			if start.Flags&(text.FlagStop|text.FlagNumeric) != 0 || start.Len < 2 || start.Len > maxWordBytes {
				continue
			}
			if english && isAdverb(start.Surface(src)) {
				continue
			}
			// Only maximal runs of content words are candidates: a rough noun
			// phrase chunker without a tagger. (Scoring sub-phrases too, even
			// weighted down, was no better on Inspec and cost a third of the time.)
			if i > 0 && !start.Is(text.FlagBreak) && extends(toks[i-1], src, english) && !(english && pluralLike(toks[i-1].Surface(src))) {
				continue // not the start of a run
			}
			end := i + 1
			for end < len(toks) && !toks[end].Is(text.FlagBreak) && extends(toks[end], src, english) && !(english && pluralLike(toks[end-1].Surface(src))) {
				end++
			}
			// A noun phrase ends with its head noun: drop trailing words that
			// cannot be one ("the control system described" gives "control
			// system"), the (ADJ|NOUN)* NOUN pattern of the Inspec literature.
			for end > i && (toks[end-1].Len < 2 || (english && !headNoun(toks[end-1].Surface(src)))) {
				end--
			}
			l := end - i
			// Runs longer than maxPhraseLen are lists or garbled text; their
			// trailing words as a phrase scored worse on both Inspec folds.
			if l == 0 || l > maxPhraseLen {
				continue
			}
			if l == 1 && english && genericNouns[strings.ToLower(toks[i].Surface(src))] {
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
			idx[p.hash] = len(out)
			out = append(out, p)
		}
		pos += len(toks)
	}
	return out
}

// score is a candidate's score: the sum of its words' TF-IDF in the article
// (wordScore[term]; so longer phrases of strong words win), times the
// first-position prior, the title boost and the length prior. The phrase's
// own frequency is already in its words' (an extra 1 + a·ln tf factor scored
// worse on both Inspec folds).
func score(wordScore []float64, p *phrase) float64 {
	s := 0.0
	for _, t := range p.seq() {
		s += wordScore[t]
	}
	s *= 1 + posWeight/(1+float64(p.first)/posScale)
	if p.inTitle {
		s *= titleBoost
	}
	s *= lenPrior[p.n]
	return s
}

// topPhrases scores the candidates and returns the best want of them, best
// first (ties by first occurrence), in top[:0]'s storage.
func topPhrases(wordScore []float64, cands []phrase, want int, scratch []float64, top []phrase) ([]phrase, []float64) {
	want = min(max(want, 0), len(cands))
	if want == 0 {
		return top[:0], scratch[:0]
	}
	scratch = scratch[:0]
	for k := range cands {
		cands[k].score = score(wordScore, &cands[k])
		scratch = append(scratch, cands[k].score)
	}
	cut := math.Inf(-1)
	if len(cands) > want {
		cut = kthLargest(scratch, want)
	}
	top = top[:0]
	for _, p := range cands {
		if p.score >= cut {
			top = append(top, p)
		}
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
// first, skipping one with the same stems as a phrase already chosen, one
// contained in a chosen one or containing one, and one sharing most of its
// stems with a chosen one: a list that repeats itself ("block sparse
// attention, block sparse attention layers") reads badly. Keeping both
// "fault" and "fault tolerant control" scored 0.004 better on Inspec F1@10;
// not worth the repetition.
func selectPhrases(cands []phrase, k int) []phrase {
	out := make([]phrase, 0, min(k, len(cands)))
	for i := range cands {
		if len(out) >= k {
			break
		}
		p := &cands[i]
		dup := false
		for j := range out {
			q := &out[j]
			if q.setKey == p.setKey || contains(q, p) || contains(p, q) || sharesMostStems(p, q) {
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

// sharesMostStems reports whether one phrase's distinct stems are all in the
// other's, or more than half of the shorter one's are ("key value cache" and
// "key value heads").
func sharesMostStems(a, b *phrase) bool {
	shared, na, nb := 0, distinctTerms(a), distinctTerms(b)
	for k, t := range a.seq() {
		if slices.Index(a.seq(), t) == k && slices.Contains(b.seq(), t) {
			shared++
		}
	}
	short := min(na, nb)
	return shared == short || 2*shared > short
}

func distinctTerms(p *phrase) int {
	n := 0
	for k, t := range p.seq() {
		if slices.Index(p.seq(), t) == k {
			n++
		}
	}
	return n
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
