package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The outbox: a digest is rendered and recorded as pending with its items in
// one transaction, delivered to each target, and marked delivered per target;
// only when every target has it are its items sent. A pending digest is
// retried unchanged (the bodies are stored) before anything new is built.

// Bodies are a digest rendered in every format a target may take.
type Bodies struct {
	Text     string
	Markdown string
	HTML     string
	JSON     string
}

// PendingDigest is a digest to record: its rendered bodies, its targets, and
// per topic the run and the items to mark sent once every target took it.
type PendingDigest struct {
	// Key identifies the digest to its targets (Idempotency-Key, Message-ID);
	// unique in the store.
	Key     string
	Subject string
	New     int
	Bodies  Bodies
	// Targets name where it goes; a digest with none is recorded delivered.
	Targets []string
	Records []Record
}

// Delivery is one target's state for one digest.
type Delivery struct {
	Target      string
	State       string // pending | delivered | dropped
	Attempts    int
	LastError   string
	DeliveredAt time.Time
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDropped   = "dropped"
)

// OutboxDigest is a digest as the outbox holds it.
type OutboxDigest struct {
	ID         int64
	Key        string
	CreatedAt  time.Time
	Subject    string
	New        int
	Bodies     Bodies
	State      string // pending | delivered
	Deliveries []Delivery
	// Items counts the items marked sent when it is delivered.
	Items int
}

// RecordPending records a digest as pending, in one transaction: each
// topic's run, the digest with its bodies, its items, one pending delivery
// per target. With a lease, the write happens only while the lease is held.
// A digest with no targets is recorded delivered, its items sent at once.
func (s *Store) RecordPending(ctx context.Context, l *Lease, d PendingDigest) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if err := checkLease(ctx, tx, l); err != nil {
		return 0, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	id, err := s.RecordPendingTx(ctx, tx, d)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	return id, nil
}

// RecordPendingTx is RecordPending inside the caller's transaction on this
// store's file, without a lease (a digest job's: the queue makes it the only
// one of its period, and its completion commits in the same transaction).
func (s *Store) RecordPendingTx(ctx context.Context, tx *sql.Tx, d PendingDigest) (int64, error) {
	now := s.Now().UTC().Format(timeLayout)
	res, err := tx.ExecContext(ctx, `INSERT INTO digests
		(key, created_at, subject, new_items, body_text, body_markdown, body_html, body_json, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
		d.Key, now, d.Subject, d.New, d.Bodies.Text, d.Bodies.Markdown, d.Bodies.HTML, d.Bodies.JSON)
	if err != nil {
		return 0, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record digest in %s: %w", s.path, err)
	}
	for _, rec := range d.Records {
		tid, runID, err := insertRun(ctx, tx, rec.Run, now)
		if err != nil {
			return 0, err
		}
		if err := insertItems(ctx, tx, id, tid, runID, rec.Items); err != nil {
			return 0, fmt.Errorf("record the items of %q: %w", rec.Run.Topic, err)
		}
	}
	for _, t := range d.Targets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (digest_id, target) VALUES (?, ?)`, id, t); err != nil {
			return 0, fmt.Errorf("record digest in %s: target %q: %w", s.path, t, err)
		}
	}
	if len(d.Targets) == 0 {
		if err := complete(ctx, tx, id, now); err != nil {
			return 0, fmt.Errorf("record digest in %s: %w", s.path, err)
		}
	}
	return id, nil
}

// RecordRuns records topic runs that produced no digest (nothing new), in
// one transaction, fenced by the lease when there is one.
func (s *Store) RecordRuns(ctx context.Context, l *Lease, runs []Run) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record runs in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if err := checkLease(ctx, tx, l); err != nil {
		return fmt.Errorf("record runs in %s: %w", s.path, err)
	}
	if err := s.RecordRunsTx(ctx, tx, runs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record runs in %s: %w", s.path, err)
	}
	return nil
}

// RecordRunsTx is RecordRuns inside the caller's transaction, without a lease.
func (s *Store) RecordRunsTx(ctx context.Context, tx *sql.Tx, runs []Run) error {
	now := s.Now().UTC().Format(timeLayout)
	for _, r := range runs {
		if _, _, err := insertRun(ctx, tx, r, now); err != nil {
			return err
		}
	}
	return nil
}

