// Package pgstore is the digest store on PostgreSQL: the same topics, runs and
// sent items as package store's SQLite file, for workers on several machines
// sharing one queue (package jobs). Every worker can then run any digest, and a
// digest job commits its records in the same transaction as its completion.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/research-cli/research/store"
)

// migrations are applied in order; research_schema holds how many ran. Never
// edit one that has shipped: append a new one.
var migrations = []string{
	// 1: topics, runs, sent items (as the SQLite store's migration 1).
	`CREATE TABLE research_topics (
		id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		name       text NOT NULL UNIQUE,
		created_at timestamptz NOT NULL
	);
	CREATE TABLE research_runs (
		id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		topic_id       bigint NOT NULL REFERENCES research_topics(id),
		started_at     timestamptz NOT NULL,
		finished_at    timestamptz NOT NULL,
		fetched        integer NOT NULL,
		new            integer NOT NULL,
		sources        integer NOT NULL,
		sources_failed integer NOT NULL,
		degraded       text NOT NULL DEFAULT ''
	);
	CREATE INDEX research_runs_by_topic ON research_runs(topic_id, started_at);
	CREATE TABLE research_sent (
		id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		topic_id      bigint NOT NULL REFERENCES research_topics(id),
		run_id        bigint REFERENCES research_runs(id),
		canonical_url text NOT NULL,
		title_key     text NOT NULL,
		article_id    text NOT NULL,
		title         text NOT NULL,
		source        text NOT NULL,
		sent_at       timestamptz NOT NULL
	);
	CREATE UNIQUE INDEX research_sent_by_url ON research_sent(topic_id, canonical_url) WHERE canonical_url <> '';
	CREATE INDEX research_sent_by_title ON research_sent(topic_id, title_key) WHERE title_key <> '';`,
	// 2: the outbox (as the SQLite store's migration 2): digests recorded as
	// pending with their bodies, their items, one delivery row per target.
	`CREATE TABLE research_digests (
		id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		key           text NOT NULL UNIQUE,
		created_at    timestamptz NOT NULL,
		subject       text NOT NULL,
		new_items     integer NOT NULL,
		body_text     text NOT NULL,
		body_markdown text NOT NULL,
		body_html     text NOT NULL,
		body_json     text NOT NULL,
		state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
		delivered_at  timestamptz
	);
	CREATE INDEX research_digests_by_state ON research_digests(state, id);
	CREATE TABLE research_digest_items (
		id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		digest_id     bigint NOT NULL REFERENCES research_digests(id),
		topic_id      bigint NOT NULL REFERENCES research_topics(id),
		run_id        bigint REFERENCES research_runs(id),
		canonical_url text NOT NULL,
		title_key     text NOT NULL,
		article_id    text NOT NULL,
		title         text NOT NULL,
		source        text NOT NULL
	);
	CREATE INDEX research_digest_items_by_digest ON research_digest_items(digest_id);
	CREATE INDEX research_digest_items_by_topic ON research_digest_items(topic_id);
	CREATE TABLE research_deliveries (
		digest_id       bigint NOT NULL REFERENCES research_digests(id),
		target          text NOT NULL,
		state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dropped')),
		attempts        integer NOT NULL DEFAULT 0,
		last_error      text NOT NULL DEFAULT '',
		last_attempt_at timestamptz,
		delivered_at    timestamptz,
		PRIMARY KEY (digest_id, target)
	);`,
}

// SchemaVersion is the version of a fully migrated database.
var SchemaVersion = len(migrations)

// migrateLock is the advisory lock key that serialises migrations of several
// processes starting at once ("research" in ASCII, truncated to 64 bits).
const migrateLock int64 = 0x7265736561726368

// Store is the digest store in one PostgreSQL database. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// Now is the clock used for sent_at and created_at; tests replace it.
	Now func() time.Time
}

// New uses pool (owned by the caller) and brings the schema up to date.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	s := &Store{pool: pool, Now: time.Now}
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Migrate applies the missing migrations in one transaction under an
// advisory lock, so that workers starting together migrate once.
func (s *Store) Migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate digest store: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("migrate digest store: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS research_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("migrate digest store: %w", err)
	}
	var v int
	err = tx.QueryRow(ctx, `SELECT version FROM research_schema`).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, `INSERT INTO research_schema (version) VALUES (0)`); err != nil {
			return fmt.Errorf("migrate digest store: %w", err)
		}
	case err != nil:
		return fmt.Errorf("migrate digest store: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("migrate digest store: %w (schema %d, this one knows %d)", store.ErrNewerSchema, v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate digest store: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE research_schema SET version = $1`, len(migrations)); err != nil {
		return fmt.Errorf("migrate digest store: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate digest store: %w", err)
	}
	return nil
}

// Version is the database's schema version.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT version FROM research_schema`).Scan(&v)
	return v, err
}

// Close does nothing: the pool belongs to the caller.
func (s *Store) Close() error { return nil }

