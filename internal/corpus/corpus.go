// Package corpus locates the shared evaluation corpus (../shared/corpus beside
// the repository) for tests and benchmarks that use real-world data and must
// skip cleanly where it is absent.
package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ErrAbsent means the corpus, or the part asked for, is not there.
var ErrAbsent = errors.New("corpus absent")

// Dir returns ../shared/corpus/<sub...> relative to the module root above the
// working directory (the directory that holds go.mod).
func Dir(sub ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no go.mod above the working directory", ErrAbsent)
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "corpus"}, sub...)...)
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrAbsent, p)
	}
	return p, nil
}

// Require returns Dir(sub...) or skips the test or benchmark when it is absent.
func Require(tb testing.TB, sub ...string) string {
	tb.Helper()
	p, err := Dir(sub...)
	if err != nil {
		tb.Skip(err.Error())
	}
	return p
}
