package analysis

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpensWithReference(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		// From the demo set (testdata/analysis/demo-request.json).
		{"demo: those two, mid-sentence", "If you evaluate a sparse attention model for long documents, use those two, and report accuracy by answer position rather than a single number.", true},
		{"demo: those + noun", "Those benchmarks reward models with good attention to the ends of the input, which is exactly the bias long-context models already have.", true},
		{"demo: it", "It is an article of faith that attention is quadratic and therefore the bottleneck.", true},
		{"demo: both", "Both are now standard, and both leave the cache growing linearly with the document.", true},
		{"demo: a statement that stands alone", "Sparse attention pays off only for long documents.", false},
		{"demo: instead of", "Instead of attending over a million tokens, the reader keeps a sliding window over the passage it is reading.", false},
		{"demo: the two + noun", "Only the two benchmarks whose answers were placed uniformly at random separated the models.", false},
		{"however", "However, the kernels only pay off above 8k tokens.", true},
		{"they", "They found no gain below 4k tokens.", true},
		{"such", "Such patterns are cheap to compute.", true},
		{"quoted this", "\"This changes everything,\" the author wrote in the announcement.", true},
		{"connective with comma", "Still, the window alone is not enough for long documents.", true},
		{"connective word without comma", "Still images are compressed with a different codec entirely.", false},
		{"opening phrase", "On the other hand, dense attention is simpler to implement.", true},
		{"the latter", "The latter scales linearly with the length of the input.", true},
		{"the two are", "The two are equally fast on short inputs.", true},
		{"these three at the end", "We compared dense, sliding and block-sparse attention and recommend these three.", true},
		{"a name", "Northwind Labs released Kestrel on Tuesday.", false},
		{"there is", "There is no free lunch in attention.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, opensWithReference(tc.in))
		})
	}
}

// checkReferencesResolved asserts that every summary sentence that refers
// back comes right after the sentence before it in its article.
func checkReferencesResolved(t *testing.T, arts []models.Article, sum []models.SummarySentence) {
	t.Helper()
	byID := map[string]*models.Article{}
	for i := range arts {
		byID[arts[i].ID] = &arts[i]
	}
	for k, s := range sum {
		if !opensWithReference(s.Text) {
			continue
		}
		require.Positive(t, k, "the summary opens with %q, which refers back", s.Text)
		prev := sum[k-1]
		require.Equal(t, s.ArticleID, prev.ArticleID, "%q follows a sentence of another article", s.Text)
		a := byID[s.ArticleID]
		body := a.Summary + "\n" + a.Content
		at := strings.Index(body, s.Text)
		require.GreaterOrEqual(t, at, 0)
		before := strings.TrimSpace(body[:at])
		assert.True(t, strings.HasSuffix(before, prev.Text), "%q comes right after %q, which is not the sentence before it", s.Text, prev.Text)
	}
}

func TestSummaryResolvesReferences(t *testing.T) {
	// The most central sentence opens with "This": it may only come right
	// after the sentence it refers to.
	content := strings.Join([]string{
		"The city council approved a new tram line on Monday after a long debate.",
		"This tram line will connect the northern districts with the central station, the university and the hospital.",
		"The tram line to the northern districts is expected to carry forty thousand passengers a day.",
		"Building the tram line through the northern districts will take four years and cost 600 million euros.",
		"Residents of the northern districts have waited for a tram line to the central station for decades.",
		"Opponents said the money would be better spent on buses and cycle paths.",
	}, "\n")
	arts := []models.Article{art("tram", "Council approves tram line", content)}
	for k := 1; k <= 4; k++ {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: arts, Options: &models.AnalysisOptions{MaxSummarySentences: intp(k)}})
			require.NotEmpty(t, rep.Summary)
			assert.LessOrEqual(t, len(rep.Summary), k)
			checkReferencesResolved(t, arts, rep.Summary)
		})
	}
	// With room for both, the central sentence comes with its antecedent.
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: arts, Options: &models.AnalysisOptions{MaxSummarySentences: intp(3)}})
	var texts []string
	for _, s := range rep.Summary {
		texts = append(texts, s.Text)
	}
	assert.Contains(t, texts, strings.Split(content, "\n")[1], "the most central sentence is chosen, with the one it refers to")
}

