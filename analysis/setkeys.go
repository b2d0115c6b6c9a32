package analysis

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// The set's keyphrases say what the articles share, not what one of them is
// about: a phrase scores by how many relevant articles carry it, not by how
// strongly one article does.
const (
	// setSubLen is the longest sub-phrase of an article's keyphrase that is a
	// candidate for the set: "sparse attention" inside "block sparse
	// attention kernels".
	setSubLen = 3
	// setPool is how many candidates, per keyphrase asked for, are counted
	// in every article.
	setPool = 12
	// setOccurs and setKeyed weigh an article that merely contains a phrase
	// and one that has it (or a longer phrase holding it) among its own
	// keyphrases.
	setOccurs = 0.5
	setKeyed  = 0.5
	// setSingle multiplies the score of a phrase only one article carries
	// when that article is a small share of the set's weight.
	setSingle = 0.2
	// setSubStrength is a sub-phrase's strength against its keyphrase's.
	setSubStrength = 0.5
)

// setWeight is an article's weight in the set's keyphrases: its relevance
// squared.
func setWeight(rel float64) float64 { return rel * rel }

// subRef is a candidate of the set from one article: its hash, its strength
// there and where it is (words a to b of the article's keyphrase j).
type subRef struct {
	hash     uint64
	strength float64
	j        uint16
	a, b     uint8
}

// setAcc accumulates a candidate's weight over the articles; the phrase is
// rebuilt from its first article's keyphrase only if it enters the pool.
type setAcc struct {
	keyed, score float64
	doc          int32
	j            uint16
	a, b         uint8
}

// topByScore returns the indexes of the k best candidates, best first, ties
// by index: a quickselect for the cut, then a sort of what is above it.
func topByScore(cands []setAcc, k int) []int {
	if k <= 0 {
		return nil
	}
	scores := make([]float64, len(cands))
	for j := range cands {
		scores[j] = cands[j].score
	}
	cut := math.Inf(-1)
	if len(cands) > k {
		cut = kthLargest(scores, k)
	}
	pool := make([]int, 0, k)
	for j := range cands {
		if cands[j].score > cut {
			pool = append(pool, j)
		}
	}
	for j := range cands { // ties at the cut, by index, until k
		if len(pool) >= k {
			break
		}
		if cands[j].score == cut {
			pool = append(pool, j)
		}
	}
	slices.SortFunc(pool, func(a, b int) int {
		if c := cmp.Compare(cands[b].score, cands[a].score); c != 0 {
			return c
		}
		return a - b
	})
	return pool
}

// setLenPrior favours two- and three-word phrases: single words are too
// vague ("attention", "tokens") and four-word ones are usually one
// article's title.
var setLenPrior = [maxPhraseLen + 1]float64{0, 0.3, 1, 0.85, 0.5}

// setCand is a candidate keyphrase of the set.
type setCand struct {
	p       phrase
	doc     int     // the best-ranked article it came from, for display
	keyed   float64 // summed weight × strength of the articles with it among their keyphrases
	score   float64
	display string
}

// subPhrase returns the sub-phrase p[a:b] of a keyphrase, and whether it
// could be a keyphrase itself: no one-letter word at an edge, a word that can
// start a noun phrase first and one that can head it last, not a generic
// noun alone, no word twice, no hyphenated compound split. (Numbers never
// get into a keyphrase.)
func subPhrase(p *phrase, a, b int) (phrase, bool) {
	if p.kinds[a]&(kindShort|kindNoStart) != 0 || p.kinds[b-1]&(kindShort|kindNoHead) != 0 ||
		(b-a == 1 && p.kinds[a]&kindGeneric != 0) {
		return phrase{}, false
	}
	// A hyphenated compound is not split: "100k-token documents" has no
	// sub-phrase "token documents".
	if p.joined&(1<<a) != 0 || (b < int(p.n) && p.joined&(1<<b) != 0) {
		return phrase{}, false
	}
	for k := a + 1; k < b; k++ {
		if slices.Contains(p.terms[a:k], p.terms[k]) {
			return phrase{}, false // "very very", "lozeta lozeta": a stutter, not a phrase
		}
	}
	s := phrase{n: int8(b - a), field: p.field, tok: p.tok + int32(a), inTitle: p.inTitle}
	copy(s.terms[:], p.terms[a:b])
	copy(s.kinds[:], p.kinds[a:b])
	s.hash = hashTerms(s.seq()) | 1
	return s, true
}

