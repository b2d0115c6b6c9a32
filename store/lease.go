package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// DigestLease is the name of the lease a digest run holds: one run at a time
// per store.
const DigestLease = "digest"

// Lease is one process's exclusive right to run digests on a store, until
// ExpiresAt unless renewed. A killed holder's lease lapses at its expiry, or
// at once for a process on the same host that is no longer running.
type Lease struct {
	Name       string
	Token      string
	PID        int
	Host       string
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// ErrLeaseHeld means another process holds the lease (see LeaseHeldError).
var ErrLeaseHeld = errors.New("the lease is held by another process")

// ErrLeaseLost means a lease this process held was taken over (it had expired
// without renewal); whatever it was doing must stop without writing.
var ErrLeaseLost = errors.New("the lease was lost")

// LeaseHeldError names the holder of a lease that could not be taken.
type LeaseHeldError struct {
	Path   string
	Holder Lease
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("digest store %s is in use by another digest run: pid %d on %s, since %s (its lease expires %s unless renewed)",
		e.Path, e.Holder.PID, e.Holder.Host, e.Holder.AcquiredAt.UTC().Format(time.RFC3339),
		e.Holder.ExpiresAt.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// processAlive reports whether pid runs on this host; it is replaceable in tests.
var processAlive = func(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown-host"
	}
	return h
}

func newToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// AcquireLease takes the named lease for ttl, once: when another live
// process holds it, the error is a *LeaseHeldError naming it. A lease past
// its expiry, or held by a process of this host that no longer runs, is
// taken over. The take-over is a compare-and-swap on the holder's token, so
// of two processes that both see a lapsed lease only one gets it.
func (s *Store) AcquireLease(ctx context.Context, name string, ttl time.Duration) (*Lease, error) {
	now := s.Now().UTC()
	l := &Lease{Name: name, Token: newToken(), PID: os.Getpid(), Host: hostname(),
		AcquiredAt: now, ExpiresAt: now.Add(ttl)}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("take the lease in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	cur, found, err := readLease(ctx, tx, name)
	if err != nil {
		return nil, fmt.Errorf("take the lease in %s: %w", s.path, err)
	}
	if found {
		lapsed := !cur.ExpiresAt.After(now) || (cur.Host == l.Host && !processAlive(cur.PID))
		if !lapsed {
			return nil, &LeaseHeldError{Path: s.path, Holder: cur}
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, token, pid, host, acquired_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
			acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
		WHERE leases.token = ?`,
		name, l.Token, l.PID, l.Host, now.Format(timeLayout), l.ExpiresAt.Format(timeLayout), cur.Token)
	if err != nil {
		return nil, fmt.Errorf("take the lease in %s: %w", s.path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		// Another process swapped it first (possible only where transactions do not serialise).
		return nil, &LeaseHeldError{Path: s.path, Holder: cur}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("take the lease in %s: %w", s.path, err)
	}
	return l, nil
}

// WaitLease takes the lease like AcquireLease, retrying every poll until it
// succeeds, wait has passed (the last *LeaseHeldError is returned) or ctx ends.
func (s *Store) WaitLease(ctx context.Context, name string, ttl, wait, poll time.Duration) (*Lease, error) {
	deadline := time.Now().Add(wait)
	for {
		l, err := s.AcquireLease(ctx, name, ttl)
		if err == nil || !errors.Is(err, ErrLeaseHeld) || !time.Now().Add(poll).Before(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// RenewLease moves the lease's expiry to ttl from now; ErrLeaseLost when
// another process has taken it meanwhile.
func (s *Store) RenewLease(ctx context.Context, l *Lease, ttl time.Duration) error {
	exp := s.Now().UTC().Add(ttl)
	res, err := s.db.ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE name = ? AND token = ?`,
		exp.Format(timeLayout), l.Name, l.Token)
	if err != nil {
		return fmt.Errorf("renew the lease in %s: %w", s.path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("renew the lease in %s: %w", s.path, ErrLeaseLost)
	}
	l.ExpiresAt = exp
	return nil
}

// ReleaseLease gives the lease up (a no-op when it was lost). It runs even
// when ctx is cancelled, so an interrupted run frees the store at once.
func (s *Store) ReleaseLease(ctx context.Context, l *Lease) error {
	if l == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), BusyTimeout)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND token = ?`, l.Name, l.Token); err != nil {
		return fmt.Errorf("release the lease in %s: %w", s.path, err)
	}
	return nil
}

// Holder is the current holder of the named lease; ok is false when none.
func (s *Store) Holder(ctx context.Context, name string) (l Lease, ok bool, err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Lease{}, false, err
	}
	defer tx.Rollback()
	return readLease(ctx, tx, name)
}

func readLease(ctx context.Context, tx *sql.Tx, name string) (Lease, bool, error) {
	var l Lease
	var acq, exp string
	err := tx.QueryRowContext(ctx, `SELECT name, token, pid, host, acquired_at, expires_at FROM leases WHERE name = ?`, name).
		Scan(&l.Name, &l.Token, &l.PID, &l.Host, &acq, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, err
	}
	if l.AcquiredAt, err = time.Parse(timeLayout, acq); err != nil {
		return Lease{}, false, err
	}
	if l.ExpiresAt, err = time.Parse(timeLayout, exp); err != nil {
		return Lease{}, false, err
	}
	return l, true, nil
}

// checkLease fails with ErrLeaseLost unless l (when not nil) still holds its
// lease: every outbox write of a leased run is fenced by it, in its own
// transaction, so a run that lost its lease cannot mark anything.
func checkLease(ctx context.Context, tx *sql.Tx, l *Lease) error {
	if l == nil {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM leases WHERE name = ? AND token = ?`, l.Name, l.Token).Scan(&n); err != nil {
		return err
	}
	if n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// CheckWritable proves the store takes writes: it writes a row in a
// transaction and commits it. A read-only file or directory, a full disk or
// a file locked too long fails here, before a digest run fetches anything.
func (s *Store) CheckWritable(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("digest store %s is not writable: %w", s.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO store_meta (key, value) VALUES ('checked_writable_at', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, s.Now().UTC().Format(timeLayout)); err != nil {
		return fmt.Errorf("digest store %s is not writable: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("digest store %s is not writable: %w", s.path, err)
	}
	return nil
}

// DefaultLeaseTTL is how long a digest run's lease lasts without renewal: a
// run renews it every third of that, so only a stopped or killed run lets it
// lapse (a killed run on the same host is recognised at once by its pid).
const DefaultLeaseTTL = 2 * time.Minute
