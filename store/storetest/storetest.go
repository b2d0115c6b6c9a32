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
}
