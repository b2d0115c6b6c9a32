// Package store is the SQLite memory of scheduled digests: the topics, every
// digest run with its counts, and every article already sent for a topic, so
// the next digest lists only what is new. It uses modernc.org/sqlite (pure Go)
// in WAL mode with a busy timeout, so two runs at once wait for each other
// instead of failing.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/research-cli/research/internal/sqlitefile"
)

// BusyTimeout is how long a write waits for another writer before failing.
const BusyTimeout = 10 * time.Second

// timeLayout stores times as fixed-width UTC text: readable in the sqlite3
// shell and ordered correctly by plain string comparison.
const timeLayout = "2006-01-02T15:04:05.000Z"

// migrations are applied in order; PRAGMA user_version counts how many ran.
// Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: topics, runs, sent items.
	`CREATE TABLE topics (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL UNIQUE,
		created_at TEXT NOT NULL
	);
	CREATE TABLE runs (
		id             INTEGER PRIMARY KEY,
		topic_id       INTEGER NOT NULL REFERENCES topics(id),
		started_at     TEXT NOT NULL,
		finished_at    TEXT NOT NULL,
		fetched        INTEGER NOT NULL,
		new            INTEGER NOT NULL,
		sources        INTEGER NOT NULL,
		sources_failed INTEGER NOT NULL,
		degraded       TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_by_topic ON runs(topic_id, started_at);
	CREATE TABLE sent (
		id            INTEGER PRIMARY KEY,
		topic_id      INTEGER NOT NULL REFERENCES topics(id),
		run_id        INTEGER REFERENCES runs(id),
		canonical_url TEXT NOT NULL,
		title_key     TEXT NOT NULL,
		article_id    TEXT NOT NULL,
		title         TEXT NOT NULL,
		source        TEXT NOT NULL,
		sent_at       TEXT NOT NULL
	);
	CREATE UNIQUE INDEX sent_by_url ON sent(topic_id, canonical_url) WHERE canonical_url <> '';
	CREATE INDEX sent_by_title ON sent(topic_id, title_key) WHERE title_key <> '';`,
	// 2: the outbox (digests rendered and recorded as pending, their items,
	// one delivery row per target), the run lease, and a row written to check
	// that the file is writable. Plain SQL that PostgreSQL also takes.
	`CREATE TABLE digests (
		id            INTEGER PRIMARY KEY,
		key           TEXT NOT NULL UNIQUE,
		created_at    TEXT NOT NULL,
		subject       TEXT NOT NULL,
		new_items     INTEGER NOT NULL,
		body_text     TEXT NOT NULL,
		body_markdown TEXT NOT NULL,
		body_html     TEXT NOT NULL,
		body_json     TEXT NOT NULL,
		state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
		delivered_at  TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX digests_by_state ON digests(state, id);
	CREATE TABLE digest_items (
		id            INTEGER PRIMARY KEY,
		digest_id     INTEGER NOT NULL REFERENCES digests(id),
		topic_id      INTEGER NOT NULL REFERENCES topics(id),
		run_id        INTEGER REFERENCES runs(id),
		canonical_url TEXT NOT NULL,
		title_key     TEXT NOT NULL,
		article_id    TEXT NOT NULL,
		title         TEXT NOT NULL,
		source        TEXT NOT NULL
	);
	CREATE INDEX digest_items_by_digest ON digest_items(digest_id);
	CREATE INDEX digest_items_by_topic ON digest_items(topic_id);
	CREATE TABLE deliveries (
		digest_id       INTEGER NOT NULL REFERENCES digests(id),
		target          TEXT NOT NULL,
		state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dropped')),
		attempts        INTEGER NOT NULL DEFAULT 0,
		last_error      TEXT NOT NULL DEFAULT '',
		last_attempt_at TEXT NOT NULL DEFAULT '',
		delivered_at    TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (digest_id, target)
	);
	CREATE TABLE leases (
		name        TEXT PRIMARY KEY,
		token       TEXT NOT NULL,
		pid         INTEGER NOT NULL,
		host        TEXT NOT NULL,
		acquired_at TEXT NOT NULL,
		expires_at  TEXT NOT NULL
	);
	CREATE TABLE store_meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
}

// SchemaVersion is the user_version of a fully migrated store.
var SchemaVersion = len(migrations)

// ErrNewerSchema means the file was written by a newer research.
var ErrNewerSchema = errors.New("the store was written by a newer version of research")

// Store is an open digest store. It is safe for concurrent use, and several
// Stores (or processes) may use one file at once.
type Store struct {
	db   *sql.DB
	path string
	// Now is the clock used for sent_at and created_at; tests replace it.
	Now func() time.Time
}

// DefaultPath is $XDG_DATA_HOME/research/digests.db, or
// ~/.local/share/research/digests.db when XDG_DATA_HOME is unset.
func DefaultPath(getenv func(string) (string, bool)) (string, error) {
	p, err := sqlitefile.DefaultPath(getenv, "digests.db")
	if err != nil {
		return "", fmt.Errorf("digest store: %w", err)
	}
	return p, nil
}

// Open opens (creating it and its directory when needed) the store at path
// and brings its schema up to date. Errors name the file.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open digest store: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open digest store %s: the path may not contain ? or #", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open digest store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open digest store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, Now: time.Now}
	if err := sqlitefile.SetWAL(ctx, db, BusyTimeout); err != nil {
		db.Close()
		return nil, fmt.Errorf("open digest store %s: journal mode: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open digest store %s: %w", path, err)
	}
	return s, nil
}

// DSN is the modernc.org/sqlite data source name the store opens path with:
// busy timeout, foreign keys, and immediate transactions (a transaction that
// will write takes the write lock at BEGIN, so it waits for another writer
// instead of failing on upgrade). journal_mode is not in it: see sqlitefile.SetWAL.
// The job queue opens the same file with the same DSN (package jobs).
func DSN(path string) string {
	return "file:" + path + fmt.Sprintf("?_busy_timeout=%d&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate",
		BusyTimeout.Milliseconds())
}

// migrate applies the missing migrations in one immediate transaction, so two
// processes opening a new file at once cannot both create the tables.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("%w (schema %d, this one knows %d)", ErrNewerSchema, v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Version is the store's schema version (PRAGMA user_version).
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Item is one article sent in a digest. CanonicalURL and TitleKey are the
// two keys an article is recognised by on later runs; either may be empty.
type Item struct {
	CanonicalURL string
	TitleKey     string
	ArticleID    string
	Title        string
	Source       string
}

// SentItem is an Item as stored.
type SentItem struct {
	Item
	Topic  string
	SentAt time.Time
}

// Seen is what was already sent for one topic, loaded once per run.
type Seen struct {
	urls   map[string]bool
	titles map[string]bool
}

// Add records an article's keys; empty keys are ignored.
func (f *Seen) Add(canonicalURL, titleKey string) {
	if canonicalURL != "" {
		f.urls[canonicalURL] = true
	}
	if titleKey != "" {
		f.titles[titleKey] = true
	}
}

// Seen reports whether an article with this canonical URL or this title key
// was already sent. Empty keys never match.
func (f *Seen) Seen(canonicalURL, titleKey string) bool {
	if f == nil {
		return false
	}
	return (canonicalURL != "" && f.urls[canonicalURL]) || (titleKey != "" && f.titles[titleKey])
}

// Len is how many distinct keys the filter holds.
func (f *Seen) Len() int {
	if f == nil {
		return 0
	}
	return len(f.urls) + len(f.titles)
}

// SeenFilter loads the keys of every article already sent for topic, and of
// those in a digest that is recorded but still pending delivery.
func (s *Store) SeenFilter(ctx context.Context, topic string) (*Seen, error) {
	// The items of a digest still pending delivery count too: that digest
	// will be retried unchanged, so they must not be listed in another.
	rows, err := s.db.QueryContext(ctx, `SELECT canonical_url, title_key FROM sent
		JOIN topics ON topics.id = sent.topic_id WHERE topics.name = ?
		UNION ALL
		SELECT digest_items.canonical_url, digest_items.title_key FROM digest_items
		JOIN digests ON digests.id = digest_items.digest_id
		JOIN topics ON topics.id = digest_items.topic_id
		WHERE topics.name = ? AND digests.state = 'pending'`, topic, topic)
	if err != nil {
		return nil, fmt.Errorf("load sent items of %q: %w", topic, err)
	}
	defer rows.Close()
	f := &Seen{urls: map[string]bool{}, titles: map[string]bool{}}
	for rows.Next() {
		var u, t string
		if err := rows.Scan(&u, &t); err != nil {
			return nil, fmt.Errorf("load sent items of %q: %w", topic, err)
		}
		if u != "" {
			f.urls[u] = true
		}
		if t != "" {
			f.titles[t] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load sent items of %q: %w", topic, err)
	}
	return f, nil
}

// Run is one digest run of one topic.
type Run struct {
	ID            int64
	Topic         string
	StartedAt     time.Time
	FinishedAt    time.Time
	Fetched       int
	New           int
	Sources       int
	SourcesFailed int
	// Degraded is the analysis' degradation reason, "" when it ran.
	Degraded string
}

// Record is what one topic's run leaves in the store: the run and the items it sent.
type Record struct {
	Run   Run
	Items []Item
}

// Commit stores the runs and their sent items of a whole digest in one
// transaction: either the digest is remembered entirely or not at all. An item
// already recorded for its topic under the same canonical URL (a concurrent
// run sent it first) is skipped. It returns the new runs' ids.
func (s *Store) Commit(ctx context.Context, recs []Record) ([]int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	ids, err := s.CommitTx(ctx, tx, recs)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	return ids, nil
}

// CommitTx is Commit inside the caller's transaction, which must be on this
// store's file (the job queue's, so that a digest job's records commit
// together with the job's completion). The caller commits.
func (s *Store) CommitTx(ctx context.Context, tx *sql.Tx, recs []Record) ([]int64, error) {
	now := s.Now().UTC().Format(timeLayout)
	ids := make([]int64, 0, len(recs))
	for _, rec := range recs {
		tid, err := topicID(ctx, tx, rec.Run.Topic, now)
		if err != nil {
			return nil, fmt.Errorf("record digest in %s: %w", s.path, err)
		}
		r := rec.Run
		res, err := tx.ExecContext(ctx, `INSERT INTO runs
			(topic_id, started_at, finished_at, fetched, new, sources, sources_failed, degraded)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, r.StartedAt.UTC().Format(timeLayout), r.FinishedAt.UTC().Format(timeLayout),
			r.Fetched, r.New, r.Sources, r.SourcesFailed, r.Degraded)
		if err != nil {
			return nil, fmt.Errorf("record run of %q: %w", r.Topic, err)
		}
		runID, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("record run of %q: %w", r.Topic, err)
		}
		ids = append(ids, runID)
		if err := insertSent(ctx, tx, tid, runID, rec.Items, now); err != nil {
			return nil, fmt.Errorf("mark sent for %q: %w", r.Topic, err)
		}
	}
	return ids, nil
}

