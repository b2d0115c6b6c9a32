package analysis

import (
	"math"
	"testing"

	"github.com/research-cli/research/analysis/synth"
	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHugeOptionsDoNotCrash hands Analyze sizes Validate would reject: it
// must clamp them, not overflow a multiplication or slice out of range.
func TestHugeOptionsDoNotCrash(t *testing.T) {
	req := synth.Request(30, 800, 7, "kalo")
	cases := []struct {
		name string
		opts models.AnalysisOptions
	}{
		{"max int keywords", models.AnalysisOptions{MaxKeywords: intp(math.MaxInt)}},
		{"max int summary sentences", models.AnalysisOptions{MaxSummarySentences: intp(math.MaxInt)}},
		{"max int article keywords", models.AnalysisOptions{MaxArticleKeywords: intp(math.MaxInt)}},
		{"all max int", models.AnalysisOptions{MaxKeywords: intp(math.MaxInt), MaxSummarySentences: intp(math.MaxInt), MaxArticleKeywords: intp(math.MaxInt)}},
		{"overflowing products", models.AnalysisOptions{MaxKeywords: intp(math.MaxInt/12 + 1), MaxArticleKeywords: intp(math.MaxInt/3 + 1)}},
		{"the cap", models.AnalysisOptions{MaxKeywords: intp(models.MaxOption), MaxSummarySentences: intp(models.MaxOption), MaxArticleKeywords: intp(models.MaxOption)}},
		{"negative", models.AnalysisOptions{MaxKeywords: intp(-5), MaxSummarySentences: intp(math.MinInt), MaxArticleKeywords: intp(-1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := *req
			r.Options = &tc.opts
			var rep *models.AnalysisReport
			require.NotPanics(t, func() { rep = Analyze(&r) })
			assert.Len(t, rep.Ranking, len(req.Articles))
			assert.LessOrEqual(t, len(rep.Keywords), models.MaxOption)
		})
	}
}

func TestCapMul(t *testing.T) {
	cases := []struct {
		name        string
		a, b, limit int
		want        int
	}{
		{"small", 3, 4, 100, 12},
		{"limited", 12, 10, 50, 50},
		{"overflow", 12, math.MaxInt, 7, 7},
		{"both huge", math.MaxInt, math.MaxInt, 1 << 40, 1 << 40},
		{"zero factor", 0, math.MaxInt, 9, 0},
		{"zero limit", 3, 3, 0, 0},
		{"negative factor", -1, 3, 9, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, capMul(tc.a, tc.b, tc.limit))
		})
	}
}
