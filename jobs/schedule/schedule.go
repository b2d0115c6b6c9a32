// Package schedule parses when a digest runs: a cron expression
// ("0 7 * * *", "@daily", "CRON_TZ=Europe/Paris 0 7 * * 1-5") or an interval
// ("6h", "@every 30m"), and names each run's period (its slot) so that
// every worker computes the same one.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a parsed digest schedule. Cron expressions are read in UTC
// unless they start with CRON_TZ=Zone; intervals are aligned to the Unix epoch
// in UTC (24h fires at 00:00 UTC, 6h at 00:00, 06:00, 12:00, 18:00 UTC).
type Schedule struct {
	spec     string
	interval time.Duration
	cron     cron.Schedule
}

// MinInterval is the shortest interval accepted: a digest researches every
// source of every topic, and a queue of them every few seconds helps no one.
const MinInterval = time.Minute

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse reads spec: a duration ("90m", "@every 6h") or a cron expression.
func Parse(spec string) (Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return Schedule{}, errors.New("empty schedule")
	}
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		s = strings.TrimSpace(rest)
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < MinInterval {
			return Schedule{}, fmt.Errorf("schedule %q: the interval must be at least %s", spec, MinInterval)
		}
		if d%time.Minute != 0 {
			return Schedule{}, fmt.Errorf("schedule %q: the interval must be whole minutes", spec)
		}
		return Schedule{spec: spec, interval: d}, nil
	}
	c, err := parser.Parse(s)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: neither an interval (6h) nor a cron expression (0 7 * * *): %w", spec, err)
	}
	if _, ok := c.(*cron.ConstantDelaySchedule); ok {
		return Schedule{}, fmt.Errorf("schedule %q: write an interval as 6h", spec)
	}
	if c.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q never fires", spec)
	}
	return Schedule{spec: spec, cron: c}, nil
}

// String is the schedule as written.
func (s Schedule) String() string { return s.spec }

// IsZero reports whether s is the zero Schedule (no schedule).
func (s Schedule) IsZero() bool { return s.interval == 0 && s.cron == nil }

// Next is the first slot strictly after t (River's PeriodicSchedule).
func (s Schedule) Next(t time.Time) time.Time {
	t = t.UTC()
	if s.interval > 0 {
		return t.Truncate(s.interval).Add(s.interval)
	}
	return s.cron.Next(t).UTC()
}

// Slot is the period t falls in: the last slot at or before t. Every worker
// computes the same slot for the same moment, whoever fires the schedule.
func (s Schedule) Slot(t time.Time) time.Time {
	t = t.UTC()
	if s.interval > 0 {
		return t.Truncate(s.interval)
	}
	// The cron library only looks forward: find a fire before t, widening the
	// window, then walk forward to the last one not after t.
	t = t.Truncate(time.Minute)
	for back := time.Hour; back <= 5*366*24*time.Hour; back *= 2 {
		f := s.cron.Next(t.Add(-back - time.Second))
		if f.IsZero() || f.After(t) {
			continue
		}
		for {
			n := s.cron.Next(f)
			if n.IsZero() || n.After(t) {
				return f.UTC()
			}
			f = n
		}
	}
	return time.Time{}
}

// UniquePeriod is the unique-job period for jobs whose scheduled time is
// their slot: slots never share a bucket of this size, and a slot's bucket is
// the slot itself (an interval's slots are multiples of it; cron slots are
// whole minutes).
func (s Schedule) UniquePeriod() time.Duration {
	if s.interval > 0 {
		return s.interval
	}
	return time.Minute
}

// Longest is a bound on the time between two slots, for how long finished
// jobs are kept (their uniqueness must outlive their period).
func (s Schedule) Longest(from time.Time) time.Duration {
	if s.interval > 0 {
		return s.interval
	}
	longest := time.Duration(0)
	t := from.UTC()
	for range 400 {
		n := s.cron.Next(t)
		if n.IsZero() {
			break
		}
		longest = max(longest, n.Sub(t))
		t = n
	}
	return longest
}
