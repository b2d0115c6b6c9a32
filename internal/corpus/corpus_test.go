package corpus

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDir(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	pkg := filepath.Join(repo, "a", "b")
	require.NoError(t, os.MkdirAll(pkg, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644))
	t.Chdir(pkg)

	_, err := Dir("feeds")
	require.ErrorIs(t, err, ErrAbsent, "no corpus yet")

	feeds := filepath.Join(root, "shared", "corpus", "feeds")
	require.NoError(t, os.MkdirAll(feeds, 0o755))
	got, err := Dir("feeds")
	require.NoError(t, err)
	assert.Equal(t, filepath.Clean(feeds), filepath.Clean(got))

	_, err = Dir("pages")
	assert.ErrorIs(t, err, ErrAbsent)
}
