package analysis

import (
	"slices"
	"strings"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/internal/urlcanon"
	"github.com/research-cli/research/models"
)

// Near-duplicate detection: one-permutation MinHash over word shingles,
// banded LSH to find candidate pairs in linear time, and the exact Jaccard
// similarity of the shingle sets to confirm them. Same-story groups add a
// second signal for rewritten coverage (story.go).
const (
	shingleK = 3
	mhBins   = 64
	lshBands = 16
	lshRows  = mhBins / lshBands
	// duplicateJaccard and sameStoryJaccard are the similarity thresholds of
	// the two kinds of group.
	duplicateJaccard = 0.8
	sameStoryJaccard = 0.5
	// fullBucket is the largest LSH bucket whose pairs are all verified;
	// members of a larger one are checked against their neighbour and the
	// bucket's first member only, so a bucket of thousands stays linear.
	fullBucket = 16
	// minNearDupTerms is how many distinct non-stop terms an article's text
	// (title and body) needs before MinHash may call it a near duplicate.
	// Below it, a few shared words are most of the text ("Comments" under
	// six different titles, "Attention is (not) all you need"), so only an
	// exactly equal URL or text counts.
	minNearDupTerms = 10
)

// mix64 is the SplitMix64 finaliser: a fixed, well-mixed 64-bit hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// bodyTokens are the words near-duplicate detection looks at: the title,
// summary and content. The title always counts: feeds give many items one
// boilerplate summary ("Comments"), and only the title tells them apart.
func bodyTokens(d *doc, dst []text.Token) []text.Token {
	dst = append(dst, d.toks[fieldTitle]...)
	dst = append(dst, d.toks[fieldSummary]...)
	dst = append(dst, d.toks[fieldContent]...)
	return dst
}

// nearDupEligible reports whether an article has enough distinctive text for
// MinHash near-duplicate grouping (see minNearDupTerms).
func nearDupEligible(d *doc) bool {
	return len(d.terms) >= minNearDupTerms
}

// exactHash hashes the full normalised text (every word's stem, stop words
// included, with a boundary between the title and the body), or returns 0
// for an article with no words. Equal hashes mean equal text up to case,
// punctuation, spacing and inflection.
func exactHash(d *doc, terms []uint32) ([]uint32, uint64) {
	return hashFields(d, fieldTitle, terms)
}

// bodyExactHash hashes the normalised body alone, for an article whose body
// has enough distinctive text that the same body under another headline is
// the same article; 0 otherwise.
func bodyExactHash(d *doc, terms []uint32) ([]uint32, uint64) {
	if !nearDupEligible(d) || d.flen[fieldSummary]+d.flen[fieldContent] < minNearDupTerms {
		return terms, 0
	}
	return hashFields(d, fieldSummary, terms)
}

// hashFields hashes the stems of the fields from..numFields-1, see exactHash.
func hashFields(d *doc, from int, terms []uint32) ([]uint32, uint64) {
	terms = terms[:0]
	for f := from; f < numFields; f++ {
		if f == fieldSummary {
			terms = append(terms, ^uint32(0)) // title | body
		}
		for _, t := range d.toks[f] {
			terms = append(terms, t.Term)
		}
	}
	if len(terms) <= 1 && from == fieldTitle || len(terms) == 0 {
		return terms, 0
	}
	return terms, hashTerms(terms) | 1 // never 0, which means "none"
}

// shingles appends to dst the hashes of the shingles of shingleK
// consecutive non-stop terms of body, in text order, repeats included. A
// text shorter than one shingle has none: a shorter shingle would let two
// words decide.
func shingles(body []text.Token, ids, dst []uint64) ([]uint64, []uint64) {
	ids = ids[:0]
	for _, t := range body {
		if !t.Is(text.FlagStop) {
			ids = append(ids, uint64(t.Term))
		}
	}
	const k = shingleK
	for i := 0; i+k <= len(ids); i++ {
		h := uint64(0x9e3779b97f4a7c15)
		for _, id := range ids[i : i+k] {
			h = mix64(h ^ id)
		}
		dst = append(dst, h)
	}
	return ids, dst
}

// shingleSet returns the sorted distinct shingle hashes of a document.
func shingleSet(d *doc) []uint64 {
	_, hs := shingles(bodyTokens(d, nil), nil, nil)
	slices.Sort(hs)
	return slices.Compact(hs)
}

