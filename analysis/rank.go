package analysis

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// BM25F parameters: the Lucene formula with per-field weights. A grid of
// k1 0.9–2.5 and b 0.3–0.9 on half the Cranfield dev queries was flat
// (docs/quality.md), so they stay Lucene's defaults.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// fieldWeights weigh a match in the title, the summary and the content.
var fieldWeights = [numFields]float64{3.0, 1.5, 1.0}

// Weights of centrality and recency when the query is empty.
const (
	centralityWeight = 0.8
	recencyWeight    = 0.2
	// recencyHalfLife is the age, relative to recencyReference (about the newest article), at which
	// the recency score halves.
	recencyHalfLife = 7 * 24 * time.Hour
)

// queryTerm is one distinct term of the query.
type queryTerm struct {
	id      int // global term id, -1 when no article contains it
	stem    string
	surface string // folded form, for explanations
	qtf     int
	// after lists the query terms that come directly before this one in the
	// query, stop words skipped: "sparse attention for long documents" gives
	// the pairs sparse→attention, attention→long and long→documents.
	after []int
}

// parseQuery runs the query through the text pipeline in the language the
// query is in when that is clear, else the articles' majority language.
func parseQuery(c *corpus, q string) []queryTerm {
	lang := text.DetectLanguage(q)
	if len(q) < 40 {
		lang = majorityLang(c)
	}
	an := text.NewAnalyzer()
	toks := an.Tokenize(lang, q, nil)
	terms := an.Terms()
	useStop := true
	for _, t := range toks {
		if !t.Is(text.FlagStop) {
			useStop = false
			break
		}
	}
	var out []queryTerm
	seen := map[string]int{}
	prev := -1
	for _, t := range toks {
		if t.Is(text.FlagStop) && !useStop {
			continue
		}
		stem := terms[t.Term]
		k, ok := seen[stem]
		if ok {
			out[k].qtf++
		} else {
			k = len(out)
			seen[stem] = k
			out = append(out, queryTerm{id: c.termID(stem), stem: stem, surface: an.Fold(t.Surface(q)), qtf: 1})
		}
		if prev >= 0 && prev != k && !slices.Contains(out[k].after, prev) {
			out[k].after = append(out[k].after, prev)
		}
		prev = k
	}
	return out
}

func majorityLang(c *corpus) text.Lang {
	counts := map[text.Lang]int{}
	for i := range c.docs {
		counts[c.docs[i].lang]++
	}
	best, bestN := text.English, 0
	for _, l := range []text.Lang{text.English, text.German, text.French, text.Spanish, text.Italian, text.Dutch, text.Portuguese, text.Swedish} {
		if counts[l] > bestN {
			best, bestN = l, counts[l]
		}
	}
	return best
}

// idfBM25 is Lucene's BM25 idf.
func idfBM25(n int, df int32) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// Evidence BM25 lacks on a query-retrieved set, where every article contains
// the query's words, so their idf is tiny and BM25 saturates: how many of the
// query's terms an article carries (coordination, with extra weight in the
// title), and whether the query's word pairs ("sparse attention", "long
// documents") occur next to each other (title first). Both are fractions in
// [0, 1] added to BM25F scaled by the set's best BM25F score, so they can
// reorder articles BM25F cannot tell apart without swamping a clear BM25F
// difference. The weights are the middle of a plateau on Cranfield and the
// demo set (docs/quality.md).
const (
	coverageWeight  = 0.4
	coverageTitle   = 0.5 // share of coverage that counts query terms in the title
	proximityWeight = 0.3
	// pairBodyWeight is a body occurrence of a query pair relative to one in
	// the title; pairBodyWeight·h/(h+1) for h body occurrences.
	pairBodyWeight = 0.6
)

// queryPair is two query terms that are adjacent in the query.
type queryPair struct{ a, b int }

// queryPairs lists the query's adjacent term pairs, in the order of their
// second word's first occurrence.
func queryPairs(q []queryTerm) []queryPair {
	var ps []queryPair
	for k := range q {
		for _, a := range q[k].after {
			if q[a].id >= 0 && q[k].id >= 0 {
				ps = append(ps, queryPair{a, k})
			}
		}
	}
	return ps
}

