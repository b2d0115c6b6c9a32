package analysis

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/research-cli/research/analysis/text"
)

// Rewritten coverage of one story shares few word shingles (each outlet
// words it its own way), so MinHash over shingles rarely groups it. The
// second signal compares what survives rewriting: the rare words (names,
// numbers, the story's own terms) and the title's words, each weighted by
// its idf in the set so that the words every article shares (the query's,
// on a query-retrieved set) count for little. Candidate pairs come from an
// inverted index over each article's rarest terms, with long posting lists
// skipped, so the cost stays linear.
const (
	// storyIndexTerms is how many of an article's rarest shared terms are
	// indexed to find candidate pairs.
	storyIndexTerms = 8
	// storyPosting is the longest posting list that yields pairs: a term
	// in more articles than that is not rare enough to suggest a story.
	storyPosting = 32
	// storyTitle, storyTitleRare and storyRare are the thresholds: the
	// idf-weighted Jaccard of the titles' stems with enough agreement of
	// the rare terms, or a strong agreement of the rare terms alone.
	storyTitle     = 0.5
	storyTitleRare = 0.2
	storyRare      = 0.5
	// storyBodyWords is the shortest body whose rare terms are compared;
	// below it (a link with a title only) the title decides alone, at
	// storyTitleOnly.
	storyTitleOnly = 0.65
	storyBodyWords = 12
	// storyHits is how many index terms a candidate must share (a title
	// term counting two).
	storyHits = 3
	// storyTitleWords is how many title words two title-only articles must
	// share.
	storyTitleWords = 3
	// storyTitleExact is the Jaccard similarity of every word of two titles
	// (stop words and numbers included) that an article with a short body
	// needs: "Why Rust async runtimes?" is not "Rust async runtimes", nor
	// "Attention is not all you need" "Attention is all you need".
	storyTitleExact = 0.9
	// storyBodyAgree is the share of a short body's distinct terms the other
	// article must have for the bodies to agree.
	storyBodyAgree = 0.8
)

// sharedCount counts the terms two sorted term sets share.
func sharedCount(a, b []uint32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// storyProfile is what the second signal compares of one article.
type storyProfile struct {
	title    []uint32 // distinct title terms, sorted
	titleAll []uint32 // distinct title terms with stop words and numbers, sorted
	terms    []uint32 // all its distinct terms, sorted (the doc's own slice)
	index    []uint32 // its rarest terms with df ≥ 2 and its title terms, to find candidates
	body     bool     // whether the body is long enough to compare rare terms
	short    []uint32 // a short body's distinct non-stop terms, sorted
	// series holds, sorted and distinct each, the hashes of the title's
	// numbers (digit runs, "4.8", "2020", "12" of "v12") in its first
	// nNums entries, then the terms of its capitalised words after the
	// first (proper names: "Firefox", "March"; none when the title is in
	// title case). One slice, because every article has a profile.
	series []uint32
	nNums  int32
}

// nums returns the hashes of the title's numbers.
func (p *storyProfile) nums() []uint32 { return p.series[:p.nNums] }

// names returns the title's proper names.
func (p *storyProfile) names() []uint32 { return p.series[p.nNums:] }

func buildStoryProfiles(c *corpus) []storyProfile {
	n := len(c.docs)
	ps := make([]storyProfile, n)
	parallel(n, func(_, i int) {
		d := &c.docs[i]
		p := &ps[i]
		for _, t := range d.toks[fieldTitle] {
			if !t.Is(text.FlagStop) && !t.Is(text.FlagNumeric) {
				p.title = append(p.title, t.Term)
			}
			p.titleAll = append(p.titleAll, t.Term)
		}
		slices.Sort(p.title)
		p.title = slices.Compact(p.title)
		for _, num := range titleNumbers(d.text[fieldTitle]) {
			h := uint32(2166136261) // FNV-1a
			for k := 0; k < len(num); k++ {
				h = (h ^ uint32(num[k])) * 16777619
			}
			p.series = append(p.series, h)
		}
		slices.Sort(p.series)
		p.series = slices.Compact(p.series)
		p.nNums = int32(len(p.series))
		p.series = append(p.series, titleNames(d.text[fieldTitle], d.toks[fieldTitle])...)
		slices.Sort(p.titleAll)
		p.titleAll = slices.Compact(p.titleAll)
		p.body = d.flen[fieldSummary]+d.flen[fieldContent] >= storyBodyWords
		if !p.body {
			for f := fieldSummary; f < numFields; f++ {
				for _, t := range d.toks[f] {
					if !t.Is(text.FlagStop) {
						p.short = append(p.short, t.Term)
					}
				}
			}
			slices.Sort(p.short)
			p.short = slices.Compact(p.short)
		}
		p.terms = d.terms
		// The index terms: the storyIndexTerms rarest shared terms (df ≥ 2;
		// ties by frequency in the article, then id), kept sorted by
		// insertion, plus the shared title terms.
		var idx [storyIndexTerms]int
		m := 0
		rarer := func(a, b int) bool {
			ta, tb := d.terms[a], d.terms[b]
			if c.df[ta] != c.df[tb] {
				return c.df[ta] < c.df[tb]
			}
			if d.counts[a] != d.counts[b] {
				return d.counts[a] > d.counts[b]
			}
			return ta < tb
		}
		for k, t := range d.terms {
			if c.df[t] < 2 || (m == storyIndexTerms && !rarer(k, idx[m-1])) {
				continue
			}
			if m < storyIndexTerms {
				m++
			}
			pos := m - 1
			for pos > 0 && rarer(k, idx[pos-1]) {
				idx[pos] = idx[pos-1]
				pos--
			}
			idx[pos] = k
		}
		for _, k := range idx[:m] {
			p.index = append(p.index, d.terms[k])
		}
		for _, t := range p.title {
			if c.df[t] >= 2 && !slices.Contains(p.index, t) {
				p.index = append(p.index, t)
			}
		}
	})
	return ps
}

// weightedJaccard is the weighted Jaccard similarity of two sorted term
// sets: each term weighs its idf among the other articles (shared, for one
// both have: idf[t] counts the pair, shared[t] does not), so that sharing a
// term does not by itself make it look common.
func weightedJaccard(a, b []uint32, idf, shared []float64) float64 {
	var inter, union float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			union += idf[a[i]]
			i++
		case i == len(a) || b[j] < a[i]:
			union += idf[b[j]]
			j++
		default:
			inter += shared[a[i]]
			union += shared[a[i]]
			i++
			j++
		}
	}
	if union == 0 {
		return 0
	}
	return inter / union
}