// setKeyphrases scores the set's keyphrases. Candidates are the articles'
// own keyphrases and their sub-phrases of up to setSubLen words. An article
// weighs its relevance squared (setWeight), so one strongly relevant article
// outweighs a bulk of marginal ones. A candidate scores the weight of the
// articles that contain it (setOccurs) plus that of the articles that have
// it among their keyphrases, each times the phrase's strength there: its
// score over the article's best, halved for a sub-phrase (setKeyed); times
// the length prior; times a factor between setSingle and 1 when only one
// article carries it, by that article's share of the set's weight (a title
// copied into the list of a set of equals says nothing about the set; the
// one article that matters speaks for it). Duplicates are left out so a
// story copied ten times does not count ten times.
func setKeyphrases(c *corpus, kc *kindCache, rel []float64, order, dupOf []int, picked [][]phrase, forSet int) []models.Keyword {
	weight := make([]float64, len(rel))
	totalWeight := 0.0
	var docs []int // the relevant non-duplicate articles, best first
	for _, i := range order {
		if rel[i] == 0 || dupOf[i] >= 0 {
			continue
		}
		weight[i] = setWeight(rel[i])
		totalWeight += weight[i]
		docs = append(docs, i)
	}
	// The length prior is for a set of peers; the more one article holds
	// of the set's weight, the more the list is that article's, whose own
	// scores already carry its length prior (one article: none here).
	topShare := 0.0
	for _, i := range docs {
		topShare = max(topShare, weight[i]/totalWeight)
	}
	var lenPrior [maxPhraseLen + 1]float64
	for l := range lenPrior {
		lenPrior[l] = math.Pow(setLenPrior[l], 1-topShare)
	}
	// Each article's candidates and their strength there, in parallel; the
	// merge below follows the ranking, so the result does not depend on
	// scheduling.
	subs := make([][]subRef, len(docs))
	parallel(len(docs), func(_, k int) {
		i := docs[k]
		var out []subRef
		best := 0.0
		if len(picked[i]) > 0 {
			best = picked[i][0].score
		}
		for j := range picked[i] {
			p := &picked[i][j]
			strength := 1.0
			if best > 0 {
				strength = p.score / best
			}
			n := int(p.n)
			for a := range n {
				for b := a + 1; b <= min(n, a+setSubLen) || b == n; b++ {
					s, ok := subPhrase(p, a, b)
					// A single word common in English is not the set's
					// keyphrase, whatever the language of the article
					// it came from ("Transformern" in a German one).
					if !ok || (b-a == 1 && genericStem(c.vocab[p.terms[a]])) {
						continue
					}
					st := strength
					if b-a != n {
						st *= setSubStrength
					}
					if at := slices.IndexFunc(out, func(o subRef) bool { return o.hash == s.hash }); at >= 0 {
						out[at].strength = max(out[at].strength, st)
						continue
					}
					out = append(out, subRef{hash: s.hash, strength: st, j: uint16(j), a: uint8(a), b: uint8(b)})
				}
			}
		}
		subs[k] = slices.Clip(out)
	})
	byHash := map[uint64]int32{}
	var accs []setAcc
	for k, i := range docs {
		for _, r := range subs[k] {
			j, seen := byHash[r.hash]
			if !seen {
				j = int32(len(accs))
				byHash[r.hash] = j
				accs = append(accs, setAcc{doc: int32(i), j: r.j, a: r.a, b: r.b})
			}
			accs[j].keyed += weight[i] * r.strength
		}
		subs[k] = nil
	}
	// Only the best by the keyphrase lists alone are counted in every
	// article; counting is the costly step. Ties by first appearance, which
	// follows the ranking.
	for k := range accs {
		accs[k].score = accs[k].keyed * lenPrior[accs[k].b-accs[k].a]
	}
	top := topByScore(accs, capMul(setPool, forSet, len(accs)))
	pool := make([]setCand, len(top))
	for k, t := range top {
		acc := &accs[t]
		sp, _ := subPhrase(&picked[acc.doc][acc.j], int(acc.a), int(acc.b))
		pool[k] = setCand{p: sp, doc: int(acc.doc), keyed: acc.keyed}
	}
	ps := make([]phrase, len(pool))
	for k := range pool {
		ps[k] = pool[k].p
	}
	has := articlesWith(c, ps)
	occurs := make([]float64, len(ps))
	carriers := make([]int, len(ps)) // non-duplicate articles with the phrase
	counts := make([]int, len(ps))   // all articles with the phrase, for the report
	lastCarrier := make([]int, len(ps))
	// forms counts each phrase's surface forms; shown is the most common,
	// ties by the best-ranked article.
	type form struct {
		n   int
		doc int
		ok  bool // a noun phrase there: not "recurrent" for the stem of "recurrence"
		at  occurrence
	}
	forms := make([]map[uint64]*form, len(ps))
	shown := make([]*form, len(ps))
	for k := range forms {
		forms[k] = map[uint64]*form{}
	}
	for _, i := range order {
		for k, o := range has[i] {
			if o.surface == 0 {
				continue
			}
			counts[k]++
			if dupOf[i] >= 0 {
				continue
			}
			occurs[k] += weight[i]
			carriers[k]++
			lastCarrier[k] = i
			fm := forms[k][o.surface]
			if fm == nil {
				fm = &form{doc: i, at: o, ok: nounPhraseAt(kc, &c.docs[i], o, int(ps[k].n))}
				forms[k][o.surface] = fm
			}
			fm.n++
			if fm.ok && (shown[k] == nil || fm.n > shown[k].n) {
				shown[k] = fm
			}
		}
	}
	an := text.NewAnalyzer()
	sorted := make([]setCand, len(pool))
	for k := range pool {
		sc := pool[k]
		sc.score = (setOccurs*occurs[k] + setKeyed*sc.keyed) * lenPrior[sc.p.n]
		if carriers[k] < 2 {
			share := 1.0
			if carriers[k] == 1 && totalWeight > 0 {
				share = weight[lastCarrier[k]] / totalWeight
			}
			sc.score *= setSingle + (1-setSingle)*share
		}
		if f := shown[k]; f != nil {
			sc.doc, sc.p.field, sc.p.tok = f.doc, f.at.field, f.at.tok
		}
		d := &c.docs[sc.doc]
		sc.p.setKey = setKey(d, &sc.p)
		sc.p.tf = int32(counts[k]) // carried through selection for the report
		sc.display = displayPhrase(an, d, &sc.p)
		sorted[k] = sc
	}
	// A phrase that nearly always occurs inside one longer phrase is a piece
	// of it ("key value" of "key value cache"): the longer one takes its
	// score and goes first.
	for a := range sorted {
		for b := range sorted {
			long, short := &sorted[a], &sorted[b]
			if long.p.n <= short.p.n || !contains(&long.p, &short.p) {
				continue
			}
			if 4*carriers[a] >= 3*carriers[b] && 4*occurs[a] >= 3*occurs[b] && short.score >= long.score {
				long.score = short.score
				short.score *= 0.9
			}
		}
	}
	for k := range sorted {
		sorted[k].p.score = sorted[k].score
	}
	// Ties by display form, so the order does not depend on which article
	// first contributed a phrase.
	slices.SortFunc(sorted, func(a, b setCand) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return strings.Compare(a.display, b.display)
	})
	ranked := make([]phrase, len(sorted))
	disp := make(map[uint64]string, len(sorted))
	for k := range sorted {
		ranked[k] = sorted[k].p
		disp[sorted[k].p.hash] = sorted[k].display
	}
	sel := selectPhrases(ranked, forSet)
	best := 1.0
	if len(sel) > 0 && sel[0].score > 0 {
		best = sel[0].score
	}
	out := make([]models.Keyword, 0, len(sel))
	for k := range sel {
		out = append(out, models.Keyword{
			Phrase:   disp[sel[k].hash],
			Score:    round4(sel[k].score / best),
			Articles: int(sel[k].tf),
		})
	}
	return out
}

