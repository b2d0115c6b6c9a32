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

// ModuleRoot walks up from dir to the directory holding go.mod.
func ModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("module root: no go.mod above %s", dir)
		}
		dir = parent
	}
}

// Find returns ../shared/corpus/<sub...> beside the module that holds dir.
func Find(dir string, sub ...string) (string, error) {
	root, err := ModuleRoot(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrAbsent, err)
	}
	p := filepath.Join(append([]string{root, "..", "shared", "corpus"}, sub...)...)
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrAbsent, p)
	}
	return p, nil
}

// Dir is Find from the working directory, as tests run in their package's.
func Dir(sub ...string) (string, error) { return Find(".", sub...) }

// Require returns Dir(sub...) or skips the test or benchmark when it is absent.
func Require(tb testing.TB, sub ...string) string {
	tb.Helper()
	p, err := Dir(sub...)
	if err != nil {
		tb.Skip(err.Error())
	}
	return p
}
