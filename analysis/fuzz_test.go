package analysis

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/require"
)

// FuzzAnalyze feeds arbitrary text into every field of a small request and
// checks the contract's invariants: no panic, every article ranked once,
// summary sentences verbatim, limits respected, the report encodable.
func FuzzAnalyze(f *testing.F) {
	f.Add("attention", "Attention is all you need", "The attention mechanism weighs tokens. It works well.", "Self-attention, revisited.", 2)
	f.Add("", "", "", "", 0)
	f.Add("ﬁ ｆｕｌｌ", "Ünïcödé", "Ça va? Oui!! — très bien… 日本語のテキスト。", "\xff\xfe", 5)
	f.Add("a a a", "a a a", strings.Repeat("word ", 300), strings.Repeat("Same sentence here. ", 40), 1)
	f.Fuzz(func(t *testing.T, query, title, content, summary string, k int) {
		k = min(max(k, 0), 20)
		req := &models.AnalysisRequest{Version: 1, Query: query, Articles: []models.Article{
			{ID: "a", Source: "s", Title: title, Content: content, Summary: summary},
			{ID: "b", Source: "s", Title: summary, Content: content},
			{ID: "c", Source: "t", Title: content, Summary: title},
		}, Options: &models.AnalysisOptions{MaxKeywords: &k, MaxSummarySentences: &k, MaxArticleKeywords: &k}}
		rep := Analyze(req)
		require.Len(t, rep.Ranking, 3)
		seen := map[string]bool{}
		for _, r := range rep.Ranking {
			require.False(t, seen[r.ID])
			seen[r.ID] = true
			require.LessOrEqual(t, len(r.Keywords), k)
		}
		require.LessOrEqual(t, len(rep.Keywords), k)
		require.LessOrEqual(t, len(rep.Summary), k)
		byID := map[string]models.Article{}
		for _, a := range req.Articles {
			byID[a.ID] = a
		}
		for _, s := range rep.Summary {
			a := byID[s.ArticleID]
			require.True(t, strings.Contains(a.Summary, s.Text) || strings.Contains(a.Content, s.Text), "%q", s.Text)
		}
		_, err := json.Marshal(rep)
		require.NoError(t, err)
	})
}