// docEvidence is one article's coverage and proximity, unscaled, with their
// split by query term, pair and field when explaining.
type docEvidence struct {
	coverage, proximity float64
	covTerm             []float64
	covField            [numFields]float64
	proxPair            []float64
	proxField           [numFields]float64
}

// scoreBM25F scores every document against the query: BM25F plus coverage
// and proximity (see coverageWeight), plus pseudo-relevance feedback (see
// expandQuery). With explain it also splits each score
// by field and by term (a query pair's proximity under the pair's words,
// "sparse attention"), so the parts of either map add up to the score.
func scoreBM25F(c *corpus, q []queryTerm, explain bool) ([]float64, []*models.Explanation) {
	n := len(c.docs)
	var avg [numFields]float64
	var with [numFields]int
	for i := range c.docs {
		for f := range numFields {
			if c.docs[i].flen[f] > 0 {
				avg[f] += float64(c.docs[i].flen[f])
				with[f]++
			}
		}
	}
	for f := range numFields {
		if with[f] > 0 {
			avg[f] /= float64(with[f])
		}
	}
	qidx := make(map[uint32]int, len(q))
	idf := make([]float64, len(q))
	for k, t := range q {
		if t.id >= 0 {
			qidx[uint32(t.id)] = k
			idf[k] = idfBM25(n, c.df[t.id])
		}
	}
	pairs := queryPairs(q)
	scores := make([]float64, n)
	ev := make([]docEvidence, n)
	// matched[i] is whether article i has at least half the query's terms.
	matched := make([]bool, n)
	var expl []*models.Explanation
	if explain {
		expl = make([]*models.Explanation, n)
	}
	if len(qidx) == 0 {
		if explain {
			for i := range expl {
				expl[i] = &models.Explanation{Note: "bm25f: no query term occurs in any article"}
			}
		}
		return scores, expl
	}
	parallel(n, func(_, i int) {
		d := &c.docs[i]
		tf := make([][numFields]float64, len(q))
		// pairHits[p][f] counts query pair p adjacent in field f.
		pairHits := make([][numFields]int, len(pairs))
		for f := range numFields {
			prev := -1
			for _, t := range d.toks[f] {
				if t.Is(text.FlagBreak) {
					prev = -1
				}
				k, ok := qidx[t.Term]
				if !ok {
					if !t.Is(text.FlagStop) { // stop words do not separate a pair
						prev = -1
					}
					continue
				}
				tf[k][f]++
				if prev >= 0 {
					for p, qp := range pairs {
						if qp.a == prev && qp.b == k {
							pairHits[p][f]++
						}
					}
				}
				prev = k
			}
		}
		var e *models.Explanation
		if explain {
			e = &models.Explanation{Fields: map[string]float64{}, Terms: map[string]float64{}}
			expl[i] = e
		}
		var total float64
		for k := range q {
			var tfn float64
			var parts [numFields]float64
			for f := range numFields {
				if tf[k][f] == 0 {
					continue
				}
				norm := 1.0
				if avg[f] > 0 { // zero when the field holds only stop words everywhere
					norm = 1 - bm25B + bm25B*float64(d.flen[f])/avg[f]
				}
				parts[f] = fieldWeights[f] * tf[k][f] / norm
				tfn += parts[f]
			}
			if tfn == 0 {
				continue
			}
			s := idf[k] * tfn / (bm25K1 + tfn) * float64(q[k].qtf)
			total += s
			if e != nil {
				e.Terms[q[k].surface] += s
				for f := range numFields {
					if parts[f] > 0 {
						e.Fields[fieldNames[f]] += s * parts[f] / tfn
					}
				}
			}
		}
		scores[i] = total
		ev[i] = evidence(q, pairs, tf, pairHits, explain)
		present := 0
		for k := range q {
			if tf[k] != [numFields]float64{} {
				present++
			}
		}
		matched[i] = 2*present >= len(q)
	})
	best := 0.0
	for _, s := range scores {
		best = max(best, s)
	}
	for i := range scores {
		bm := scores[i]
		cov := best * coverageWeight * ev[i].coverage
		prox := best * proximityWeight * ev[i].proximity
		scores[i] = bm + cov + prox
		e := expl
		if e == nil {
			continue
		}
		x := e[i]
		x.Note = fmt.Sprintf("bm25f %.4f + coverage %.4f (%.2f of terms) + proximity %.4f (%.2f of pairs), each scaled by the best bm25f %.4f",
			bm, cov, ev[i].coverage, prox, ev[i].proximity, best)
		for k := range q {
			if v := ev[i].covTerm[k]; v > 0 {
				x.Terms[q[k].surface] += best * coverageWeight * v
			}
		}
		for p, qp := range pairs {
			if v := ev[i].proxPair[p]; v > 0 {
				x.Terms[q[qp.a].surface+" "+q[qp.b].surface] += best * proximityWeight * v
			}
		}
		for f := range numFields {
			if v := ev[i].covField[f]*coverageWeight + ev[i].proxField[f]*proximityWeight; v > 0 {
				x.Fields[fieldNames[f]] += best * v
			}
		}
		for f, v := range x.Fields {
			x.Fields[f] = round4(v)
		}
		for t, v := range x.Terms {
			x.Terms[t] = round4(v)
		}
	}
	if feedbackWeight > 0 && n > 0 {
		m := 0
		for _, ok := range matched {
			if ok {
				m++
			}
		}
		// Feedback assumes the best-ranked articles are more relevant than
		// the rest. On a set that a search for the query selected, nearly
		// every article has the query's words and the first ranking's top
		// is no better evidence than the rest: the expansion would drift to
		// whatever the top articles also discuss. So its weight falls with
		// the share of articles that have at least half the query's terms
		// (on the demo set, all of them: no feedback).
		expandQuery(c, q, scores, expl, feedbackWeight*(1-float64(m)/float64(n)))
	}
	return scores, expl
}

