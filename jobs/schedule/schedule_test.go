package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/jobs/schedule"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseAndSlot(t *testing.T) {
	tests := []struct {
		name, spec     string
		now            string
		slot, next     string
		uniquePeriod   time.Duration
		longestAtLeast time.Duration
	}{
		{"daily cron", "0 7 * * *", "2026-12-08T15:04:05Z", "2026-12-08T07:00:00Z", "2026-12-09T07:00:00Z", time.Minute, 24 * time.Hour},
		{"before today's fire", "0 7 * * *", "2026-12-08T06:59:59Z", "2026-12-07T07:00:00Z", "2026-12-08T07:00:00Z", time.Minute, 24 * time.Hour},
		{"exactly at the fire", "0 7 * * *", "2026-12-08T07:00:00Z", "2026-12-08T07:00:00Z", "2026-12-09T07:00:00Z", time.Minute, 24 * time.Hour},
		{"weekdays", "30 6 * * 1-5", "2026-12-13T12:00:00Z", "2026-12-11T06:30:00Z", "2026-12-14T06:30:00Z", time.Minute, 72 * time.Hour},
		{"descriptor", "@hourly", "2026-12-08T15:04:05Z", "2026-12-08T15:00:00Z", "2026-12-08T16:00:00Z", time.Minute, time.Hour},
		{"interval", "6h", "2026-12-08T15:04:05Z", "2026-12-08T12:00:00Z", "2026-12-08T18:00:00Z", 6 * time.Hour, 6 * time.Hour},
		{"every", "@every 24h", "2026-12-08T15:04:05Z", "2026-12-08T00:00:00Z", "2026-12-09T00:00:00Z", 24 * time.Hour, 24 * time.Hour},
		{"time zone", "CRON_TZ=Asia/Tokyo 0 9 * * *", "2026-12-08T15:04:05Z", "2026-12-08T00:00:00Z", "2026-12-09T00:00:00Z", time.Minute, 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := schedule.Parse(tc.spec)
			require.NoError(t, err)
			assert.Equal(t, at(tc.slot), s.Slot(at(tc.now)))
			assert.Equal(t, at(tc.next), s.Next(at(tc.now)))
			assert.Equal(t, tc.uniquePeriod, s.UniquePeriod())
			assert.GreaterOrEqual(t, s.Longest(at(tc.now)), tc.longestAtLeast)
			// A slot's unique bucket is the slot itself.
			assert.Equal(t, s.Slot(at(tc.now)), s.Slot(at(tc.now)).Truncate(s.UniquePeriod()))
		})
	}
}

func TestParseRejects(t *testing.T) {
	for name, spec := range map[string]string{
		"empty":         " ",
		"too short":     "30s",
		"not minutes":   "90s",
		"garbage":       "tomorrow-ish",
		"six fields":    "0 0 7 * * *",
		"never fires":   "0 7 31 2 *",
		"negative":      "-1h",
		"bad time zone": "CRON_TZ=Nowhere/Land 0 7 * * *",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := schedule.Parse(spec)
			assert.Error(t, err)
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0 7 * * *", "6h", "@daily", "@every 1h", "CRON_TZ=UTC 1 2 3 4 5", "*/5 * * * *"} {
		f.Add(s)
	}
	now := at("2026-12-08T15:04:05Z")
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := schedule.Parse(spec)
		if err != nil {
			return
		}
		slot := s.Slot(now)
		if slot.IsZero() {
			return // a cron that fires less than once in five years
		}
		if slot.After(now) || !s.Next(slot).After(slot) {
			t.Fatalf("%q: slot %s next %s", spec, slot, s.Next(slot))
		}
	})
}
