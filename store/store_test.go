package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenMigratesFromEmptyAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "digests.db")
	s, err := store.Open(ctx, path)
	require.NoError(t, err, "the directory is created")
	v, err := s.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.SchemaVersion, v)
	require.NoError(t, s.MarkSent(ctx, "go", []store.Item{{CanonicalURL: "https://a.example/x", TitleKey: "x", Title: "X"}}))
	require.NoError(t, s.Close())

	// Reopening changes nothing and keeps the data.
	s2 := open(t, path)
	v, err = s2.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.SchemaVersion, v)
	seen, err := s2.SeenFilter(ctx, "go")
	require.NoError(t, err)
	assert.True(t, seen.Seen("https://a.example/x", ""))

	// The file really is in WAL mode.
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
	var tables int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('topics','runs','sent')`).Scan(&tables))
	assert.Equal(t, 3, tables)
}

func TestOpenErrorsNameTheFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(notDB, []byte("this is not a database, just some bytes that are long enough to matter......"), 0o644))
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))

	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", newer)
	require.NoError(t, err)
	_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", store.SchemaVersion+1))
	require.NoError(t, err)
	require.NoError(t, db.Close())

	for name, path := range map[string]string{
		"not a database":   notDB,
		"parent is a file": filepath.Join(blocker, "digests.db"),
		"newer schema":     newer,
		"question mark":    filepath.Join(dir, "what?.db"),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := store.Open(ctx, path)
			if err == nil {
				s.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestMarkSentAndSeen(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	items := []store.Item{
		{CanonicalURL: "https://a.example/1", TitleKey: "first story", ArticleID: "a1", Title: "First story", Source: "hn"},
		{CanonicalURL: "", TitleKey: "no url here", ArticleID: "a2", Title: "No URL here", Source: "feed"},
		{CanonicalURL: "https://a.example/3", TitleKey: "", ArticleID: "a3", Title: "", Source: "feed"},
	}
	require.NoError(t, s.MarkSent(ctx, "go", items))
	// Sending the same URL again (a concurrent run got there first) is not an error and not a second row.
	require.NoError(t, s.MarkSent(ctx, "go", items[:1]))
	sent, err := s.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Len(t, sent, 3)

	seen, err := s.SeenFilter(ctx, "go")
	require.NoError(t, err)
	other, err := s.SeenFilter(ctx, "rust")
	require.NoError(t, err)
	tests := []struct {
		name      string
		url, key  string
		want      bool
		wantOther bool
	}{
		{"same url", "https://a.example/1", "", true, false},
		{"same title key, new url", "https://b.example/moved", "first story", true, false},
		{"title key of an item without url", "https://c.example/", "no url here", true, false},
		{"url of an item without title", "https://a.example/3", "something", true, false},
		{"new", "https://a.example/2", "second story", false, false},
		{"empty keys never match", "", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, seen.Seen(tt.url, tt.key))
			assert.Equal(t, tt.wantOther, other.Seen(tt.url, tt.key), "topics are separate")
		})
	}
}

func TestRunsAndLastRun(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	_, ok, err := s.LastRun(ctx, "go")
	require.NoError(t, err)
	assert.False(t, ok)

	t0 := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	ids, err := s.Commit(ctx, []store.Record{
		{Run: store.Run{Topic: "go", StartedAt: t0, FinishedAt: t0.Add(2 * time.Second), Fetched: 20, New: 2, Sources: 9, SourcesFailed: 1},
			Items: []store.Item{{CanonicalURL: "https://a.example/1", TitleKey: "one"}, {CanonicalURL: "https://a.example/2", TitleKey: "two"}}},
		{Run: store.Run{Topic: "rust", StartedAt: t0.Add(3 * time.Second), FinishedAt: t0.Add(4 * time.Second), Fetched: 5, Degraded: "timeout"}},
	})
	require.NoError(t, err)
	assert.Len(t, ids, 2)
	_, err = s.RecordRun(ctx, store.Run{Topic: "go", StartedAt: t0.Add(24 * time.Hour), FinishedAt: t0.Add(24*time.Hour + time.Second), Fetched: 21, New: 0, Sources: 9})
	require.NoError(t, err)

	last, ok, err := s.LastRun(ctx, "go")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, t0.Add(24*time.Hour), last.StartedAt)
	assert.Equal(t, 21, last.Fetched)

	all, err := s.Runs(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, []string{"go", "rust", "go"}, []string{all[0].Topic, all[1].Topic, all[2].Topic}, "newest first")
	assert.Equal(t, "timeout", all[1].Degraded)
	assert.Equal(t, store.Run{ID: ids[0], Topic: "go", StartedAt: t0, FinishedAt: t0.Add(2 * time.Second), Fetched: 20, New: 2, Sources: 9, SourcesFailed: 1}, all[2])

	sent, err := s.Sent(ctx, "go")
	require.NoError(t, err)
	assert.Len(t, sent, 2)
}

func TestCommitIsAllOrNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := open(t, filepath.Join(t.TempDir(), "d.db"))
	cancel()
	_, err := s.Commit(ctx, []store.Record{{Run: store.Run{Topic: "go"}, Items: []store.Item{{CanonicalURL: "https://a.example/1"}}}})
	require.Error(t, err)
	runs, err := s.Runs(context.Background(), "", 0)
	require.NoError(t, err)
	assert.Empty(t, runs)
}

// Two Stores on one file (as two processes would be) write at once: the busy
// timeout and immediate transactions make them take turns, none fails.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	var wg sync.WaitGroup
	stores := make([]*store.Store, 2)
	errs := make([]error, 2)
	// Even the first open, which creates the schema, races.
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(ctx, path)
		}()
	}
	wg.Wait()
	for i := range stores {
		require.NoError(t, errs[i])
		defer stores[i].Close()
	}

	const perWriter = 40
	for w, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				now := time.Now()
				_, err := s.Commit(ctx, []store.Record{{
					Run: store.Run{Topic: fmt.Sprintf("topic-%d", i%3), StartedAt: now, FinishedAt: now, New: 1},
					Items: []store.Item{
						{CanonicalURL: fmt.Sprintf("https://w%d.example/%d", w, i), TitleKey: fmt.Sprintf("w%d-%d", w, i)},
						{CanonicalURL: fmt.Sprintf("https://shared.example/%d", i), TitleKey: "shared"},
					},
				}})
				if err != nil {
					errs[w] = err
					return
				}
				if _, err := s.SeenFilter(ctx, "topic-0"); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	runs, err := stores[0].Runs(ctx, "", 0)
	require.NoError(t, err)
	assert.Len(t, runs, 2*perWriter)
	total := 0
	for i := range 3 {
		sent, err := stores[1].Sent(ctx, fmt.Sprintf("topic-%d", i))
		require.NoError(t, err)
		total += len(sent)
	}
	assert.Equal(t, 3*perWriter, total, "each writer's own items plus one row per shared URL")
}

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"xdg", map[string]string{"XDG_DATA_HOME": "/data", "HOME": "/home/u"}, "/data/research/digests.db"},
		{"relative xdg is ignored", map[string]string{"XDG_DATA_HOME": "data", "HOME": "/home/u"}, "/home/u/.local/share/research/digests.db"},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/research/digests.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.DefaultPath(env(tt.env))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