// evidence computes an article's coverage and proximity from its query term
// frequencies per field and its query pair occurrences per field.
func evidence(q []queryTerm, pairs []queryPair, tf [][numFields]float64, pairHits [][numFields]int, explain bool) docEvidence {
	var ev docEvidence
	if explain {
		ev.covTerm = make([]float64, len(q))
		ev.proxPair = make([]float64, len(pairs))
	}
	nq := float64(len(q))
	for k := range q {
		f := -1 // the best field the term occurs in
		for g := range numFields {
			if tf[k][g] > 0 {
				f = g
				break
			}
		}
		if f < 0 {
			continue
		}
		v := (1 - coverageTitle) / nq
		if f == fieldTitle {
			v += coverageTitle / nq
		}
		ev.coverage += v
		if explain {
			ev.covTerm[k] = v
			ev.covField[f] += v
		}
	}
	if len(pairs) == 0 {
		return ev
	}
	np := float64(len(pairs))
	for p := range pairs {
		h := pairHits[p]
		var v float64
		f := fieldTitle
		if h[fieldTitle] > 0 {
			v = 1
		} else if body := h[fieldSummary] + h[fieldContent]; body > 0 {
			v = pairBodyWeight * float64(body) / float64(body+1)
			f = fieldContent
			if h[fieldSummary] >= h[fieldContent] {
				f = fieldSummary
			}
		}
		if v == 0 {
			continue
		}
		v /= np
		ev.proximity += v
		if explain {
			ev.proxPair[p] = v
			ev.proxField[f] += v
		}
	}
	return ev
}

// centroid is the mean of the documents' normalised TF-IDF vectors.
type centroid struct {
	vec  []float64
	norm float64
	idf  []float64
}

// termIDF is the smoothed idf used for vectors (centrality, similarity).
func termIDF(n int, df int32) float64 {
	return math.Log(float64(n+1) / float64(df))
}

func buildCentroid(c *corpus) *centroid {
	n := len(c.docs)
	ce := &centroid{vec: make([]float64, len(c.vocab)), idf: make([]float64, len(c.vocab))}
	for t, df := range c.df {
		if df > 0 {
			ce.idf[t] = termIDF(n, df)
		}
	}
	for i := range c.docs {
		d := &c.docs[i]
		var sq float64
		for k, t := range d.terms {
			w := (1 + math.Log(float64(d.counts[k]))) * ce.idf[t]
			sq += w * w
		}
		if sq == 0 {
			continue
		}
		inv := 1 / math.Sqrt(sq)
		for k, t := range d.terms {
			ce.vec[t] += (1 + math.Log(float64(d.counts[k]))) * ce.idf[t] * inv
		}
	}
	var sq float64
	for _, v := range ce.vec {
		sq += v * v
	}
	ce.norm = math.Sqrt(sq)
	return ce
}