func TestDemoSummaryResolvesReferences(t *testing.T) {
	req, err := loadRequest("..", "demo-request.json")
	require.NoError(t, err)
	for _, k := range []int{3, 5, 8, 12} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			r := *req
			r.Options = &models.AnalysisOptions{MaxSummarySentences: intp(k)}
			rep := Analyze(&r)
			require.NotEmpty(t, rep.Summary)
			checkReferencesResolved(t, req.Articles, rep.Summary)
		})
	}
}

func TestSummaryCentralityNotPosition(t *testing.T) {
	// The first sentence is a good sentence that shares nothing with the
	// rest; the summary's one sentence is the one the others agree with.
	content := strings.Join([]string{
		"Readers wrote to us in large numbers over the holidays about many different things.",
		"The new battery stores twice the energy of a lithium-ion cell of the same weight.",
		"The battery cell keeps ninety percent of its energy after two thousand charging cycles.",
		"Engineers expect the battery to reach electric cars within five years, at a lower cost per cell.",
		"A battery of this chemistry also charges to eighty percent of its energy in twelve minutes.",
	}, "\n")
	arts := []models.Article{art("bat", "A better battery", content)}
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: arts, Options: &models.AnalysisOptions{MaxSummarySentences: intp(1)}})
	require.Len(t, rep.Summary, 1)
	assert.Contains(t, rep.Summary[0].Text, "battery")
	assert.NotContains(t, rep.Summary[0].Text, "Readers wrote")
}

func TestSummaryGraphIsBounded(t *testing.T) {
	// 25 articles of 40 sentences: more candidates than summaryGraph, so the
	// pre-score chooses the graph; the result is still cited, bounded and
	// the same every time.
	words := strings.Fields("flood gauge rainfall upstream bridge meadow harbour lock weir barge dyke polder pump " +
		"canal delta estuary marsh reservoir sluice tide turbine valley village culvert ferry")
	var arts []models.Article
	for a := range 25 {
		var b strings.Builder
		for s := range 40 {
			w := func(k int) string { return words[(a*7+s*3+k*5)%len(words)] }
			fmt.Fprintf(&b, "The river level near the %s rose while the %s and the %s stayed calm at station %d.\n", w(0), w(1), w(2), s)
		}
		arts = append(arts, art(fmt.Sprintf("a%02d", a), fmt.Sprintf("River levels, report %d", a), b.String()))
	}
	req := &models.AnalysisRequest{Version: 1, Query: "river level", Articles: arts, Options: &models.AnalysisOptions{MaxSummarySentences: intp(6)}}
	c := buildCorpus(arts)
	top := make([]int, len(arts))
	for i := range top {
		top[i] = i
	}
	require.Greater(t, len(summaryCandidates(c, top, nil, buildCentroid(c))), summaryGraph, "the case exercises the bound")
	first := Analyze(req)
	require.NotEmpty(t, first.Summary)
	assert.LessOrEqual(t, len(first.Summary), 6)
	for _, s := range first.Summary {
		assert.Contains(t, s.Text, "river level")
	}
	again := Analyze(req)
	assert.Equal(t, first.Summary, again.Summary)
}

// loadRequest reads and validates a request under testdata/analysis of the
// module root root.
func loadRequest(root, name string) (*models.AnalysisRequest, error) {
	raw, err := os.ReadFile(filepath.Join(root, "testdata", "analysis", name))
	if err != nil {
		return nil, err
	}
	var req models.AnalysisRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	return &req, req.Validate()
}
