// Package storetest is the behaviour every digest store must have, run
// against the SQLite store (package store) and the PostgreSQL one (package
// store/pgstore) by their own tests.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/store"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) store.Digests) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)

	t.Run("empty", func(t *testing.T) {
		s := open(t)
		_, ok, err := s.LastRun(ctx, "go")
		require.NoError(t, err)
		assert.False(t, ok)
		seen, err := s.SeenFilter(ctx, "go")
		require.NoError(t, err)
		assert.Zero(t, seen.Len())
		runs, err := s.Runs(ctx, "", 0)
		require.NoError(t, err)
		assert.Empty(t, runs)
	})

	t.Run("commit then seen per topic", func(t *testing.T) {
		s := open(t)
		recs := []store.Record{
			{Run: store.Run{Topic: "go", StartedAt: t0, FinishedAt: t0.Add(2 * time.Second), Fetched: 5, New: 2, Sources: 3, SourcesFailed: 1},
				Items: []store.Item{{CanonicalURL: "https://a.example/1", TitleKey: "one", ArticleID: "a1", Title: "One", Source: "hn"},
					{CanonicalURL: "", TitleKey: "two", ArticleID: "a2", Title: "Two", Source: "feed"}}},
			{Run: store.Run{Topic: "rust", StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(time.Minute + time.Second), Degraded: "analysis_timeout"}},
		}
		ids, err := s.Commit(ctx, recs)
		require.NoError(t, err)
		require.Len(t, ids, 2)
		assert.NotEqual(t, ids[0], ids[1])

		seen, err := s.SeenFilter(ctx, "go")
		require.NoError(t, err)
		assert.True(t, seen.Seen("https://a.example/1", ""))
		assert.True(t, seen.Seen("", "two"))
		assert.False(t, seen.Seen("", ""), "empty keys never match")
		other, err := s.SeenFilter(ctx, "rust")
		require.NoError(t, err)
		assert.False(t, other.Seen("https://a.example/1", "one"), "sent is per topic")

		last, ok, err := s.LastRun(ctx, "go")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "go", last.Topic)
		assert.True(t, last.StartedAt.Equal(t0), last.StartedAt)
		assert.Equal(t, 5, last.Fetched)
		assert.Equal(t, 2, last.New)
		assert.Equal(t, 1, last.SourcesFailed)

		runs, err := s.Runs(ctx, "", 0)
		require.NoError(t, err)
		require.Len(t, runs, 2)
		assert.Equal(t, "rust", runs[0].Topic, "newest first")
		assert.Equal(t, "analysis_timeout", runs[0].Degraded)
		one, err := s.Runs(ctx, "", 1)
		require.NoError(t, err)
		assert.Len(t, one, 1)

		sent, err := s.Sent(ctx, "go")
		require.NoError(t, err)
		require.Len(t, sent, 2)
		assert.Equal(t, "One", sent[0].Title)
		assert.Equal(t, "go", sent[0].Topic)
		assert.False(t, sent[0].SentAt.IsZero())
	})

	t.Run("same URL twice is kept once", func(t *testing.T) {
		s := open(t)
		it := store.Item{CanonicalURL: "https://a.example/x", TitleKey: "x", Title: "X"}
		require.NoError(t, s.MarkSent(ctx, "go", []store.Item{it}))
		_, err := s.Commit(ctx, []store.Record{{Run: store.Run{Topic: "go", StartedAt: t0, FinishedAt: t0}, Items: []store.Item{it}}})
		require.NoError(t, err)
		sent, err := s.Sent(ctx, "go")
		require.NoError(t, err)
		assert.Len(t, sent, 1)
	})

	t.Run("concurrent commits", func(t *testing.T) {
		s := open(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Commit(ctx, []store.Record{{Run: store.Run{Topic: "go", StartedAt: t0.Add(time.Duration(i) * time.Second), FinishedAt: t0},
					Items: []store.Item{{CanonicalURL: "https://a.example/shared", Title: "S"}, {CanonicalURL: fmt.Sprintf("https://a.example/%d", i), Title: "own"}}}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		runs, err := s.Runs(ctx, "go", 0)
		require.NoError(t, err)
		assert.Len(t, runs, n)
		sent, err := s.Sent(ctx, "go")
		require.NoError(t, err)
		assert.Len(t, sent, n+1, "the shared URL once, each run's own once")
	})

	t.Run("outbox: pending, then delivered to every target", func(t *testing.T) {
		s := open(t)
		d := store.PendingDigest{Key: "k1", Subject: "Research digest", New: 1,
			Bodies:  store.Bodies{Text: "text", Markdown: "md", HTML: "<p>", JSON: "{}"},
			Targets: []string{"mail", "hook"},
			Records: []store.Record{{Run: store.Run{Topic: "go", StartedAt: t0, FinishedAt: t0, Fetched: 2, New: 1},
				Items: []store.Item{{CanonicalURL: "https://a.example/p", TitleKey: "p", Title: "P", Source: "hn"}}}}}
		id, err := s.RecordPending(ctx, nil, d)
		require.NoError(t, err)

		seen, err := s.SeenFilter(ctx, "go")
		require.NoError(t, err)
		assert.True(t, seen.Seen("https://a.example/p", ""), "a pending digest's items are not listed again")
		sent, err := s.Sent(ctx, "go")
		require.NoError(t, err)
		assert.Empty(t, sent, "not sent before every target took it")
		_, ok, err := s.LastRun(ctx, "go")
		require.NoError(t, err)
		assert.True(t, ok, "the run is recorded with the pending digest")

		pending, err := s.PendingDigests(ctx)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		got, err := s.OutboxDigest(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "k1", got.Key)
		assert.Equal(t, "md", got.Bodies.Markdown)
		assert.Equal(t, 1, got.Items)
		assert.Equal(t, store.DeliveryPending, got.State)
		require.Len(t, got.Deliveries, 2)

		require.NoError(t, s.MarkFailed(ctx, nil, id, "hook", "HTTP 500"))
		done, err := s.MarkDelivered(ctx, nil, id, "mail")
		require.NoError(t, err)
		assert.False(t, done)
		_, err = s.MarkDelivered(ctx, nil, id, "mail")
		assert.ErrorIs(t, err, store.ErrNoSuchDelivery, "a target takes a digest once")
		got, err = s.OutboxDigest(ctx, id)
		require.NoError(t, err)
		for _, dl := range got.Deliveries {
			if dl.Target == "hook" {
				assert.Equal(t, "HTTP 500", dl.LastError)
				assert.Equal(t, 1, dl.Attempts)
			}
		}
		done, err = s.MarkDelivered(ctx, nil, id, "hook")
		require.NoError(t, err)
		assert.True(t, done, "the last target completes the digest")
		sent, err = s.Sent(ctx, "go")
		require.NoError(t, err)
		assert.Len(t, sent, 1, "its items are sent")
		pending, err = s.PendingDigests(ctx)
		require.NoError(t, err)
		assert.Empty(t, pending)
		_, err = s.OutboxDigest(ctx, id+1000)
		assert.ErrorIs(t, err, store.ErrNoSuchDigest)
	})

	t.Run("outbox: no targets is delivered at once; runs alone", func(t *testing.T) {
		s := open(t)
		id, err := s.RecordPending(ctx, nil, store.PendingDigest{Key: "k2", Records: []store.Record{{Run: store.Run{Topic: "go", StartedAt: t0, FinishedAt: t0},
			Items: []store.Item{{CanonicalURL: "https://a.example/q", Title: "Q"}}}}})
		require.NoError(t, err)
		got, err := s.OutboxDigest(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, store.DeliveryDelivered, got.State)
		sent, err := s.Sent(ctx, "go")
		require.NoError(t, err)
		assert.Len(t, sent, 1)

		require.NoError(t, s.RecordRuns(ctx, nil, []store.Run{{Topic: "rust", StartedAt: t0, FinishedAt: t0, Fetched: 4}}))
		runs, err := s.Runs(ctx, "rust", 0)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		assert.Equal(t, 4, runs[0].Fetched)
		_, err = s.RecordPending(ctx, nil, store.PendingDigest{Key: "k2"})
		assert.Error(t, err, "a key is unique")
		dropped, err := s.RecordPending(ctx, nil, store.PendingDigest{Key: "k3", Targets: []string{"gone"}})
		require.NoError(t, err)
		done, err := s.DropDelivery(ctx, nil, dropped, "gone", "removed from the config")
		require.NoError(t, err)
		assert.True(t, done)
	})
}