// cosine is the cosine similarity of a document's vector with the centroid.
func (ce *centroid) cosine(terms []uint32, counts []uint32) float64 {
	if ce.norm == 0 {
		return 0
	}
	var dot, sq float64
	for k, t := range terms {
		w := (1 + math.Log(float64(counts[k]))) * ce.idf[t]
		dot += w * ce.vec[t]
		sq += w * w
	}
	if sq == 0 {
		return 0
	}
	return dot / (math.Sqrt(sq) * ce.norm)
}

// scoreCentralityRecency scores documents for an empty query: how typical
// each is of the set, and how recent relative to recencyReference.
func scoreCentralityRecency(c *corpus, ce *centroid, arts []models.Article, explain bool) ([]float64, []*models.Explanation) {
	n := len(c.docs)
	cent := make([]float64, n)
	parallel(n, func(_, i int) {
		cent[i] = ce.cosine(c.docs[i].terms, c.docs[i].counts)
	})
	maxCent := 0.0
	for _, v := range cent {
		maxCent = max(maxCent, v)
	}
	newest := recencyReference(arts)
	scores := make([]float64, n)
	var expl []*models.Explanation
	if explain {
		expl = make([]*models.Explanation, n)
	}
	for i := range n {
		ct := 0.0
		if maxCent > 0 {
			ct = cent[i] / maxCent
		}
		rec := 0.0
		if p := arts[i].Published; !p.IsZero() {
			age := max(newest.Sub(p), 0) // later than the reference: as recent as it
			rec = math.Exp2(-float64(age) / float64(recencyHalfLife))
		}
		scores[i] = centralityWeight*ct + recencyWeight*rec
		if explain {
			expl[i] = &models.Explanation{Centrality: round4(ct), Recency: round4(rec), Note: "empty query: 0.8 centrality + 0.2 recency"}
		}
	}
	return scores, expl
}

// recencyPercentile is the share of dated articles at or before the date
// recency is measured from.
const recencyPercentile = 0.9

// recencyReference is the date recency is measured from: the 90th
// percentile (nearest rank) of the articles' dates, not the newest, so that
// one article dated in the future (a feed's typo, "2099-01-01") neither
// ranks first on its date alone nor makes every other article look old.
// Dates after it count as the reference itself. In a set of fewer than ten
// dated articles it is the newest.
func recencyReference(arts []models.Article) time.Time {
	var dates []time.Time
	for i := range arts {
		if p := arts[i].Published; !p.IsZero() {
			dates = append(dates, p)
		}
	}
	if len(dates) == 0 {
		return time.Time{}
	}
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	k := int(math.Ceil(recencyPercentile*float64(len(dates)))) - 1
	return dates[min(max(k, 0), len(dates)-1)]
}

// round4 rounds to 4 decimals so tiny floating-point differences never
// change the output bytes or the order.
func round4(x float64) float64 {
	return math.Round(x*1e4) / 1e4
}

// Pseudo-relevance feedback (RM3, Abdul-Jaleel et al. 2004): the query is
// expanded with the terms that weigh most in the best-ranked articles, each
// article's term distribution weighted by its score, and the expansion's
// BM25 score is added to the first pass's. The weights are tuned on one
// half of the Cranfield dev queries and checked on the other
// (docs/quality.md).
const (
	// feedbackDocs is how many of the best-ranked articles feed back.
	feedbackDocs = 5
	// feedbackShare: the feedback articles are at most 1/feedbackShare of
	// the set.
	feedbackShare = 10
	// feedbackTerms is how many expansion terms are added.
	feedbackTerms = 20
	// feedbackWeight scales the expansion's score: feedbackWeight times the
	// number of query terms times a weighted average of the expansion
	// terms' BM25 scores, so it counts about as much as that share of the
	// original query (RM3's interpolation, with the original query's
	// weight 1/(1 + feedbackWeight)). Zero turns feedback off.
	feedbackWeight = 0.4
)

// expansionTerm is a feedback term and its weight in the relevance model.
type expansionTerm struct {
	id  uint32
	w   float64
	idf float64
}