func insertRun(ctx context.Context, tx *sql.Tx, r Run, now string) (tid, runID int64, err error) {
	tid, err = topicID(ctx, tx, r.Topic, now)
	if err != nil {
		return 0, 0, fmt.Errorf("record run of %q: %w", r.Topic, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO runs
		(topic_id, started_at, finished_at, fetched, new, sources, sources_failed, degraded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, r.StartedAt.UTC().Format(timeLayout), r.FinishedAt.UTC().Format(timeLayout),
		r.Fetched, r.New, r.Sources, r.SourcesFailed, r.Degraded)
	if err != nil {
		return 0, 0, fmt.Errorf("record run of %q: %w", r.Topic, err)
	}
	runID, err = res.LastInsertId()
	if err != nil {
		return 0, 0, fmt.Errorf("record run of %q: %w", r.Topic, err)
	}
	return tid, runID, nil
}

func insertItems(ctx context.Context, tx *sql.Tx, digestID, topicID, runID int64, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO digest_items
		(digest_id, topic_id, run_id, canonical_url, title_key, article_id, title, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, it := range items {
		if _, err := stmt.ExecContext(ctx, digestID, topicID, runID, it.CanonicalURL, it.TitleKey, it.ArticleID, it.Title, it.Source); err != nil {
			return err
		}
	}
	return nil
}

// complete marks a digest delivered and its items sent (a story already sent
// under the same canonical URL is kept once).
func complete(ctx context.Context, tx *sql.Tx, digestID int64, now string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO sent
		(topic_id, run_id, canonical_url, title_key, article_id, title, source, sent_at)
		SELECT topic_id, run_id, canonical_url, title_key, article_id, title, source, ?
		FROM digest_items WHERE digest_id = ? ORDER BY id
		ON CONFLICT DO NOTHING`, now, digestID); err != nil {
		return fmt.Errorf("mark the items of digest %d sent: %w", digestID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE digests SET state = 'delivered', delivered_at = ? WHERE id = ?`, now, digestID); err != nil {
		return fmt.Errorf("mark digest %d delivered: %w", digestID, err)
	}
	return nil
}

// ErrNoSuchDelivery means a digest has no delivery row for a target.
var ErrNoSuchDelivery = errors.New("no such delivery")

// MarkDelivered records that target took the digest, in one transaction
// fenced by the lease; when that was the last target still pending, the
// digest is delivered and its items are sent in the same transaction, and
// done is true.
func (s *Store) MarkDelivered(ctx context.Context, l *Lease, digestID int64, target string) (done bool, err error) {
	return s.settle(ctx, l, digestID, target, DeliveryDelivered, "")
}

// DropDelivery gives up a target of a pending digest (the target is no longer
// configured): like MarkDelivered, but recorded as dropped with why.
func (s *Store) DropDelivery(ctx context.Context, l *Lease, digestID int64, target, why string) (done bool, err error) {
	return s.settle(ctx, l, digestID, target, DeliveryDropped, why)
}

func (s *Store) settle(ctx context.Context, l *Lease, digestID int64, target, state, why string) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("mark digest %d delivered to %s in %s: %w", digestID, target, s.path, err)
	}
	defer tx.Rollback()
	if err := checkLease(ctx, tx, l); err != nil {
		return false, fmt.Errorf("mark digest %d delivered to %s in %s: %w", digestID, target, s.path, err)
	}
	done, err := s.settleTx(ctx, tx, digestID, target, state, why)
	if err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("mark digest %d delivered to %s in %s: %w", digestID, target, s.path, err)
	}
	return done, nil
}

// MarkDeliveredTx is MarkDelivered inside the caller's transaction, without
// a lease (a delivery job's, committed with its completion).
func (s *Store) MarkDeliveredTx(ctx context.Context, tx *sql.Tx, digestID int64, target string) (done bool, err error) {
	return s.settleTx(ctx, tx, digestID, target, DeliveryDelivered, "")
}

