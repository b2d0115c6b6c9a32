package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openTest(t *testing.T, lim Limits) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "sessions.db"), lim)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	clock := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	return s
}

func turn(q, answer string, shown ...string) Turn {
	t := Turn{Followup: Contextualize(q, nil), Answer: answer, Keyphrases: []string{"kp one", "kp two"}}
	for i, k := range shown {
		t.Shown = append(t.Shown, Article{Key: k, URL: k, Title: "title " + k, Source: "hn", N: i + 1})
	}
	return t
}

func TestTurns(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Limits{})
	n, err := s.AddTurn(ctx, "s1", turn("sparse attention for long documents", "answer one", "https://a", "https://b"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = s.AddTurn(ctx, "s1", turn("and mamba?", "answer two", "https://b", "https://c"))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = s.AddTurn(ctx, "other", turn("rust", "x"))
	require.NoError(t, err)

	se, err := s.Get(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, 2, se.Turns)
	require.Len(t, se.Messages, 4)
	assert.Equal(t, Message{Turn: 1, Role: "user", Text: "sparse attention for long documents", Query: "sparse attention for long documents", At: se.Messages[0].At}, se.Messages[0])
	assert.Equal(t, "answer two", se.Messages[3].Text)
	require.Len(t, se.Articles, 3)
	b, ok := se.Shown("https://b")
	require.True(t, ok)
	assert.Equal(t, 1, b.Turn, "an article keeps its first showing")
	assert.Equal(t, 2, b.N)
	require.NotNil(t, se.Previous)
	assert.Equal(t, []string{"mamba"}, se.Previous.Terms)
	assert.Equal(t, []string{"kp one", "kp two"}, se.Previous.Keyphrases)

	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "other", list[0].ID, "most recently used first")
	assert.Equal(t, "and mamba?", list[1].LastQuestion)
	assert.Equal(t, 3, list[1].Articles)

	require.NoError(t, s.Remove(ctx, "s1"))
	_, err = s.Get(ctx, "s1")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.Remove(ctx, "s1"), ErrNotFound)
	var left int
	require.NoError(t, s.db.QueryRow(`SELECT (SELECT count(*) FROM messages WHERE session_id='s1') + (SELECT count(*) FROM articles WHERE session_id='s1')`).Scan(&left))
	assert.Zero(t, left, "rm removes the session's messages and articles too")
}

func TestBoundsFoldAndForget(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Limits{MaxMessages: 4, MaxArticles: 5, MaxSummary: 300, MaxMessageBytes: 100})
	for i := 1; i <= 12; i++ {
		_, err := s.AddTurn(ctx, "s", turn(fmt.Sprintf("question %d", i), strings.Repeat(fmt.Sprintf("answer %d ", i), 40),
			fmt.Sprintf("https://x/%d/a", i), fmt.Sprintf("https://x/%d/b", i)))
		require.NoError(t, err)
	}
	se, err := s.Get(ctx, "s")
	require.NoError(t, err)
	assert.Equal(t, 12, se.Turns)
	require.Len(t, se.Messages, 4, "only the recent messages are kept verbatim")
	assert.Equal(t, 11, se.Messages[0].Turn)
	assert.LessOrEqual(t, len(se.Messages[1].Text), 100, "a message is capped")
	assert.LessOrEqual(t, len(se.Summary), 300, "the summary is capped")
	assert.Contains(t, se.Summary, "Q10: question 10 → answer 10", "older turns are folded into the summary")
	assert.True(t, strings.HasPrefix(se.Summary, "…\n"), "the oldest lines of the summary gave way")
	assert.NotContains(t, se.Summary, "Q1: ")
	require.Len(t, se.Articles, 5, "articles per session are capped")
	_, ok := se.Shown("https://x/12/b")
	assert.True(t, ok, "the newest are kept")
	_, ok = se.Shown("https://x/1/a")
	assert.False(t, ok, "the oldest are forgotten")
}

