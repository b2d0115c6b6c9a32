// Package sqlitefile holds what the project's SQLite files (the digest store,
// the session store) share: where they live by default, the switch to WAL
// that several processes may race for, and the recognition of a busy file.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultPath is $XDG_DATA_HOME/research/<name>, or
// ~/.local/share/research/<name> when XDG_DATA_HOME is unset (or not an
// absolute path). getenv is os.LookupEnv when nil.
func DefaultPath(getenv func(string) (string, bool), name string) (string, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if d, ok := getenv("XDG_DATA_HOME"); ok && filepath.IsAbs(d) {
		return filepath.Join(d, "research", name), nil
	}
	home, ok := getenv("HOME")
	if !ok || home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no data directory: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "research", name), nil
}

// SetWAL puts the file in WAL mode, which then persists for every later
// connection. When several processes open a new file at once, the switch to
// WAL can fail with SQLITE_BUSY at once, busy timeout notwithstanding, so it
// is retried, for up to timeout.
func SetWAL(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	return RetryBusy(ctx, timeout, func() error {
		var mode string
		if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
			return err
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("the file stays in %s mode", mode)
		}
		return nil
	})
}

// RetryBusy runs f again while it fails with SQLITE_BUSY or SQLITE_LOCKED,
// waiting 5 ms, then twice as long each time (at most 100 ms), for up to
// timeout in all; it returns f's last error, or ctx's.
func RetryBusy(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	wait := 5 * time.Millisecond
	for {
		err := f()
		if err == nil || !IsBusy(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// IsBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended
// code) from modernc.org/sqlite.
func IsBusy(err error) bool {
	var se interface{ Code() int }
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == 5 || c == 6
	}
	return false
}