func (s *Store) settleTx(ctx context.Context, tx *sql.Tx, digestID int64, target, state, why string) (bool, error) {
	now := s.Now().UTC().Format(timeLayout)
	res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, delivered_at = ?, last_error = ?, attempts = attempts + 1,
		last_attempt_at = ? WHERE digest_id = ? AND target = ? AND state = 'pending'`, state, now, why, now, digestID, target)
	if err != nil {
		return false, fmt.Errorf("mark digest %d delivered to %s in %s: %w", digestID, target, s.path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, fmt.Errorf("mark digest %d delivered to %s in %s: %w", digestID, target, s.path, ErrNoSuchDelivery)
	}
	var left int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE digest_id = ? AND state = 'pending'`, digestID).Scan(&left); err != nil {
		return false, fmt.Errorf("mark digest %d delivered in %s: %w", digestID, s.path, err)
	}
	if left == 0 {
		if err := complete(ctx, tx, digestID, now); err != nil {
			return false, fmt.Errorf("in %s: %w", s.path, err)
		}
	}
	return left == 0, nil
}

// MarkFailed records a failed attempt to deliver to target: the digest stays
// pending for it, and the error is kept for the next run to report.
func (s *Store) MarkFailed(ctx context.Context, l *Lease, digestID int64, target, why string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record the failed delivery in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if err := checkLease(ctx, tx, l); err != nil {
		return fmt.Errorf("record the failed delivery in %s: %w", s.path, err)
	}
	now := s.Now().UTC().Format(timeLayout)
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?
		WHERE digest_id = ? AND target = ? AND state = 'pending'`, why, now, digestID, target); err != nil {
		return fmt.Errorf("record the failed delivery in %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record the failed delivery in %s: %w", s.path, err)
	}
	return nil
}

// PendingDigests lists the digests not yet delivered to every target, oldest
// first, with their bodies and per-target state.
func (s *Store) PendingDigests(ctx context.Context) ([]OutboxDigest, error) {
	return s.digests(ctx, `WHERE state = 'pending' ORDER BY id`)
}

// ErrNoSuchDigest means the outbox has no digest with that id.
var ErrNoSuchDigest = errors.New("no such digest")

// OutboxDigest is one digest of the outbox, by id, with its deliveries.
func (s *Store) OutboxDigest(ctx context.Context, id int64) (OutboxDigest, error) {
	ds, err := s.digests(ctx, `WHERE id = ?`, id)
	if err != nil {
		return OutboxDigest{}, err
	}
	if len(ds) == 0 {
		return OutboxDigest{}, fmt.Errorf("digest %d in %s: %w", id, s.path, ErrNoSuchDigest)
	}
	return ds[0], nil
}

// Digests lists the most recent digests of the outbox, newest first; limit
// <= 0 means all.
func (s *Store) Digests(ctx context.Context, limit int) ([]OutboxDigest, error) {
	q := `ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	return s.digests(ctx, q, args...)
}

func (s *Store) digests(ctx context.Context, where string, args ...any) ([]OutboxDigest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, key, created_at, subject, new_items,
		body_text, body_markdown, body_html, body_json, state,
		(SELECT COUNT(*) FROM digest_items WHERE digest_items.digest_id = digests.id)
		FROM digests `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read the outbox of %s: %w", s.path, err)
	}
	var out []OutboxDigest
	for rows.Next() {
		var d OutboxDigest
		var created string
		if err := rows.Scan(&d.ID, &d.Key, &created, &d.Subject, &d.New, &d.Bodies.Text, &d.Bodies.Markdown,
			&d.Bodies.HTML, &d.Bodies.JSON, &d.State, &d.Items); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the outbox of %s: %w", s.path, err)
		}
		if d.CreatedAt, err = time.Parse(timeLayout, created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the outbox of %s: digest %d: %w", s.path, d.ID, err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the outbox of %s: %w", s.path, err)
	}
	for i := range out {
		if out[i].Deliveries, err = s.deliveries(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) deliveries(ctx context.Context, digestID int64) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT target, state, attempts, last_error, delivered_at
		FROM deliveries WHERE digest_id = ? ORDER BY target`, digestID)
	if err != nil {
		return nil, fmt.Errorf("read the deliveries of digest %d in %s: %w", digestID, s.path, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at string
		if err := rows.Scan(&d.Target, &d.State, &d.Attempts, &d.LastError, &at); err != nil {
			return nil, fmt.Errorf("read the deliveries of digest %d in %s: %w", digestID, s.path, err)
		}
		if at != "" {
			if d.DeliveredAt, err = time.Parse(timeLayout, at); err != nil {
				return nil, fmt.Errorf("read the deliveries of digest %d in %s: %w", digestID, s.path, err)
			}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