// signature is the one-permutation MinHash of a document's shingles (a
// multiset is fine: the minimum ignores repeats), with empty bins
// filled from the next non-empty bin (densification) so that sparse sets
// still compare fairly.
func signature(set []uint64) [mhBins]uint64 {
	var sig [mhBins]uint64
	var filled [mhBins]bool
	for _, h := range set {
		b := h >> 58
		if !filled[b] || h < sig[b] {
			sig[b], filled[b] = h, true
		}
	}
	for b := range mhBins {
		if filled[b] {
			continue
		}
		for dist := 1; dist < mhBins; dist++ {
			nb := (b + dist) % mhBins
			if filled[nb] {
				sig[b] = mix64(sig[nb] + uint64(dist))
				break
			}
		}
	}
	return sig
}

func jaccard(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// canonicalURL is the key under which two URLs are the same page for exact
// duplicate detection: the project's one canonicaliser (urlcanon.Key), which
// ignores the scheme, "www.", the fragment, tracking parameters and a
// trailing slash.
func canonicalURL(raw string) string { return urlcanon.Key(raw) }

// urlFragment is the fragment of a link ("" when it has none).
func urlFragment(raw string) string {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		return raw[i+1:]
	}
	return ""
}

type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u[max(ra, rb)] = min(ra, rb)
	}
}