func TestSizeCap(t *testing.T) {
	ctx := context.Background()
	const limit = 256 << 10
	s := openTest(t, Limits{MaxBytes: limit, MaxMessageBytes: 8 << 10})
	var av int
	require.NoError(t, s.db.QueryRow("PRAGMA auto_vacuum").Scan(&av))
	assert.Equal(t, 2, av, "incremental auto-vacuum, so that removed sessions give their space back")
	big := strings.Repeat("lorem ipsum dolor sit amet ", 300) // ~8 KB
	for i := 0; i < 80; i++ {
		id := fmt.Sprintf("s%02d", i)
		for j := 0; j < 3; j++ {
			var shown []string
			for k := 0; k < 10; k++ {
				shown = append(shown, fmt.Sprintf("https://example.org/%d/%d/%d/%s", i, j, k, strings.Repeat("p", 200)))
			}
			_, err := s.AddTurn(ctx, id, turn("question "+big[:200], big, shown...))
			require.NoError(t, err)
		}
	}
	used, err := s.Used(ctx)
	require.NoError(t, err)
	assert.LessOrEqual(t, used, int64(limit), "live data stays under the cap")
	st, err := os.Stat(s.Path())
	require.NoError(t, err)
	assert.Less(t, st.Size(), int64(2*limit), "the file gives the space back")
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Less(t, len(list), 80, "the least recently used sessions were removed")
	assert.Equal(t, "s79", list[0].ID, "the newest is kept")
	_, err = s.Get(ctx, "s00")
	assert.ErrorIs(t, err, ErrNotFound, "the oldest went first")
}

func TestCorruptStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(garbage, []byte(strings.Repeat("this is not a database at all. ", 200)), 0o600))

	// A real store whose pages are then overwritten in the middle.
	damaged := filepath.Join(dir, "damaged.db")
	s, err := Open(ctx, damaged, Limits{})
	require.NoError(t, err)
	for i := 0; i < 50; i++ {
		_, err := s.AddTurn(ctx, fmt.Sprintf("s%d", i), turn("q", strings.Repeat("answer ", 500), fmt.Sprintf("https://a/%d", i)))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	b, err := os.ReadFile(damaged)
	require.NoError(t, err)
	require.Greater(t, len(b), 64<<10)
	for i := 8 << 10; i < len(b)-4096; i += 4096 {
		copy(b[i+100:i+400], strings.Repeat("\xff", 300))
	}
	require.NoError(t, os.WriteFile(damaged, b, 0o600))

	newer := filepath.Join(dir, "newer.db")
	s, err = Open(ctx, newer, Limits{})
	require.NoError(t, err)
	_, err = s.db.Exec("PRAGMA user_version = 99")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	tests := []struct {
		name string
		path string
		want error
	}{
		{"not a database", garbage, ErrCorrupt},
		{"damaged pages", damaged, ErrCorrupt},
		{"newer schema", newer, ErrNewerSchema},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.path, Limits{})
			if err == nil {
				// Damage that open's check missed must show on first use.
				_, err = s.List(ctx)
				if err == nil {
					_, err = s.AddTurn(ctx, "x", turn("q", "a"))
				}
				s.Close()
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.path, "the error names the file")
		})
	}
}

func TestIDs(t *testing.T) {
	for _, ok := range []string{"a", "work-2026.12", "20261208-0152-3f9a", strings.Repeat("x", 64)} {
		assert.NoError(t, CheckID(ok), ok)
	}
	for _, bad := range []string{"", "-x", "../etc", "a/b", "a b", strings.Repeat("x", 65), "é"} {
		assert.ErrorIs(t, CheckID(bad), ErrInvalidID, bad)
	}
	id := NewID(time.Date(2026, 12, 8, 1, 52, 0, 0, time.UTC), 0x3f9a)
	assert.Equal(t, "20261208-0152-3f9a", id)
	assert.NoError(t, CheckID(id))
}

func TestConcurrentTurns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, path, Limits{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := 0; i < 5; i++ {
				if _, err := s.AddTurn(ctx, "shared", turn("q", "a", fmt.Sprintf("https://%d/%d", w, i))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	s, err := Open(ctx, path, Limits{})
	require.NoError(t, err)
	defer s.Close()
	se, err := s.Get(ctx, "shared")
	require.NoError(t, err)
	assert.Equal(t, 20, se.Turns, "no turn lost and no number given twice")
	assert.Len(t, se.Articles, 20)
}
