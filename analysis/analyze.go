// Package analysis is the pure text analysis behind research-analyze: the
// text pipeline (analysis/text), BM25F ranking, keyphrases, a query-focused
// extractive summary, near-duplicate groups and statistics. It does no I/O,
// starts no process and reads no configuration: a request in, a report out,
// the same bytes for the same request.
package analysis

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// Version is the analyzer's version, printed by research-analyze --version.
const Version = "0.2.0"

// wordsPerMinute is the reading speed behind stats.reading_minutes.
const wordsPerMinute = 230

// Analyze analyses a request that has passed models.AnalysisRequest.Validate.
func Analyze(req *models.AnalysisRequest) *models.AnalysisReport {
	if len(req.Articles) == 0 {
		return models.NewEmptyReport(req.Query)
	}
	opts := req.Options.Resolve()
	arts := req.Articles
	n := len(arts)
	c := buildCorpus(arts)
	ce := buildCentroid(c)

	q := parseQuery(c, req.Query)
	hasQuery := false
	for _, t := range q {
		if t.id >= 0 {
			hasQuery = true
		}
	}
	var scores []float64
	var expl []*models.Explanation
	if strings.TrimSpace(req.Query) != "" {
		scores, expl = scoreBM25F(c, q, opts.Explain)
	} else {
		scores, expl = scoreCentralityRecency(c, ce, arts, opts.Explain)
	}
	for i := range scores {
		scores[i] = round4(scores[i])
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if scores[a] != scores[b] {
			return cmp.Compare(scores[b], scores[a])
		}
		return strings.Compare(arts[a].ID, arts[b].ID)
	})
	rankPos := make([]int, n)
	for p, i := range order {
		rankPos[i] = p
	}
	// rel is each article's relevance in [0, 1], used to weigh its
	// contribution to the set's keyphrases and summary.
	rel := make([]float64, n)
	maxScore := 0.0
	for _, s := range scores {
		maxScore = max(maxScore, s)
	}
	for i := range rel {
		if maxScore > 0 {
			rel[i] = scores[i] / maxScore
		} else {
			rel[i] = 1
		}
	}
	_ = hasQuery

	dupOf, groups := findDuplicates(c, arts, rankPos)
	artKeys, setKeys := keyphrases(c, rel, order, opts.MaxArticleKeywords, opts.MaxKeywords)
	summary := summarize(c, ce, arts, q, order, rel, dupOf, opts.MaxSummarySentences)

	rep := models.NewEmptyReport(req.Query)
	rep.Keywords = setKeys
	rep.Summary = summary
	rep.Groups = groups
	rep.Ranking = make([]models.RankedArticle, n)
	for p, i := range order {
		ra := models.RankedArticle{ID: arts[i].ID, Score: scores[i], Keywords: artKeys[i]}
		if dupOf[i] >= 0 {
			ra.DuplicateOf = arts[dupOf[i]].ID
			rep.Stats.Duplicates++
		}
		if expl != nil {
			ra.Explain = expl[i]
		}
		rep.Ranking[p] = ra
	}
	rep.Stats.Articles = n
	for i := range arts {
		rep.Stats.Words += c.docs[i].words
		rep.Stats.BySource[arts[i].Source]++
		if p := arts[i].Published; !p.IsZero() {
			rep.Stats.ByDay[p.UTC().Format("2006-01-02")]++
		}
	}
	rep.Stats.ReadingMinutes = math.Round(float64(rep.Stats.Words)/wordsPerMinute*10) / 10
	return rep
}

// keyphrases returns each article's keyphrases (indexed like the articles)
// and the set's, weighted by the articles' relevance.
func keyphrases(c *corpus, rel []float64, order []int, perArticle, forSet int) ([][]string, []models.Keyword) {
	n := len(c.docs)
	ps := samplePhraseDF(c)
	keep := max(perArticle, setKeep)
	picked := make([][]phrase, n)
	shown := make([][]string, n)
	hashes := make([][]uint64, n)
	workers := numWorkers(n)
	idxs := make([]map[uint64]int, workers)
	ans := make([]*text.Analyzer, workers)
	for w := range workers {
		idxs[w] = make(map[uint64]int, 1024)
		ans[w] = text.NewAnalyzer()
	}
	parallel(n, func(w, i int) {
		d := &c.docs[i]
		cands := candidates(d, idxs[w])
		hs := make([]uint64, len(cands))
		for k := range cands {
			hs[k] = cands[k].hash
			cands[k].setKey = setKey(d, &cands[k])
		}
		slices.Sort(hs)
		hashes[i] = hs
		scorePhrases(ps, cands)
		sel := selectPhrases(cands, keep, func(p *phrase) string { return displayPhrase(ans[w], d, p) })
		picked[i] = sel
		strs := make([]string, len(sel))
		for k := range sel {
			strs[k] = displayPhrase(ans[w], d, &sel[k])
		}
		shown[i] = strs
	})
	artKeys := make([][]string, n)
	for i := range n {
		artKeys[i] = slices.Clip(shown[i][:min(perArticle, len(shown[i]))])
	}
	if forSet == 0 {
		return artKeys, []models.Keyword{}
	}

	// The set's keyphrases: each article's best phrases, its score scaled to
	// the article's best and weighted by the article's relevance.
	type agg struct {
		p       phrase
		display string
		score   float64
	}
	byHash := map[uint64]*agg{}
	var aggs []*agg
	for _, i := range order {
		if rel[i] == 0 || len(picked[i]) == 0 {
			continue
		}
		top := picked[i][0].score
		for k := range picked[i] {
			p := &picked[i][k]
			a, ok := byHash[p.hash]
			if !ok {
				a = &agg{p: *p, display: shown[i][k]}
				byHash[p.hash] = a
				aggs = append(aggs, a)
			}
			a.score += rel[i] * p.score / top
		}
	}
	cands := make([]phrase, len(aggs))
	display := map[uint64]string{}
	for k, a := range aggs {
		cands[k] = a.p
		cands[k].score = a.score
		display[a.p.hash] = a.display
	}
	sel := selectPhrases(cands, forSet, func(p *phrase) string { return display[p.hash] })
	out := make([]models.Keyword, 0, len(sel))
	for k := range sel {
		h := sel[k].hash
		count := 0
		for i := range n {
			if _, ok := slices.BinarySearch(hashes[i], h); ok {
				count++
			}
		}
		out = append(out, models.Keyword{
			Phrase:   display[h],
			Score:    round4(sel[k].score / sel[0].score),
			Articles: count,
		})
	}
	return artKeys, out
}