// weightedOverlap is the weighted overlap coefficient of two sorted term
// sets, weighted as in weightedJaccard: the shared weight over the smaller
// set's weight, so that a short rewrite of a long article still matches.
func weightedOverlap(a, b []uint32, idf, shared []float64) float64 {
	var inter, ma, mb float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			ma += idf[a[i]]
			i++
		case i == len(a) || b[j] < a[i]:
			mb += idf[b[j]]
			j++
		default:
			inter += shared[a[i]]
			ma += shared[a[i]]
			mb += shared[a[i]]
			i++
			j++
		}
	}
	if m := min(ma, mb); m > 0 {
		return inter / m
	}
	return 0
}

// plainJaccard is the Jaccard similarity of two sorted term sets.
func plainJaccard(a, b []uint32) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	n := sharedCount(a, b)
	return float64(n) / float64(len(a)+len(b)-n)
}

// bodiesAgree reports whether the bodies of two articles, at least one of
// them short, tell the same story: a missing body agrees with anything, a
// short one when most of its terms are in the other article (a teaser of a
// long one) or in the other short body.
func bodiesAgree(a, b *storyProfile) bool {
	if a.body {
		a, b = b, a // a is short
	}
	if len(a.short) == 0 || (!b.body && len(b.short) == 0) {
		return true
	}
	other := b.terms
	if !b.body {
		other = b.short
		if len(other) < len(a.short) {
			a, b = b, a
			other = b.short
		}
	}
	return float64(sharedCount(a.short, other)) >= storyBodyAgree*float64(len(a.short))
}

