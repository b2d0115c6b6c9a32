package outbox_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/outbox"
	"github.com/research-cli/research/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// target is a fake target with a function field: it records what it took
// and fails while fail is set.
type target struct {
	name string
	mu   sync.Mutex
	got  []*deliver.Message
	fail error
}

func (t *target) Name() string { return t.name }
func (t *target) Deliver(ctx context.Context, m *deliver.Message) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail != nil {
		return t.fail
	}
	t.got = append(t.got, m)
	return nil
}

func researcher(titles ...string) outbox.Researcher {
	return func(ctx context.Context, topic string) (*models.Result, error) {
		r := &models.Result{Query: topic, Sources: []models.SourceResult{{Name: "s", Fetched: len(titles), Kept: len(titles)}}}
		for _, title := range titles {
			r.Articles = append(r.Articles, models.Article{ID: title, Source: "s", Title: title + " is a long enough title",
				URL: "https://example.org/" + title})
		}
		return r, nil
	}
}

func TestRunFailRetryDeliver(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, err)
	defer st.Close()
	l, err := st.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err)
	mail := &target{name: "mail"}
	hook := &target{name: "hook", fail: errors.New("webhook hook: answered 500")}
	targets := []deliver.Target{mail, hook}

	b, err := outbox.Build(ctx, st, researcher("alpha", "beta"), outbox.BuildOptions{Topics: []string{"go"}, MaxItems: 10})
	require.NoError(t, err)
	require.Equal(t, 2, b.Digest.New)
	rec, err := outbox.Record(ctx, st, l, b, []string{"mail", "hook"}, false)
	require.NoError(t, err)
	require.NotZero(t, rec.ID)

	rep, err := outbox.DeliverPending(ctx, st, l, targets, outbox.DeliverOptions{DropUnknown: true})
	var de *outbox.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, outbox.ErrDelivery)
	assert.Contains(t, err.Error(), "answered 500")
	require.Len(t, rep, 1)
	assert.False(t, rep[0].Delivered)
	assert.Len(t, mail.got, 1)
	sent, err := st.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Empty(t, sent, "one target lacks it: nothing is sent")

	// Nothing new is offered while it is pending.
	b2, err := outbox.Build(ctx, st, researcher("alpha", "beta"), outbox.BuildOptions{Topics: []string{"go"}, MaxItems: 10})
	require.NoError(t, err)
	assert.Equal(t, 0, b2.Digest.New)

	hook.fail = nil
	rep, err = outbox.DeliverPending(ctx, st, l, targets, outbox.DeliverOptions{DropUnknown: true})
	require.NoError(t, err)
	require.Len(t, rep, 1)
	assert.True(t, rep[0].Delivered)
	assert.Len(t, mail.got, 1, "the mail target is not sent it twice")
	require.Len(t, hook.got, 1)
	assert.Equal(t, mail.got[0].Key, hook.got[0].Key)
	assert.Equal(t, mail.got[0].JSON, hook.got[0].JSON, "retried unchanged")
	sent, err = st.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Len(t, sent, 2)
}

func TestNothingNewRecordsOnlyTheRuns(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, err)
	defer st.Close()
	b, err := outbox.Build(ctx, st, researcher(), outbox.BuildOptions{Topics: []string{"go", "rust"}})
	require.NoError(t, err)
	rec, err := outbox.Record(ctx, st, nil, b, []string{"stdout"}, false)
	require.NoError(t, err)
	assert.Zero(t, rec.ID)
	runs, err := st.Runs(ctx, "", 0)
	require.NoError(t, err)
	assert.Len(t, runs, 2)
	pending, err := st.PendingDigests(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)

	rec, err = outbox.Record(ctx, st, nil, b, []string{"stdout"}, true)
	require.NoError(t, err)
	assert.NotZero(t, rec.ID, "--always")
}

func TestUnknownTargetsAreDroppedOnlyWhenAsked(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, err)
	defer st.Close()
	b, err := outbox.Build(ctx, st, researcher("alpha"), outbox.BuildOptions{Topics: []string{"go"}})
	require.NoError(t, err)
	_, err = outbox.Record(ctx, st, nil, b, []string{"old"}, false)
	require.NoError(t, err)
	out := &target{name: "stdout"}

	rep, err := outbox.DeliverPending(ctx, st, nil, []deliver.Target{out}, outbox.DeliverOptions{})
	require.NoError(t, err)
	assert.False(t, rep[0].Delivered, "a --no-deliver run leaves it for the targets")
	rep, err = outbox.DeliverPending(ctx, st, nil, []deliver.Target{out}, outbox.DeliverOptions{DropUnknown: true})
	require.NoError(t, err)
	assert.True(t, rep[0].Delivered)
	assert.True(t, rep[0].Results[0].Dropped)
	assert.Empty(t, out.got)
}

func TestInterruptedBuildRecordsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, err)
	defer st.Close()
	research := func(ctx context.Context, topic string) (*models.Result, error) {
		cancel() // Ctrl-C while the topic is researched
		return researcher("alpha")(ctx, topic)
	}
	_, err = outbox.Build(ctx, st, research, outbox.BuildOptions{Topics: []string{"go"}})
	require.ErrorIs(t, err, context.Canceled)
	runs, err := st.Runs(context.Background(), "", 0)
	require.NoError(t, err)
	assert.Empty(t, runs)
}

func TestAFailingTargetIsNotTriedForLaterDigests(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	require.NoError(t, err)
	defer st.Close()
	for _, title := range []string{"alpha", "beta"} {
		b, err := outbox.Build(ctx, st, researcher(title), outbox.BuildOptions{Topics: []string{"go"}})
		require.NoError(t, err)
		_, err = outbox.Record(ctx, st, nil, b, []string{"hook"}, false)
		require.NoError(t, err)
	}
	calls := 0
	hook := &countingTarget{name: "hook", deliver: func() error { calls++; return errors.New("down") }}
	_, err = outbox.DeliverPending(ctx, st, nil, []deliver.Target{hook}, outbox.DeliverOptions{})
	require.ErrorIs(t, err, outbox.ErrDelivery)
	assert.Equal(t, 1, calls, "the second digest waits behind the first")

	var keys []string
	hook.deliver = func() error { return nil }
	hook.seen = &keys
	_, err = outbox.DeliverPending(ctx, st, nil, []deliver.Target{hook}, outbox.DeliverOptions{})
	require.NoError(t, err)
	pending, err := st.PendingDigests(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)
	assert.Len(t, keys, 2, "both, oldest first")
}

type countingTarget struct {
	name    string
	deliver func() error
	seen    *[]string
}

func (c *countingTarget) Name() string { return c.name }
func (c *countingTarget) Deliver(_ context.Context, m *deliver.Message) error {
	if err := c.deliver(); err != nil {
		return err
	}
	if c.seen != nil {
		*c.seen = append(*c.seen, m.Key)
	}
	return nil
}