// RecordRun stores one run without items and returns its id.
func (s *Store) RecordRun(ctx context.Context, r Run) (int64, error) {
	ids, err := s.Commit(ctx, []Record{{Run: r}})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// MarkSent records items as sent for topic, outside any run.
func (s *Store) MarkSent(ctx context.Context, topic string, items []Item) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark sent in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	now := s.Now().UTC().Format(timeLayout)
	tid, err := topicID(ctx, tx, topic, now)
	if err != nil {
		return fmt.Errorf("mark sent in %s: %w", s.path, err)
	}
	if err := insertSent(ctx, tx, tid, 0, items, now); err != nil {
		return fmt.Errorf("mark sent for %q: %w", topic, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark sent in %s: %w", s.path, err)
	}
	return nil
}

func topicID(ctx context.Context, tx *sql.Tx, name, now string) (int64, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO topics (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, name, now); err != nil {
		return 0, fmt.Errorf("topic %q: %w", name, err)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM topics WHERE name = ?`, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("topic %q: %w", name, err)
	}
	return id, nil
}

func insertSent(ctx context.Context, tx *sql.Tx, topicID, runID int64, items []Item, now string) error {
	if len(items) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO sent
		(topic_id, run_id, canonical_url, title_key, article_id, title, source, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var run any
	if runID != 0 {
		run = runID
	}
	for _, it := range items {
		if _, err := stmt.ExecContext(ctx, topicID, run, it.CanonicalURL, it.TitleKey, it.ArticleID, it.Title, it.Source, now); err != nil {
			return err
		}
	}
	return nil
}

// LastRun is the most recent run of topic; ok is false when there was none.
func (s *Store) LastRun(ctx context.Context, topic string) (r Run, ok bool, err error) {
	runs, err := s.Runs(ctx, topic, 1)
	if err != nil || len(runs) == 0 {
		return Run{}, false, err
	}
	return runs[0], true, nil
}

// Runs lists the most recent runs, newest first, of one topic or of all
// topics when topic is ""; limit <= 0 means all.
func (s *Store) Runs(ctx context.Context, topic string, limit int) ([]Run, error) {
	q := `SELECT runs.id, topics.name, started_at, finished_at, fetched, new, sources, sources_failed, degraded
		FROM runs JOIN topics ON topics.id = runs.topic_id`
	var args []any
	if topic != "" {
		q += ` WHERE topics.name = ?`
		args = append(args, topic)
	}
	q += ` ORDER BY started_at DESC, runs.id DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, finished string
		if err := rows.Scan(&r.ID, &r.Topic, &started, &finished, &r.Fetched, &r.New, &r.Sources, &r.SourcesFailed, &r.Degraded); err != nil {
			return nil, fmt.Errorf("list runs in %s: %w", s.path, err)
		}
		if r.StartedAt, err = time.Parse(timeLayout, started); err != nil {
			return nil, fmt.Errorf("list runs in %s: run %d: %w", s.path, r.ID, err)
		}
		if r.FinishedAt, err = time.Parse(timeLayout, finished); err != nil {
			return nil, fmt.Errorf("list runs in %s: run %d: %w", s.path, r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Sent lists the items sent for topic, oldest first.
func (s *Store) Sent(ctx context.Context, topic string) ([]SentItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT topics.name, canonical_url, title_key, article_id, title, source, sent_at
		FROM sent JOIN topics ON topics.id = sent.topic_id WHERE topics.name = ? ORDER BY sent.id`, topic)
	if err != nil {
		return nil, fmt.Errorf("list sent items in %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []SentItem
	for rows.Next() {
		var it SentItem
		var at string
		if err := rows.Scan(&it.Topic, &it.CanonicalURL, &it.TitleKey, &it.ArticleID, &it.Title, &it.Source, &at); err != nil {
			return nil, fmt.Errorf("list sent items in %s: %w", s.path, err)
		}
		if it.SentAt, err = time.Parse(timeLayout, at); err != nil {
			return nil, fmt.Errorf("list sent items in %s: %w", s.path, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
