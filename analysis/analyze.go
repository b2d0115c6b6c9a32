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

	"github.com/research-cli/research/models"
)

// Version is the analyzer's version, printed by research-analyze --version.
const Version = "0.3.0"

// wordsPerMinute is the reading speed behind stats.reading_minutes.
const wordsPerMinute = 230

// Analyze analyses a request that has passed models.AnalysisRequest.Validate.
func Analyze(req *models.AnalysisRequest) *models.AnalysisReport {
	if len(req.Articles) == 0 {
		return models.NewEmptyReport(req.Query)
	}
	opts := clampOptions(req.Options.Resolve())
	arts := req.Articles
	n := len(arts)
	c := buildCorpus(arts)
	ce := buildCentroid(c)

	q, scores, expl, order := rank(c, ce, req, opts.Explain)
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

	dupOf, groups := findDuplicates(c, arts, rankPos)
	artKeys, setKeys := keyphrases(c, rel, order, dupOf, opts.MaxArticleKeywords, opts.MaxKeywords)
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

// clampOptions bounds the sizes a request asks for to [0, models.MaxOption]:
// Validate rejects anything outside, but Analyze must not index out of
// range or overflow if handed an unvalidated request.
func clampOptions(o models.ResolvedOptions) models.ResolvedOptions {
	c := func(v int) int { return min(max(v, 0), models.MaxOption) }
	o.MaxKeywords = c(o.MaxKeywords)
	o.MaxSummarySentences = c(o.MaxSummarySentences)
	o.MaxArticleKeywords = c(o.MaxArticleKeywords)
	return o
}

// capMul returns min(a*b, limit) for non-negative a, b and limit, without
// overflowing: an option-derived size is never larger than what it sizes.
func capMul(a, b, limit int) int {
	if a < 0 || b < 0 || limit <= 0 {
		return 0
	}
	if b != 0 && a > limit/b {
		return limit
	}
	return min(a*b, limit)
}

// Rank orders a validated request's articles by relevance, as Analyze does,
// without the rest of the analysis (keywords are left empty). Evaluations
// use it.
func Rank(req *models.AnalysisRequest) []models.RankedArticle {
	out := []models.RankedArticle{}
	if len(req.Articles) == 0 {
		return out
	}
	c := buildCorpus(req.Articles)
	var ce *centroid
	if strings.TrimSpace(req.Query) == "" {
		ce = buildCentroid(c)
	}
	opts := req.Options.Resolve()
	_, scores, expl, order := rank(c, ce, req, opts.Explain)
	for _, i := range order {
		ra := models.RankedArticle{ID: req.Articles[i].ID, Score: scores[i], Keywords: []string{}}
		if expl != nil {
			ra.Explain = expl[i]
		}
		out = append(out, ra)
	}
	return out
}

// rank scores the articles (BM25F for a query, centrality and recency
// without) and returns the parsed query, the rounded scores, the optional
// explanations and the article indexes best first, ties by id.
func rank(c *corpus, ce *centroid, req *models.AnalysisRequest, explain bool) ([]queryTerm, []float64, []*models.Explanation, []int) {
	arts := req.Articles
	q := parseQuery(c, req.Query)
	var scores []float64
	var expl []*models.Explanation
	if strings.TrimSpace(req.Query) != "" {
		scores, expl = scoreBM25F(c, q, explain)
	} else {
		scores, expl = scoreCentralityRecency(c, ce, arts, explain)
	}
	for i := range scores {
		scores[i] = round4(scores[i])
	}
	order := make([]int, len(arts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if scores[a] != scores[b] {
			return cmp.Compare(scores[b], scores[a])
		}
		return strings.Compare(arts[a].ID, arts[b].ID)
	})
	return q, scores, expl, order
}