// expandQuery adds the expansion's score to scores (and to the
// explanations): RM3 over the feedbackDocs best articles, the query's own
// terms excluded (they are scored already), at most feedbackTerms terms.
// Only articles that match the query are rescored: feedback reorders them
// (Cranfield: the same nDCG@10 as rescoring all) and leaves the set of
// relevant articles, and so the cost of what is computed over it (set
// keyphrases, summary), as it was.
func expandQuery(c *corpus, q []queryTerm, scores []float64, expl []*models.Explanation, weight float64) {
	n := len(c.docs)
	nq := 0
	inQuery := map[uint32]bool{}
	for _, t := range q {
		if t.id >= 0 {
			inQuery[uint32(t.id)] = true
			nq++
		}
	}
	if nq == 0 || n < 2 || weight <= 0 {
		return
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	// The feedback articles are at most a tenth of the set: in a small set
	// the best few are most of it, and their words are the set's, not the
	// question's.
	fb := order[:min(feedbackDocs, n/feedbackShare)]
	if len(fb) == 0 {
		return
	}
	var scoreSum float64
	for _, i := range fb {
		scoreSum += scores[i]
	}
	if scoreSum <= 0 {
		return
	}
	// The relevance model: P(t|R) = Σ_d P(t|d)·score(d)/Σ score.
	model := map[uint32]float64{}
	for _, i := range fb {
		d := &c.docs[i]
		var length float64
		for _, k := range d.counts {
			length += float64(k)
		}
		if length == 0 || scores[i] <= 0 {
			continue
		}
		w := scores[i] / scoreSum / length
		for k, t := range d.terms {
			// A term in one article only, or in nearly every article, says
			// nothing about relevance.
			if inQuery[t] || c.df[t] < 2 || float64(c.df[t]) > 0.5*float64(n) {
				continue
			}
			model[t] += w * float64(d.counts[k])
		}
	}
	terms := make([]expansionTerm, 0, len(model))
	for t, w := range model {
		terms = append(terms, expansionTerm{id: t, w: w, idf: idfBM25(n, c.df[t])})
	}
	slices.SortFunc(terms, func(a, b expansionTerm) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	terms = terms[:min(feedbackTerms, len(terms))]
	var wsum float64
	for _, t := range terms {
		wsum += t.w
	}
	if wsum == 0 {
		return
	}
	var avg float64
	for i := range c.docs {
		for f := range numFields {
			avg += float64(c.docs[i].flen[f])
		}
	}
	avg /= float64(n)
	scale := weight * float64(nq) / wsum
	parallel(n, func(_, i int) {
		if scores[i] <= 0 {
			return
		}
		d := &c.docs[i]
		length := float64(d.flen[fieldTitle] + d.flen[fieldSummary] + d.flen[fieldContent])
		norm := 1.0
		if avg > 0 {
			norm = 1 - bm25B + bm25B*length/avg
		}
		var total float64
		for _, t := range terms {
			k, ok := slices.BinarySearch(d.terms, t.id)
			if !ok {
				continue
			}
			tf := float64(d.counts[k]) / norm
			s := scale * t.w * t.idf * tf / (bm25K1 + tf)
			total += s
			if expl != nil {
				explainFeedback(c, d, expl[i], t.id, s)
			}
		}
		scores[i] += total
		if expl != nil && total > 0 {
			expl[i].Note += fmt.Sprintf(" + feedback %.4f (%d terms from the %d best articles)", total, len(terms), len(fb))
		}
	})
}

// explainFeedback adds an expansion term's share s of an article's score to
// its explanation: under the term's stem (marked "+") and split over the
// fields by the term's frequency in each.
func explainFeedback(c *corpus, d *doc, e *models.Explanation, t uint32, s float64) {
	if e.Terms == nil {
		e.Terms = map[string]float64{}
	}
	if e.Fields == nil {
		e.Fields = map[string]float64{}
	}
	e.Terms["+"+c.vocab[t]] += round4(s)
	var tf [numFields]int
	total := 0
	for f := range numFields {
		for _, tok := range d.toks[f] {
			if tok.Term == t && !tok.Is(text.FlagStop) {
				tf[f]++
				total++
			}
		}
	}
	for f := range numFields {
		if tf[f] > 0 {
			e.Fields[fieldNames[f]] = round4(e.Fields[fieldNames[f]] + s*float64(tf[f])/float64(total))
		}
	}
}