// findDuplicates groups the articles. rankPos[i] is article i's place in the
// ranking; the best-ranked member of a group is its canonical article.
// It returns dupOf (the canonical article of each duplicate, -1 otherwise)
// and the groups.
func findDuplicates(c *corpus, arts []models.Article, rankPos []int) ([]int, []models.Group) {
	n := len(c.docs)
	sigs := make([][mhBins]uint64, n)
	hasShingles := make([]bool, n)
	textHash := make([]uint64, n)
	bodyHash := make([]uint64, n)
	type scratch struct {
		body      []text.Token
		ids, hs   []uint64
		termsOnly []uint32
	}
	scratches := make([]scratch, numWorkers(n))
	parallel(n, func(w, i int) {
		sc := &scratches[w]
		d := &c.docs[i]
		sc.termsOnly, textHash[i] = exactHash(d, sc.termsOnly)
		sc.termsOnly, bodyHash[i] = bodyExactHash(d, sc.termsOnly)
		if !nearDupEligible(d) {
			return
		}
		sc.body = bodyTokens(d, sc.body[:0])
		sc.ids, sc.hs = shingles(sc.body, sc.ids, sc.hs[:0])
		hasShingles[i] = len(sc.hs) > 0
		sigs[i] = signature(sc.hs)
	})

	dup := newUnionFind(n)
	story := newUnionFind(n)
	link := func(a, b int, sim float64) {
		if sim >= duplicateJaccard {
			dup.union(a, b)
		}
		if sim >= sameStoryJaccard {
			story.union(a, b)
		}
	}
	// Exact duplicates: the same canonical URL or the same normalised text.
	byURL := map[string][]int{}
	byText := map[uint64]int{}
	byBody := map[uint64]int{}
	for i := range n {
		if h := textHash[i]; h != 0 {
			if j, ok := byText[h]; ok {
				link(j, i, 1)
			} else {
				byText[h] = i
			}
		}
		if cu := canonicalURL(arts[i].URL); cu != "" {
			// Links that differ only by a fragment are one page, except when
			// both fragments are set and differ: the comments of one post in
			// a comment feed (…/post/#comment-713578640, …#comment-713578641)
			// are different items.
			frag := urlFragment(arts[i].URL)
			linked := false
			for _, j := range byURL[cu] {
				if f := urlFragment(arts[j].URL); f == "" || frag == "" || f == frag {
					link(j, i, 1)
					linked = true
					break
				}
			}
			if !linked {
				byURL[cu] = append(byURL[cu], i)
			}
		}
		if h := bodyHash[i]; h != 0 {
			if j, ok := byBody[h]; ok {
				link(j, i, 1)
			} else {
				byBody[h] = i
			}
		}
	}

	// Near duplicates: LSH buckets, then exact Jaccard on candidate pairs.
	buckets := map[uint64][]int32{}
	for i := range n {
		if !hasShingles[i] {
			continue
		}
		for b := range lshBands {
			h := mix64(uint64(b) + 1)
			for _, v := range sigs[i][b*lshRows : (b+1)*lshRows] {
				h = mix64(h ^ v)
			}
			buckets[h] = append(buckets[h], int32(i))
		}
	}
	pairs := map[uint64]bool{}
	addPair := func(a, b int32) {
		if a > b {
			a, b = b, a
		}
		if a != b {
			pairs[uint64(a)<<32|uint64(b)] = true
		}
	}
	for _, m := range buckets {
		if len(m) <= fullBucket {
			for x := range m {
				for y := x + 1; y < len(m); y++ {
					addPair(m[x], m[y])
				}
			}
			continue
		}
		for x := 1; x < len(m); x++ {
			addPair(m[0], m[x])
			addPair(m[x-1], m[x])
		}
	}
	keys := make([]uint64, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Exact shingle sets, only for the documents in a candidate pair.
	sets := make([][]uint64, n)
	var involved []int
	for _, k := range keys {
		for _, i := range []int{int(k >> 32), int(k & 0xffffffff)} {
			if sets[i] == nil {
				sets[i] = []uint64{}
				involved = append(involved, i)
			}
		}
	}
	parallel(len(involved), func(_, k int) {
		sets[involved[k]] = shingleSet(&c.docs[involved[k]])
	})
	sims := make([]float64, len(keys))
	parallel(len(keys), func(_, k int) {
		a, b := int(keys[k]>>32), int(keys[k]&0xffffffff)
		sims[k] = jaccard(sets[a], sets[b])
	})
	// Issues of a series share their template, not their story: a
	// shingle match between two of them is no link (story.go).
	ps := buildStoryProfiles(c)
	for k, key := range keys {
		a, b := int(key>>32), int(key&0xffffffff)
		if seriesConflict(&ps[a], &ps[b]) {
			continue
		}
		link(a, b, sims[k])
	}
	// Rewritten coverage of the same story: rare terms and titles.
	idf := make([]float64, len(c.vocab))
	for t, df := range c.df {
		if df > 0 {
			idf[t] = termIDF(n, df)
		}
	}
	for _, pr := range storyPairs(c, idf, ps) {
		story.union(pr[0], pr[1])
	}

	// Canonical article of each duplicate group: the best ranked.
	canon := make([]int, n)
	for i := range canon {
		canon[i] = -1
	}
	for i := range n {
		r := dup.find(i)
		if canon[r] < 0 || rankPos[i] < rankPos[canon[r]] {
			canon[r] = i
		}
	}
	dupOf := make([]int, n)
	members := map[int][]int{}
	for i := range n {
		dupOf[i] = -1
		if cn := canon[dup.find(i)]; cn != i {
			dupOf[i] = cn
		}
	}
	for i := range n {
		members[dup.find(i)] = append(members[dup.find(i)], i)
	}
	type rankedGroup struct {
		g   models.Group
		pos int
	}
	var groups []rankedGroup
	byRank := func(ids []int) []string {
		slices.SortFunc(ids, func(a, b int) int { return rankPos[a] - rankPos[b] })
		out := make([]string, len(ids))
		for k, i := range ids {
			out[k] = arts[i].ID
		}
		return out
	}
	for _, ms := range members {
		if len(ms) > 1 {
			ids := byRank(ms)
			groups = append(groups, rankedGroup{models.Group{Kind: models.GroupDuplicate, IDs: ids}, rankPos[ms[0]] * 2})
		}
	}
	stories := map[int][]int{}
	for i := range n {
		if dupOf[i] < 0 {
			r := story.find(i)
			stories[r] = append(stories[r], i)
		}
	}
	for _, ms := range stories {
		if len(ms) > 1 {
			ids := byRank(ms)
			groups = append(groups, rankedGroup{models.Group{Kind: models.GroupSameStory, IDs: ids}, rankPos[ms[0]]*2 + 1})
		}
	}
	slices.SortFunc(groups, func(a, b rankedGroup) int { return a.pos - b.pos })
	out := make([]models.Group, len(groups))
	for k := range groups {
		out[k] = groups[k].g
	}
	return dupOf, out
}
