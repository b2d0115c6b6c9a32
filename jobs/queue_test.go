package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/jobs/schedule"
	"github.com/research-cli/research/store"
)

func TestOptionsDefaultsAndRescueBound(t *testing.T) {
	o := Options{Builder: builderFunc(nil), Deliverer: delivererFunc(nil)}
	require.NoError(t, o.defaults())
	assert.Equal(t, 90*time.Second, o.DigestTimeout)
	assert.Equal(t, 2*time.Minute, o.RescueAfter, "the longer timeout + 30 s")
	assert.NotEmpty(t, o.ID)

	short := Options{Builder: builderFunc(nil), Deliverer: delivererFunc(nil), DigestTimeout: time.Minute, RescueAfter: 30 * time.Second}
	assert.ErrorContains(t, short.defaults(), "shorter than a job's timeout")

	s, err := schedule.Parse("1h")
	require.NoError(t, err)
	twice := Options{Builder: builderFunc(nil), Deliverer: delivererFunc(nil), Plans: []Plan{{Name: "x", Schedule: s}, {Name: "x", Schedule: s}}}
	assert.ErrorContains(t, twice.defaults(), "defined twice")
	assert.Error(t, (&Options{}).defaults(), "a builder and a deliverer are required")
}

func TestDigestParamsAreUniquePerPeriod(t *testing.T) {
	s, err := schedule.Parse("0 7 * * *")
	require.NoError(t, err)
	slot := s.Slot(time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC))
	ps := digestParams(Plan{Name: "d", Schedule: s, Digests: []Digest{{Name: "d/a", Topics: []string{"a"}}, {Name: "d/b", Topics: []string{"b"}}}}, slot, 3)
	require.Len(t, ps, 2)
	for _, p := range ps {
		assert.Equal(t, QueueDigest, p.InsertOpts.Queue)
		assert.Equal(t, slot, p.InsertOpts.ScheduledAt)
		assert.True(t, p.InsertOpts.UniqueOpts.ByArgs)
		assert.Equal(t, time.Minute, p.InsertOpts.UniqueOpts.ByPeriod)
		assert.Equal(t, slot, p.InsertOpts.ScheduledAt.Truncate(p.InsertOpts.UniqueOpts.ByPeriod), "the slot is its own unique bucket")
		assert.Equal(t, 3, p.InsertOpts.MaxAttempts)
	}
}

type builderFunc func() (*Built, error)

func (f builderFunc) Build(ctx context.Context, req BuildRequest) (*Built, error) { return f() }

type delivererFunc func() error

func (f delivererFunc) Deliver(context.Context, string, store.OutboxDigest) error { return f() }

// River fires a periodic job up to 100 ms early: that firing is for the new
// period, not the one before it.
func TestFiringSlotToleratesAnEarlyFiring(t *testing.T) {
	for _, spec := range []string{"0 7 * * *", "6h", "*/5 * * * *"} {
		s, err := schedule.Parse(spec)
		require.NoError(t, err)
		next := s.Next(time.Date(2026, 12, 8, 5, 1, 0, 0, time.UTC))
		assert.Equal(t, next, firingSlot(s, next.Add(-100*time.Millisecond)), spec)
		assert.Equal(t, next, firingSlot(s, next), spec)
		assert.Equal(t, next, firingSlot(s, next.Add(3*time.Second)), spec)
	}
}
