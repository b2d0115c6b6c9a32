package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/fixtureserver"
)

// The analyzer's stderr is text it wrote while reading articles off the
// network; research --session ID --debug shows its tail the way a query does: no
// escape sequence or bidi override reaches the terminal.
func TestChatDebugShowsTheAnalyzerStderrSafely(t *testing.T) {
	_, cfg := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	analyzer := filepath.Join(t.TempDir(), "hostile-analyzer")
	require.NoError(t, os.WriteFile(analyzer, []byte("#!/bin/sh\n"+
		`printf 'panic: bad title \033]0;pwned\007\033[2J\342\200\256fdp.exe\n' >&2`+"\nexit 2\n"), 0o755))
	args := []string{"--session", "t1", "--debug", "--config", cfg, "--no-pages", "--analyzer", analyzer, "-s", "hn",
		fixtureserver.Question}
	_, _, errs := inProcess(t, ctx, "", args...)
	require.Contains(t, errs, "research-analyze stderr (tail)", errs)
	assert.Contains(t, errs, "panic: bad title fdp.exe", "the text stays, its controls go")
	for _, bad := range []string{"\x1b", "\a", "\u202e"} {
		assert.NotContains(t, errs, bad)
	}
}
