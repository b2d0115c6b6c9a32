package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/internal/pgtest"
	"github.com/research-cli/research/outbox"
	"github.com/research-cli/research/store"
	"github.com/research-cli/research/store/pgstore"
	"github.com/research-cli/research/store/storetest"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

func openPG(t *testing.T) *pgstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s, err := pgstore.New(ctx, pool)
	require.NoError(t, err)
	return s
}

// TestDigestsSuite runs the store behaviour shared with SQLite (package store).
func TestDigestsSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Digests { return openPG(t) })
}

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	errs := make(chan error, 4)
	for range 4 {
		go func() { _, err := pgstore.New(ctx, pool); errs <- err }()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
	s, err := pgstore.New(ctx, pool)
	require.NoError(t, err)
	v, err := s.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, pgstore.SchemaVersion, v)
}

// The outbox of research digest runs on PostgreSQL too.
var _ outbox.Store = (*pgstore.Store)(nil)
