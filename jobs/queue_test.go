package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/jobs/schedule"
)

func TestFileName(t *testing.T) {
	p := time.Date(2026, 12, 8, 7, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct{ name, digest, format, prefix, ext string }{
		{"plain", "digest", "markdown", "digest-2026-12-08T0600Z-", ".md"},
		{"per topic", "digest/rust async", "html", "digest_rust_async-2026-12-08T0600Z-", ".html"},
		{"path tricks", "../../etc/passwd", "text", "______etc_passwd-2026-12-08T0600Z-", ".txt"},
		{"json", "g", "json", "g-2026-12-08T0600Z-", ".json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := FileName(tc.digest, p, tc.format)
			assert.Equal(t, filepath.Base(n), n, "a bare file name")
			assert.True(t, len(n) > len(tc.prefix) && n[:len(tc.prefix)] == tc.prefix, n)
			assert.Equal(t, tc.ext, filepath.Ext(n))
		})
	}
	assert.NotEqual(t, FileName("a b", p, "text"), FileName("a_b", p, "text"), "names that sanitise alike stay apart")
}

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

func (f delivererFunc) Deliver(ctx context.Context, d DeliveryArgs) error { return f() }
