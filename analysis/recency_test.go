package analysis

import (
	"fmt"
	"testing"
	"time"

	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecencyReference(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	future := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	dated := func(ts ...time.Time) []models.Article {
		var out []models.Article
		for i, p := range ts {
			out = append(out, models.Article{ID: fmt.Sprint(i), Source: "s", Published: p})
		}
		return out
	}
	days := func(from, to int) []time.Time {
		var out []time.Time
		for d := from; d <= to; d++ {
			out = append(out, day(d))
		}
		return out
	}
	cases := []struct {
		name string
		arts []models.Article
		want time.Time
	}{
		{"none dated", dated(time.Time{}, time.Time{}), time.Time{}},
		{"one dated", dated(time.Time{}, day(3)), day(3)},
		{"few: the newest", dated(day(1), day(5), day(2)), day(5)},
		{"twenty and one from 2099", dated(append(days(1, 20), future)...), day(19)},
		{"nine: the newest", dated(days(1, 9)...), day(9)},
		{"ten: the second newest", dated(days(1, 10)...), day(9)},
		{"eleven, newest in the future", dated(append(days(1, 10), future)...), day(10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, recencyReference(tc.arts))
		})
	}
}

// TestFutureDateDoesNotWreckRecency: one item dated 2099 among twenty from
// November 2026 must not rank first on its date alone, and the others'
// recency must still spread from fresh to old.
func TestFutureDateDoesNotWreckRecency(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	text := "Rust compiler borrow checker lifetimes ownership memory safety and the standard library. "
	var arts []models.Article
	for d := 1; d <= 20; d++ {
		arts = append(arts, models.Article{ID: fmt.Sprintf("d%02d", d), Source: "s", Title: "Rust notes",
			URL: fmt.Sprintf("https://example.org/%d", d), Content: text, Published: day(d)})
	}
	arts = append(arts, models.Article{ID: "future", Source: "s", Title: "Rust notes", URL: "https://example.org/f",
		Content: text, Published: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: arts, Options: &models.AnalysisOptions{Explain: true}})
	rec := map[string]float64{}
	score := map[string]float64{}
	for _, r := range rep.Ranking {
		require.NotNil(t, r.Explain)
		rec[r.ID], score[r.ID] = r.Explain.Recency, r.Score
	}
	assert.Equal(t, 1.0, rec["future"], "clamped to the reference")
	assert.Equal(t, 1.0, rec["d20"], "beyond the reference counts as the reference")
	assert.Equal(t, 1.0, rec["d19"])
	assert.InDelta(t, 0.5, rec["d12"], 0.001, "a week before the reference: half")
	assert.Greater(t, rec["d12"], rec["d05"])
	assert.Equal(t, score["d20"], score["future"], "the future date earns nothing more")
	assert.NotEqual(t, "future", rep.Ranking[0].ID, "ties by id: d19 and d20 come first")
}
