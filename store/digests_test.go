package store_test

import (
	"path/filepath"
	"testing"

	"github.com/research-cli/research/store"
	"github.com/research-cli/research/store/storetest"
)

// TestDigestsSuite runs the store behaviour shared with PostgreSQL (store/pgstore).
func TestDigestsSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Digests {
		return open(t, filepath.Join(t.TempDir(), "digests.db"))
	})
}
