package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/store"
)

func pendingDigest(key string, targets ...string) store.PendingDigest {
	now := time.Now()
	return store.PendingDigest{Key: key, Subject: "Research digest", New: 2,
		Bodies:  store.Bodies{Text: "text " + key, Markdown: "md", HTML: "<p>html</p>", JSON: `{"new":2}`},
		Targets: targets,
		Records: []store.Record{{Run: store.Run{Topic: "go", StartedAt: now, FinishedAt: now, New: 2},
			Items: []store.Item{{CanonicalURL: "https://a.example/1", TitleKey: "first story title"},
				{CanonicalURL: "https://a.example/2", TitleKey: "second story title"}}}},
	}
}

func TestOutboxItemsAreSentOnlyWhenEveryTargetTookTheDigest(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	l, err := s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err)

	id, err := s.RecordPending(ctx, l, pendingDigest("k1", "mail", "hook"))
	require.NoError(t, err)
	runs, err := s.Runs(ctx, "go", 0)
	require.NoError(t, err)
	assert.Len(t, runs, 1, "the run is recorded with the pending digest")
	sent, err := s.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Empty(t, sent, "pending: nothing is sent yet")
	seen, err := s.SeenFilter(ctx, "go")
	require.NoError(t, err)
	assert.True(t, seen.Seen("https://a.example/1", ""), "pending items are not offered again")

	require.NoError(t, s.MarkFailed(ctx, l, id, "hook", "HTTP 500"))
	done, err := s.MarkDelivered(ctx, l, id, "mail")
	require.NoError(t, err)
	assert.False(t, done, "the webhook still lacks it")
	sent, err = s.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Empty(t, sent)

	pending, err := s.PendingDigests(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	p := pending[0]
	assert.Equal(t, "k1", p.Key)
	assert.Equal(t, "text k1", p.Bodies.Text, "retried unchanged")
	assert.Equal(t, 2, p.Items)
	require.Len(t, p.Deliveries, 2)
	assert.Equal(t, store.Delivery{Target: "hook", State: store.DeliveryPending, Attempts: 1, LastError: "HTTP 500"}, p.Deliveries[0])
	assert.Equal(t, store.DeliveryDelivered, p.Deliveries[1].State)

	done, err = s.MarkDelivered(ctx, l, id, "hook")
	require.NoError(t, err)
	assert.True(t, done)
	sent, err = s.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Len(t, sent, 2, "every target has it: its items are sent")
	pending, err = s.PendingDigests(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)

	_, err = s.MarkDelivered(ctx, l, id, "hook")
	assert.ErrorIs(t, err, store.ErrNoSuchDelivery, "marked once")
}

func TestOutboxWritesAreFencedByTheLease(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	clock := time.Now()
	s.Now = func() time.Time { return clock }
	old, err := s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err)
	id, err := s.RecordPending(ctx, old, pendingDigest("k", "mail"))
	require.NoError(t, err)

	// The lease lapses (its holder stalled) and another run takes it.
	clock = clock.Add(2 * time.Minute)
	nl, err := s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err)

	_, err = s.MarkDelivered(ctx, old, id, "mail")
	assert.ErrorIs(t, err, store.ErrLeaseLost)
	_, err = s.RecordPending(ctx, old, pendingDigest("k2", "mail"))
	assert.ErrorIs(t, err, store.ErrLeaseLost)
	assert.ErrorIs(t, s.RenewLease(ctx, old, time.Minute), store.ErrLeaseLost)
	require.NoError(t, s.ReleaseLease(ctx, old), "releasing a lost lease is a no-op")
	h, ok, err := s.Holder(ctx, store.DigestLease)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, nl.Token, h.Token, "the stale holder did not release the new one")

	done, err := s.MarkDelivered(ctx, nl, id, "mail")
	require.NoError(t, err)
	assert.True(t, done)
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s := open(t, path)
	a, err := s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err)
	assert.Positive(t, a.PID)
	assert.NotEmpty(t, a.Host)

	_, err = s.AcquireLease(ctx, store.DigestLease, time.Minute)
	var held *store.LeaseHeldError
	require.ErrorAs(t, err, &held, "this very process is alive: the lease holds")
	assert.ErrorIs(t, err, store.ErrLeaseHeld)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "pid ")
	assert.Equal(t, a.PID, held.Holder.PID)

	start := time.Now()
	_, err = s.WaitLease(ctx, store.DigestLease, time.Minute, 300*time.Millisecond, 50*time.Millisecond)
	assert.ErrorIs(t, err, store.ErrLeaseHeld, "still held after waiting")
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "it did wait")

	require.NoError(t, s.RenewLease(ctx, a, time.Hour))
	require.NoError(t, s.ReleaseLease(ctx, a))
	b, err := s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err, "released: free at once")
	assert.NotEqual(t, a.Token, b.Token)
}

func TestLeaseOfADeadProcessOnThisHostLapsesAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s := open(t, path)
	// A lease left by a process that no longer runs: pid 2^22+1 is above
	// Linux's pid_max default ceiling, so no process has it.
	_, err := s.AcquireLease(ctx, store.DigestLease, time.Hour)
	require.NoError(t, err)
	db := rawDB(t, path)
	_, err = db.Exec(`UPDATE leases SET pid = 4194305`)
	require.NoError(t, err)

	_, err = s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err, "its holder is gone: taken over before its expiry")

	// The same lease on another host holds until it expires.
	_, err = db.Exec(`UPDATE leases SET pid = 4194305, host = 'elsewhere'`)
	require.NoError(t, err)
	_, err = s.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.ErrorIs(t, err, store.ErrLeaseHeld)
	assert.Contains(t, err.Error(), "pid 4194305 on elsewhere")
}

func TestRecordRunsWithoutDigest(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, s.RecordRuns(ctx, nil, []store.Run{{Topic: "go", StartedAt: time.Now(), FinishedAt: time.Now()}}))
	runs, err := s.Runs(ctx, "go", 0)
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	ds, err := s.Digests(ctx, 0)
	require.NoError(t, err)
	assert.Empty(t, ds)
}

func TestCheckWritable(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, s.CheckWritable(ctx))
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