// nounPhraseAt reports whether the n words at o in d can be a keyphrase by
// their kinds: the same edge rules as the articles' own candidates.
func nounPhraseAt(kc *kindCache, d *doc, o occurrence, n int) bool {
	toks := d.toks[o.field][o.tok : int(o.tok)+n]
	src := d.text[o.field]
	english := d.lang == text.English
	first, last := kc.of(toks[0], src, english), kc.of(toks[n-1], src, english)
	if first&(kindBreak|kindShort|kindNoStart) != 0 || last&(kindBreak|kindShort|kindNoHead) != 0 {
		return false
	}
	return n > 1 || first&kindGeneric == 0
}

// articlesWith reports, for each article and phrase, whether the article's
// text contains the phrase's term sequence inside one clause, and if so the
// case-folded surface form of its first occurrence there (as a hash, with
// the place it is at) so that the set's list can show the most common form.
func articlesWith(c *corpus, ps []phrase) [][]occurrence {
	// head[term] is the first phrase starting with term, next[k] the next
	// one after phrase k (-1 ends): a dense lookup per token, no map.
	head := make([]int32, len(c.vocab))
	for t := range head {
		head[t] = -1
	}
	next := make([]int32, len(ps))
	for k := len(ps) - 1; k >= 0; k-- {
		t := ps[k].terms[0]
		next[k] = head[t]
		head[t] = int32(k)
	}
	has := make([][]occurrence, len(c.docs))
	parallel(len(c.docs), func(_, i int) {
		h := make([]occurrence, len(ps))
		d := &c.docs[i]
		for f := range numFields {
			toks := d.toks[f]
			for t := range toks {
				for k := head[toks[t].Term]; k >= 0; k = next[k] {
					p := &ps[k]
					pn := int(p.n)
					if h[k].surface != 0 || t+pn > len(toks) {
						continue
					}
					ok := true
					for j := 1; j < pn && ok; j++ {
						ok = toks[t+j].Term == p.terms[j] && !toks[t+j].Is(text.FlagBreak)
					}
					if ok {
						h[k] = occurrence{surface: surfaceHash(d.text[f], toks[t:t+pn]) | 1, field: int8(f), tok: int32(t)}
					}
				}
			}
		}
		has[i] = h
	})
	return has
}

// occurrence is where a phrase first occurs in an article; surface is 0
// when it does not.
type occurrence struct {
	surface uint64
	field   int8
	tok     int32
}

// surfaceHash hashes the ASCII-lower-cased surface words of toks.
func surfaceHash(src string, toks []text.Token) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, t := range toks {
		for _, b := range []byte(t.Surface(src)) {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			h = (h ^ uint64(b)) * 0x100000001b3
		}
		h = (h ^ ' ') * 0x100000001b3
	}
	return h
}
