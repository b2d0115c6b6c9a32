package fetch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// DefaultCachePath is where the HTTP cache lives by default:
// os.UserCacheDir()/research/http.db.
func DefaultCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("http cache path: %w", err)
	}
	return filepath.Join(dir, "research", "http.db"), nil
}

// cacheSchema is version 1 of the cache file. One row per requested URL (the
// URL before redirects), holding the validators and the body they validate.
const cacheSchema = `
CREATE TABLE IF NOT EXISTS http_cache (
	url           TEXT PRIMARY KEY,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	content_type  TEXT NOT NULL DEFAULT '',
	final_url     TEXT NOT NULL DEFAULT '',
	body          BLOB NOT NULL,
	stored_at     INTEGER NOT NULL, -- unix seconds of the last 200
	checked_at    INTEGER NOT NULL  -- unix seconds of the last 200 or 304
);
PRAGMA user_version = 1;
`

// cacheEntry is one stored response.
type cacheEntry struct {
	etag, lastModified, contentType, finalURL string
	body                                      []byte
}

// cache is the conditional-GET store. SQLite in WAL mode with a busy timeout
// lets several goroutines and several processes share one file.
type cache struct {
	db *sql.DB
}

// openCache opens or creates the cache file; its directory is created private
// (0700), since the bodies record what the user has been researching.
func openCache(path string) (*cache, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("cache path %q: '?' and '#' are not allowed", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open http cache: %w", err)
	}
	dsn := path + "?_pragma=busy_timeout(2000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open http cache %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, cacheSchema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open http cache %s: %w", path, err)
	}
	// Forget what has not been confirmed for a long time, so the file does not
	// grow forever with pages fetched once.
	if _, err := db.ExecContext(ctx, `DELETE FROM http_cache WHERE checked_at < ?`,
		time.Now().Add(-cacheMaxAge).Unix()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("prune http cache %s: %w", path, err)
	}
	return &cache{db: db}, nil
}

// cacheMaxAge is how long an entry neither fetched nor revalidated is kept.
const cacheMaxAge = 30 * 24 * time.Hour

func (c *cache) close() error { return c.db.Close() }

// get returns the stored entry for url, or nil when there is none.
func (c *cache) get(ctx context.Context, url string) (*cacheEntry, error) {
	var e cacheEntry
	err := c.db.QueryRowContext(ctx,
		`SELECT etag, last_modified, content_type, final_url, body FROM http_cache WHERE url = ?`, url).
		Scan(&e.etag, &e.lastModified, &e.contentType, &e.finalURL, &e.body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("http cache get: %w", err)
	}
	if e.etag == "" && e.lastModified == "" {
		return nil, nil // nothing to validate with
	}
	return &e, nil
}

func (c *cache) put(ctx context.Context, url string, e *cacheEntry) error {
	_, err := c.db.ExecContext(ctx, `
INSERT INTO http_cache (url, etag, last_modified, content_type, final_url, body, stored_at, checked_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
	content_type = excluded.content_type, final_url = excluded.final_url, body = excluded.body,
	stored_at = excluded.stored_at, checked_at = excluded.checked_at`,
		url, e.etag, e.lastModified, e.contentType, e.finalURL, e.body, time.Now().Unix(), time.Now().Unix())
	if err != nil {
		return fmt.Errorf("http cache put: %w", err)
	}
	return nil
}

// touch records a 304 and the validators it may have refreshed.
func (c *cache) touch(ctx context.Context, url, etag, lastModified string) error {
	_, err := c.db.ExecContext(ctx,
		`UPDATE http_cache SET etag = ?, last_modified = ?, checked_at = ? WHERE url = ?`,
		etag, lastModified, time.Now().Unix(), url)
	if err != nil {
		return fmt.Errorf("http cache touch: %w", err)
	}
	return nil
}

func (c *cache) delete(ctx context.Context, url string) error {
	if _, err := c.db.ExecContext(ctx, `DELETE FROM http_cache WHERE url = ?`, url); err != nil {
		return fmt.Errorf("http cache delete: %w", err)
	}
	return nil
}
