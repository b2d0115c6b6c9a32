package analysis

import (
	"fmt"
	"math"
	"runtime"
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

// TestWorkerPanicReachesTheCaller injects a panic into one item of a
// parallel step: it must come out of Analyze on the calling goroutine as a
// *WorkerPanic (so research-analyze's recover turns it into exit status 1),
// and no worker goroutine may be left behind (goleak in TestMain).
func TestWorkerPanicReachesTheCaller(t *testing.T) {
	req := synth.Request(40, 500, 3, "kalo")
	cases := []struct {
		name string
		at   int
	}{
		{"first item", 0},
		{"middle item", 17},
		{"last item", 39},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testHookItem = func(i int) {
				if i == tc.at {
					panic(fmt.Sprintf("injected at %d", i))
				}
			}
			defer func() { testHookItem = nil }()
			var got any
			func() {
				defer func() { got = recover() }()
				Analyze(req)
			}()
			require.NotNil(t, got, "the panic must reach the caller")
			if runtime.GOMAXPROCS(0) > 1 {
				wp, ok := got.(*WorkerPanic)
				require.True(t, ok, "got %T %v", got, got)
				assert.Equal(t, fmt.Sprintf("injected at %d", tc.at), wp.Value)
				assert.Contains(t, string(wp.Stack), "TestWorkerPanicReachesTheCaller", "the worker's own stack")
				assert.Contains(t, wp.Error(), "injected at")
			}
		})
	}
}
