package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/research-cli/research/store"
	"github.com/research-cli/research/store/pgstore"
)

// DB is the database of a queue and its digest store: a SQLite file (the
// digest store's own) or a PostgreSQL database.
type DB struct {
	sqlite   *backend[*sql.Tx]
	postgres *backend[pgx.Tx]
}

// IsPostgres reports whether database names a PostgreSQL database.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open opens database: a postgres:// URL, or else the path of a SQLite file
// (the digest store; "sqlite://" may prefix it). The digest store's schema
// is brought up to date; River's tables are migrated on SQLite only when
// migrate is set (PostgreSQL: by `research migrate`).
func Open(ctx context.Context, database string, migrate bool, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if IsPostgres(database) {
		b, err := openPostgres(ctx, database)
		if err != nil {
			return nil, err
		}
		return &DB{postgres: b}, nil
	}
	b, err := openSQLite(ctx, strings.TrimPrefix(database, "sqlite://"))
	if err != nil {
		return nil, err
	}
	d := &DB{sqlite: b}
	if migrate {
		if err := b.migrate(ctx, log); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// Kind is "sqlite" or "postgres".
func (d *DB) Kind() string {
	if d.postgres != nil {
		return d.postgres.kind
	}
	return d.sqlite.kind
}

// Where is the file, or the URL without its password.
func (d *DB) Where() string {
	if d.postgres != nil {
		return d.postgres.where
	}
	return d.sqlite.where
}

// Store is the digest store in this database.
func (d *DB) Store() store.Digests {
	if d.postgres != nil {
		return d.postgres.store
	}
	return d.sqlite.store
}

// Migrate creates or upgrades River's tables (the store's are brought up to date by Open).
func (d *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if d.postgres != nil {
		return d.postgres.migrate(ctx, log)
	}
	return d.sqlite.migrate(ctx, log)
}

// Run works the queue and fires o.Plans until ctx is done, then stops
// gracefully (see Options.Grace) and returns nil.
func (d *DB) Run(ctx context.Context, o Options) error {
	if d.postgres != nil {
		if err := d.postgres.validate(ctx); err != nil {
			return err
		}
		return runWorker(ctx, d.postgres, o)
	}
	if err := d.sqlite.validate(ctx); err != nil {
		return err
	}
	return runWorker(ctx, d.sqlite, o)
}

// Close closes the database.
func (d *DB) Close() error {
	if d.postgres != nil {
		return d.postgres.close()
	}
	return d.sqlite.close()
}

// Job is one job as `research jobs` shows it.
type Job struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Queue       string    `json:"queue"`
	Digest      string    `json:"digest,omitempty"`
	Schedule    string    `json:"schedule,omitempty"`
	Target      string    `json:"target,omitempty"`
	Period      time.Time `json:"period,omitzero"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"max_attempts"`
	CreatedAt   time.Time `json:"created_at"`
	ScheduledAt time.Time `json:"scheduled_at"`
	AttemptedAt time.Time `json:"attempted_at,omitzero"`
	FinalizedAt time.Time `json:"finalized_at,omitzero"`
	AttemptedBy string    `json:"attempted_by,omitempty"`
	// LastError is the last attempt's error, "" when none failed.
	LastError string `json:"last_error,omitempty"`
}

// States are the job states `research jobs` lists by default: all but completed.
var States = []string{"available", "scheduled", "running", "retryable", "pending", "discarded", "cancelled"}

// List returns up to limit jobs in the given states (River's state names),
// most recent first.
func (d *DB) List(ctx context.Context, states []string, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 100
	}
	var st []rivertype.JobState
	for _, s := range states {
		st = append(st, rivertype.JobState(s))
	}
	params := river.NewJobListParams().First(limit).OrderBy(river.JobListOrderByID, river.SortOrderDesc)
	if len(st) > 0 {
		params = params.States(st...)
	}
	var rows []*rivertype.JobRow
	var err error
	if d.postgres != nil {
		rows, err = list(ctx, d.postgres, params)
	} else {
		rows, err = list(ctx, d.sqlite, params)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(rows))
	for _, r := range rows {
		j := Job{ID: r.ID, Kind: r.Kind, State: string(r.State), Queue: r.Queue, Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
			CreatedAt: r.CreatedAt.UTC(), ScheduledAt: r.ScheduledAt.UTC()}
		if r.AttemptedAt != nil {
			j.AttemptedAt = r.AttemptedAt.UTC()
		}
		if r.FinalizedAt != nil {
			j.FinalizedAt = r.FinalizedAt.UTC()
		}
		if n := len(r.AttemptedBy); n > 0 {
			j.AttemptedBy = r.AttemptedBy[n-1]
		}
		if n := len(r.Errors); n > 0 {
			j.LastError = r.Errors[n-1].Error
		}
		var a struct {
			Digest   string    `json:"digest"`
			Schedule string    `json:"schedule"`
			Target   string    `json:"target"`
			Period   time.Time `json:"period"`
			Slot     time.Time `json:"slot"`
		}
		if json.Unmarshal(r.EncodedArgs, &a) == nil {
			j.Digest, j.Schedule, j.Target, j.Period = a.Digest, a.Schedule, a.Target, a.Period.UTC()
			if j.Period.IsZero() {
				j.Period = a.Slot.UTC()
			}
		}
		out = append(out, j)
	}
	return out, nil
}