// titleNumbers returns the runs of digits (with inner dots, commas and
// colons: "4.14", "1,000", "10:30") in a title, sorted and distinct.
func titleNumbers(title string) []string {
	var out []string
	for i := 0; i < len(title); {
		if !isDigit(title[i]) {
			i++
			continue
		}
		j := i
		for j < len(title) && (isDigit(title[j]) || (strings.IndexByte(".,:", title[j]) >= 0 && j+1 < len(title) && isDigit(title[j+1]))) {
			j++
		}
		out = append(out, title[i:j])
		i = j
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// titleNames returns the terms of a title's capitalised words after the
// first, the stop words left out, or nil when the title is in title case
// (three or more content words after the first, most of them capitalised).
func titleNames(title string, toks []text.Token) []uint32 {
	var names []uint32
	words := 0
	for k, t := range toks {
		if k == 0 || t.Is(text.FlagStop) || t.Is(text.FlagNumeric) {
			continue
		}
		words++
		if r, _ := utf8.DecodeRuneInString(t.Surface(title)); unicode.IsUpper(r) {
			names = append(names, t.Term)
		}
	}
	if words >= 3 && 2*len(names) > words {
		return nil
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// seriesConflict reports whether two articles look like different issues
// of one series ("Tails 4.8 is out", "Tails 4.9 is out"; "Weekly roundup:
// March" and "Weekly roundup: April"): each title has a number the other
// title lacks, or each has a proper name found nowhere in the other article.
// Template words alone are no evidence of one story.
func seriesConflict(a, b *storyProfile) bool {
	an, bn := a.nums(), b.nums()
	if len(an) > 0 && len(bn) > 0 && hasOther(an, bn) && hasOther(bn, an) {
		return true
	}
	return nameMissing(a.names(), b.terms) && nameMissing(b.names(), a.terms)
}

// hasOther reports whether sorted a has an element sorted b lacks.
func hasOther[T cmp.Ordered](a, b []T) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return true
		}
	}
	return false
}

// nameMissing reports whether one of names occurs nowhere in terms.
func nameMissing(names, terms []uint32) bool {
	return len(names) > 0 && hasOther(names, terms)
}

// storyWeights are the term weights of the second signal: idf in the set,
// and for a term two articles share, its idf among the others.
type storyWeights struct{ idf, shared []float64 }

// sameStory decides whether two articles cover the same story by the
// second signal, and returns the title and rare-term similarities.
func sameStory(a, b *storyProfile, w *storyWeights) (bool, float64, float64) {
	if seriesConflict(a, b) {
		return false, 0, 0
	}
	t := weightedJaccard(a.title, b.title, w.idf, w.shared)
	if !a.body || !b.body {
		// A link with a title and little else: the titles must be nearly
		// the same words (a title of one or two words, "Tram", "Weekly
		// roundup", is not enough to tell a story by) and the bodies must
		// not disagree.
		ok := t >= storyTitleOnly && sharedCount(a.title, b.title) >= storyTitleWords &&
			plainJaccard(a.titleAll, b.titleAll) >= storyTitleExact && bodiesAgree(a, b)
		return ok, t, 0
	}
	r := weightedOverlap(a.terms, b.terms, w.idf, w.shared)
	return (t >= storyTitle && r >= storyTitleRare) || r >= storyRare, t, r
}

// storyPairs returns the pairs of articles (a < b) the second signal puts in
// the same story, in order. Candidates share at least storyHits index terms (a
// title term counting two) whose posting lists are short; dense per-worker counters find
// them without a map.
func storyPairs(c *corpus, idf []float64, ps []storyProfile) [][2]int {
	n := len(c.docs)
	sw := &storyWeights{idf: idf, shared: make([]float64, len(idf))}
	for t, df := range c.df {
		if df >= 2 {
			sw.shared[t] = termIDF(n, df-1)
		}
	}
	post := map[uint32][]int32{}
	for i := range ps {
		for _, t := range ps[i].index {
			post[t] = append(post[t], int32(i))
		}
	}
	found := make([][]int32, n)
	// hits[w][j] counts the index terms article j shares with the article
	// worker w is on; dense, reset through touched.
	hits := make([][]int32, numWorkers(n))
	for w := range hits {
		hits[w] = make([]int32, n)
	}
	touchedBufs := make([][]int32, numWorkers(n))
	parallel(n, func(w, i int) {
		hit, touched := hits[w], touchedBufs[w][:0]
		for _, t := range ps[i].index {
			l := post[t]
			if len(l) > storyPosting {
				continue
			}
			// A shared title term counts twice: titles are where a story
			// names itself.
			inc := int32(1)
			if _, ok := slices.BinarySearch(ps[i].title, t); ok {
				inc = 2
			}
			for _, j := range l {
				if int(j) <= i {
					continue
				}
				if hit[j] == 0 {
					touched = append(touched, j)
				}
				hit[j] += inc
			}
		}
		for _, j := range touched {
			if hit[j] >= storyHits {
				if ok, _, _ := sameStory(&ps[i], &ps[j], sw); ok {
					found[i] = append(found[i], j)
				}
			}
			hit[j] = 0
		}
		touchedBufs[w] = touched
	})
	var out [][2]int
	for i, js := range found {
		slices.Sort(js)
		for _, j := range js {
			out = append(out, [2]int{i, int(j)})
		}
	}
	return out
}
