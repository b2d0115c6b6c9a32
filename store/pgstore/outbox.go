package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/research-cli/research/store"
)

// The outbox, as in the SQLite store (store/outbox.go): a digest is recorded
// as pending with its items and one delivery per target, and its items are
// sent once every target took it. Workers on PostgreSQL need no lease: the
// job queue runs each digest of a period once, and each job commits its
// writes with its own completion. The methods taking a lease accept only nil.

var errLease = errors.New("the PostgreSQL store takes no lease (the job queue orders the writes)")

func noLease(l *store.Lease) error {
	if l != nil {
		return errLease
	}
	return nil
}

// inTx runs fn in a transaction of the pool and commits it.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// RecordPending records a digest as pending in one transaction (see store.Store.RecordPending).
func (s *Store) RecordPending(ctx context.Context, l *store.Lease, d store.PendingDigest) (id int64, err error) {
	if err := noLease(l); err != nil {
		return 0, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		id, err = s.RecordPendingTx(ctx, tx, d)
		return err
	})
	return id, err
}

// RecordPendingTx is RecordPending inside the caller's transaction.
func (s *Store) RecordPendingTx(ctx context.Context, tx pgx.Tx, d store.PendingDigest) (int64, error) {
	now := s.Now().UTC()
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO research_digests
		(key, created_at, subject, new_items, body_text, body_markdown, body_html, body_json, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending') RETURNING id`,
		d.Key, now, d.Subject, d.New, d.Bodies.Text, d.Bodies.Markdown, d.Bodies.HTML, d.Bodies.JSON).Scan(&id); err != nil {
		return 0, fmt.Errorf("record digest: %w", err)
	}
	for _, rec := range d.Records {
		tid, runID, err := insertRun(ctx, tx, rec.Run, now)
		if err != nil {
			return 0, err
		}
		if len(rec.Items) == 0 {
			continue
		}
		b := &pgx.Batch{}
		for _, it := range rec.Items {
			b.Queue(`INSERT INTO research_digest_items
				(digest_id, topic_id, run_id, canonical_url, title_key, article_id, title, source)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				id, tid, runID, it.CanonicalURL, it.TitleKey, it.ArticleID, it.Title, it.Source)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return 0, fmt.Errorf("record the items of %q: %w", rec.Run.Topic, err)
		}
	}
	for _, t := range d.Targets {
		if _, err := tx.Exec(ctx, `INSERT INTO research_deliveries (digest_id, target) VALUES ($1, $2)`, id, t); err != nil {
			return 0, fmt.Errorf("record digest: target %q: %w", t, err)
		}
	}
	if len(d.Targets) == 0 {
		if err := complete(ctx, tx, id, now); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// RecordRuns records runs that produced no digest, in one transaction.
func (s *Store) RecordRuns(ctx context.Context, l *store.Lease, runs []store.Run) error {
	if err := noLease(l); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return s.RecordRunsTx(ctx, tx, runs) })
}

// RecordRunsTx is RecordRuns inside the caller's transaction.
func (s *Store) RecordRunsTx(ctx context.Context, tx pgx.Tx, runs []store.Run) error {
	now := s.Now().UTC()
	for _, r := range runs {
		if _, _, err := insertRun(ctx, tx, r, now); err != nil {
			return err
		}
	}
	return nil
}

// complete marks a digest delivered and its items sent (a story already sent
// under the same canonical URL is kept once).
func complete(ctx context.Context, tx pgx.Tx, digestID int64, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO research_sent
		(topic_id, run_id, canonical_url, title_key, article_id, title, source, sent_at)
		SELECT topic_id, run_id, canonical_url, title_key, article_id, title, source, $1
		FROM research_digest_items WHERE digest_id = $2 ORDER BY id
		ON CONFLICT DO NOTHING`, now, digestID); err != nil {
		return fmt.Errorf("mark the items of digest %d sent: %w", digestID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE research_digests SET state = 'delivered', delivered_at = $1 WHERE id = $2`, now, digestID); err != nil {
		return fmt.Errorf("mark digest %d delivered: %w", digestID, err)
	}
	return nil
}

// MarkDelivered records that target took the digest; when it was the last
// target pending, the digest's items are sent in the same transaction.
func (s *Store) MarkDelivered(ctx context.Context, l *store.Lease, digestID int64, target string) (done bool, err error) {
	if err := noLease(l); err != nil {
		return false, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		done, err = s.settleTx(ctx, tx, digestID, target, store.DeliveryDelivered, "")
		return err
	})
	return done, err
}

// MarkDeliveredTx is MarkDelivered inside the caller's transaction.
func (s *Store) MarkDeliveredTx(ctx context.Context, tx pgx.Tx, digestID int64, target string) (bool, error) {
	return s.settleTx(ctx, tx, digestID, target, store.DeliveryDelivered, "")
}

// DropDelivery gives up a target of a pending digest.
func (s *Store) DropDelivery(ctx context.Context, l *store.Lease, digestID int64, target, why string) (done bool, err error) {
	if err := noLease(l); err != nil {
		return false, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		done, err = s.settleTx(ctx, tx, digestID, target, store.DeliveryDropped, why)
		return err
	})
	return done, err
}

func (s *Store) settleTx(ctx context.Context, tx pgx.Tx, digestID int64, target, state, why string) (bool, error) {
	now := s.Now().UTC()
	tag, err := tx.Exec(ctx, `UPDATE research_deliveries SET state = $1, delivered_at = $2, last_error = $3,
		attempts = attempts + 1, last_attempt_at = $2 WHERE digest_id = $4 AND target = $5 AND state = 'pending'`,
		state, now, why, digestID, target)
	if err != nil {
		return false, fmt.Errorf("mark digest %d delivered to %s: %w", digestID, target, err)
	}
	if tag.RowsAffected() != 1 {
		return false, fmt.Errorf("mark digest %d delivered to %s: %w", digestID, target, store.ErrNoSuchDelivery)
	}
	var left int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM research_deliveries WHERE digest_id = $1 AND state = 'pending'`, digestID).Scan(&left); err != nil {
		return false, fmt.Errorf("mark digest %d delivered: %w", digestID, err)
	}
	if left == 0 {
		if err := complete(ctx, tx, digestID, now); err != nil {
			return false, err
		}
	}
	return left == 0, nil
}

// MarkFailed records a failed attempt to deliver to target; the digest stays pending.
func (s *Store) MarkFailed(ctx context.Context, l *store.Lease, digestID int64, target, why string) error {
	if err := noLease(l); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE research_deliveries SET attempts = attempts + 1, last_error = $1, last_attempt_at = $2
		WHERE digest_id = $3 AND target = $4 AND state = 'pending'`, why, s.Now().UTC(), digestID, target); err != nil {
		return fmt.Errorf("record the failed delivery: %w", err)
	}
	return nil
}

// PendingDigests lists the digests not yet delivered to every target, oldest first.
func (s *Store) PendingDigests(ctx context.Context) ([]store.OutboxDigest, error) {
	return s.digests(ctx, `WHERE state = 'pending' ORDER BY id`)
}

// OutboxDigest is one digest of the outbox, by id, with its deliveries.
func (s *Store) OutboxDigest(ctx context.Context, id int64) (store.OutboxDigest, error) {
	ds, err := s.digests(ctx, `WHERE id = $1`, id)
	if err != nil {
		return store.OutboxDigest{}, err
	}
	if len(ds) == 0 {
		return store.OutboxDigest{}, fmt.Errorf("digest %d: %w", id, store.ErrNoSuchDigest)
	}
	return ds[0], nil
}

func (s *Store) digests(ctx context.Context, where string, args ...any) ([]store.OutboxDigest, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, key, created_at, subject, new_items,
		body_text, body_markdown, body_html, body_json, state,
		(SELECT count(*) FROM research_digest_items i WHERE i.digest_id = research_digests.id)
		FROM research_digests `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	var out []store.OutboxDigest
	for rows.Next() {
		var d store.OutboxDigest
		if err := rows.Scan(&d.ID, &d.Key, &d.CreatedAt, &d.Subject, &d.New, &d.Bodies.Text, &d.Bodies.Markdown,
			&d.Bodies.HTML, &d.Bodies.JSON, &d.State, &d.Items); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the outbox: %w", err)
		}
		d.CreatedAt = d.CreatedAt.UTC()
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	for i := range out {
		if out[i].Deliveries, err = s.deliveries(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) deliveries(ctx context.Context, digestID int64) ([]store.Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT target, state, attempts, last_error, delivered_at
		FROM research_deliveries WHERE digest_id = $1 ORDER BY target`, digestID)
	if err != nil {
		return nil, fmt.Errorf("read the deliveries of digest %d: %w", digestID, err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var d store.Delivery
		var at *time.Time
		if err := rows.Scan(&d.Target, &d.State, &d.Attempts, &d.LastError, &at); err != nil {
			return nil, fmt.Errorf("read the deliveries of digest %d: %w", digestID, err)
		}
		if at != nil {
			d.DeliveredAt = at.UTC()
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