func list[TTx any](ctx context.Context, b *backend[TTx], params *river.JobListParams) ([]*rivertype.JobRow, error) {
	if err := b.validate(ctx); err != nil {
		if b.kind == "sqlite" && errors.Is(err, errNotMigrated) {
			return nil, nil // no worker ever ran on this store: no jobs
		}
		return nil, err
	}
	c, err := river.NewClient(b.driver, &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	res, err := c.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list jobs in %s: %w", b.where, err)
	}
	return res.Jobs, nil
}

// openSQLite opens the digest store's file and River on it. River gets a
// pool of its own with one connection, as its SQLite driver advises; the
// store keeps its own pool for reads. Both use the store's DSN: WAL, busy
// timeout, immediate transactions.
func openSQLite(ctx context.Context, path string) (*backend[*sql.Tx], error) {
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open the job queue in %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return &backend[*sql.Tx]{
		kind:          "sqlite",
		where:         path,
		driver:        riversqlite.New(db),
		store:         st,
		begin:         func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		commit:        func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		undo:          func(_ context.Context, tx *sql.Tx) error { return tx.Rollback() },
		recordPending: st.RecordPendingTx,
		recordRuns:    st.RecordRunsTx,
		markDelivered: st.MarkDeliveredTx,
		close:         func() error { return errors.Join(db.Close(), st.Close()) },
	}, nil
}

// openPostgres connects a pool and brings the digest store's tables up to date.
func openPostgres(ctx context.Context, database string) (*backend[pgx.Tx], error) {
	where := database
	if u, err := url.Parse(database); err == nil {
		where = u.Redacted()
	}
	cfg, err := pgxpool.ParseConfig(database)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	ping, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(ping); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	st, err := pgstore.New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	return &backend[pgx.Tx]{
		kind:          "postgres",
		where:         where,
		driver:        riverpgxv5.New(pool),
		store:         st,
		begin:         func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		commit:        func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		undo:          func(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) },
		recordPending: st.RecordPendingTx,
		recordRuns:    st.RecordRunsTx,
		markDelivered: st.MarkDeliveredTx,
		close:         func() error { pool.Close(); return nil },
	}, nil
}

// Retry makes a discarded, cancelled or retrying job available to run now.
func (d *DB) Retry(ctx context.Context, id int64) error {
	if d.postgres != nil {
		return retry(ctx, d.postgres, id)
	}
	return retry(ctx, d.sqlite, id)
}

func retry[TTx any](ctx context.Context, b *backend[TTx], id int64) error {
	if err := b.validate(ctx); err != nil {
		return err
	}
	c, err := river.NewClient(b.driver, &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	if _, err := c.JobRetry(ctx, id); err != nil {
		if errors.Is(err, rivertype.ErrNotFound) {
			return fmt.Errorf("no job %d in %s", id, b.where)
		}
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	return nil
}
