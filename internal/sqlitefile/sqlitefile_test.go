package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "modernc.org/sqlite"
)

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"XDG_DATA_HOME", map[string]string{"XDG_DATA_HOME": "/data", "HOME": "/home/a"}, "/data/research/x.db"},
		{"relative XDG_DATA_HOME is ignored", map[string]string{"XDG_DATA_HOME": "data", "HOME": "/home/a"}, "/home/a/.local/share/research/x.db"},
		{"HOME", map[string]string{"HOME": "/home/a"}, "/home/a/.local/share/research/x.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(env(tt.env), "x.db")
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestBusy holds a write lock on a real file and checks that a second
// writer's error is recognised as busy, and that RetryBusy gives up at its
// timeout and succeeds once the lock is gone.
func TestBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=0")
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	require.NoError(t, SetWAL(ctx, a, time.Second))
	_, err := a.Exec("CREATE TABLE t (x)")
	require.NoError(t, err)
	tx, err := a.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.Exec("INSERT INTO t VALUES (1)")
	require.NoError(t, err)

	write := func() error { _, err := b.Exec("INSERT INTO t VALUES (2)"); return err }
	err = RetryBusy(ctx, 50*time.Millisecond, write)
	require.Error(t, err)
	assert.True(t, IsBusy(err), "busy: %v", err)
	assert.False(t, IsBusy(errors.New("database is locked")), "only the driver's coded errors count")

	require.NoError(t, tx.Commit())
	require.NoError(t, RetryBusy(ctx, time.Second, write))
}