// SeenFilter loads the keys of every article already sent for topic.
func (s *Store) SeenFilter(ctx context.Context, topic string) (*store.Seen, error) {
	// The items of a digest still pending delivery count too (as in the
	// SQLite store): that digest is delivered unchanged, so they must not be
	// listed in another.
	rows, err := s.pool.Query(ctx, `SELECT canonical_url, title_key FROM research_sent
		JOIN research_topics t ON t.id = research_sent.topic_id WHERE t.name = $1
		UNION ALL
		SELECT i.canonical_url, i.title_key FROM research_digest_items i
		JOIN research_digests d ON d.id = i.digest_id
		JOIN research_topics t ON t.id = i.topic_id
		WHERE t.name = $1 AND d.state = 'pending'`, topic)
	if err != nil {
		return nil, fmt.Errorf("load sent items of %q: %w", topic, err)
	}
	defer rows.Close()
	var urls, titles []string
	for rows.Next() {
		var u, t string
		if err := rows.Scan(&u, &t); err != nil {
			return nil, fmt.Errorf("load sent items of %q: %w", topic, err)
		}
		urls = append(urls, u)
		titles = append(titles, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load sent items of %q: %w", topic, err)
	}
	return store.NewSeen(urls, titles), nil
}

// Commit stores the runs and sent items of a whole digest in one transaction.
func (s *Store) Commit(ctx context.Context, recs []store.Record) ([]int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("record digest: %w", err)
	}
	defer tx.Rollback(ctx)
	ids, err := s.CommitTx(ctx, tx, recs)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("record digest: %w", err)
	}
	return ids, nil
}

// CommitTx is Commit inside the caller's transaction; the caller commits.
func (s *Store) CommitTx(ctx context.Context, tx pgx.Tx, recs []store.Record) ([]int64, error) {
	now := s.Now().UTC()
	ids := make([]int64, 0, len(recs))
	for _, rec := range recs {
		tid, runID, err := insertRun(ctx, tx, rec.Run, now)
		if err != nil {
			return nil, err
		}
		ids = append(ids, runID)
		if err := insertSent(ctx, tx, tid, runID, rec.Items, now); err != nil {
			return nil, fmt.Errorf("mark sent for %q: %w", rec.Run.Topic, err)
		}
	}
	return ids, nil
}

func insertRun(ctx context.Context, tx pgx.Tx, r store.Run, now time.Time) (tid, runID int64, err error) {
	tid, err = topicID(ctx, tx, r.Topic, now)
	if err != nil {
		return 0, 0, fmt.Errorf("record run of %q: %w", r.Topic, err)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO research_runs
		(topic_id, started_at, finished_at, fetched, new, sources, sources_failed, degraded)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tid, r.StartedAt.UTC(), r.FinishedAt.UTC(), r.Fetched, r.New, r.Sources, r.SourcesFailed, r.Degraded).Scan(&runID); err != nil {
		return 0, 0, fmt.Errorf("record run of %q: %w", r.Topic, err)
	}
	return tid, runID, nil
}

// MarkSent records items as sent for topic, outside any run.
func (s *Store) MarkSent(ctx context.Context, topic string, items []store.Item) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	defer tx.Rollback(ctx)
	now := s.Now().UTC()
	tid, err := topicID(ctx, tx, topic, now)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	if err := insertSent(ctx, tx, tid, 0, items, now); err != nil {
		return fmt.Errorf("mark sent for %q: %w", topic, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	return nil
}

func topicID(ctx context.Context, tx pgx.Tx, name string, now time.Time) (int64, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO research_topics (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, now); err != nil {
		return 0, fmt.Errorf("topic %q: %w", name, err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `SELECT id FROM research_topics WHERE name = $1`, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("topic %q: %w", name, err)
	}
	return id, nil
}

func insertSent(ctx context.Context, tx pgx.Tx, topicID, runID int64, items []store.Item, now time.Time) error {
	if len(items) == 0 {
		return nil
	}
	var run any
	if runID != 0 {
		run = runID
	}
	b := &pgx.Batch{}
	for _, it := range items {
		b.Queue(`INSERT INTO research_sent
			(topic_id, run_id, canonical_url, title_key, article_id, title, source, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			topicID, run, it.CanonicalURL, it.TitleKey, it.ArticleID, it.Title, it.Source, now)
	}
	return tx.SendBatch(ctx, b).Close()
}

// LastRun is the most recent run of topic; ok is false when there was none.
func (s *Store) LastRun(ctx context.Context, topic string) (r store.Run, ok bool, err error) {
	runs, err := s.Runs(ctx, topic, 1)
	if err != nil || len(runs) == 0 {
		return store.Run{}, false, err
	}
	return runs[0], true, nil
}

// Runs lists the most recent runs, newest first, of one topic or of all
// topics when topic is ""; limit <= 0 means all.
func (s *Store) Runs(ctx context.Context, topic string, limit int) ([]store.Run, error) {
	q := `SELECT r.id, t.name, started_at, finished_at, fetched, new, sources, sources_failed, degraded
		FROM research_runs r JOIN research_topics t ON t.id = r.topic_id WHERE ($1 = '' OR t.name = $1)
		ORDER BY started_at DESC, r.id DESC`
	args := []any{topic}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []store.Run
	for rows.Next() {
		var r store.Run
		if err := rows.Scan(&r.ID, &r.Topic, &r.StartedAt, &r.FinishedAt, &r.Fetched, &r.New, &r.Sources, &r.SourcesFailed, &r.Degraded); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.StartedAt, r.FinishedAt = r.StartedAt.UTC(), r.FinishedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Sent lists the items sent for topic, oldest first.
func (s *Store) Sent(ctx context.Context, topic string) ([]store.SentItem, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.name, canonical_url, title_key, article_id, title, source, sent_at
		FROM research_sent s JOIN research_topics t ON t.id = s.topic_id WHERE t.name = $1 ORDER BY s.id`, topic)
	if err != nil {
		return nil, fmt.Errorf("list sent items: %w", err)
	}
	defer rows.Close()
	var out []store.SentItem
	for rows.Next() {
		var it store.SentItem
		if err := rows.Scan(&it.Topic, &it.CanonicalURL, &it.TitleKey, &it.ArticleID, &it.Title, &it.Source, &it.SentAt); err != nil {
			return nil, fmt.Errorf("list sent items: %w", err)
		}
		it.SentAt = it.SentAt.UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}
