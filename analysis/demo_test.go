package analysis_test

import (
	"strings"
	"testing"

	"github.com/research-cli/research/analysis"
	"github.com/research-cli/research/analysis/eval"
	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoNDCG5Floor is the least nDCG@5 the ranking must reach on the demo set
// (testdata/analysis/demo-qrels.json, judged by hand). BM25F alone scored
// 0.6052 there, with coverage and proximity 0.9026; see docs/quality.md.
const demoNDCG5Floor = 0.85

// loadDemo reads the demo request (a capture of `research demo`: a
// query-retrieved set where every article is on-topic) and its judgements.
func loadDemo(t testing.TB) (*models.AnalysisRequest, map[string]float64) {
	t.Helper()
	req, gains, err := eval.LoadDemo("..")
	require.NoError(t, err)
	return req, gains
}

func TestDemoRankingNDCG(t *testing.T) {
	req, gains := loadDemo(t)
	rep := analysis.Analyze(req)
	ranked := eval.ShownRanking(rep)
	n5, n10 := eval.NDCG(ranked, gains, 5), eval.NDCG(ranked, gains, 10)
	t.Logf("demo set: nDCG@5 %.4f  nDCG@10 %.4f", n5, n10)
	titles := map[string]string{}
	for _, a := range req.Articles {
		titles[a.ID] = a.Title
	}
	for k, id := range ranked[:5] {
		t.Logf("  %d  grade %.0f  %s", k+1, gains[id], titles[id])
	}
	require.GreaterOrEqual(t, n5, demoNDCG5Floor, "demo nDCG@5")
}

func TestDemoSetKeyphrases(t *testing.T) {
	req, _ := loadDemo(t)
	rep := analysis.Analyze(req)
	var got []string
	for _, k := range rep.Keywords {
		got = append(got, k.Phrase)
	}
	t.Logf("set keyphrases: %q", got)
	require.GreaterOrEqual(t, len(got), 10)
	top := got[:10]
	for _, want := range []string{"sparse attention", "long documents", "sliding window", "global tokens"} {
		assert.Contains(t, top, want)
	}
	for _, k := range rep.Keywords[:5] {
		assert.GreaterOrEqual(t, k.Articles, 3, "%q characterises the set, so several articles carry it", k.Phrase)
	}
	for _, title := range req.Articles {
		assert.NotContains(t, top, strings.ToLower(title.Title), "a title is not a set keyphrase")
	}
}
