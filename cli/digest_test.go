package cli_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/cli"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// secondTopic overlaps the demo question: the same stories must not be listed twice.
const secondTopic = "long documents"

// digestConfig appends a digest section with two topics to the fixture config.
func digestConfig(t *testing.T, cfg string) string {
	t.Helper()
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	data = append(data, []byte("digest:\n  max_items: 40\n  topics:\n    - "+fixtureserver.Question+"\n    - "+secondTopic+"\n")...)
	p := filepath.Join(t.TempDir(), "digest.yaml")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

var (
	portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	whenRE = regexp.MustCompile(`\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC`)
)

// normalise hides what changes from run to run: the fixture server's ports
// and the digest's own times (articles' dates are the fixtures' and stay).
func normalise(s string) string {
	return whenRE.ReplaceAllString(portRE.ReplaceAllString(s, "127.0.0.1:PORT"), "DATE")
}

func digestGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cli -run Digest -update")
	assert.Equal(t, string(want), got)
}

// TestDigestRemembersWhatWasSent runs the real binaries twice against one
// store: the first digest lists new articles, the second lists none and says why.
func TestDigestRemembersWhatWasSent(t *testing.T) {
	_, fixtureCfg := startFixtures(t)
	cfg := digestConfig(t, fixtureCfg)
	db := filepath.Join(t.TempDir(), "state", "digests.db")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// --no-pages: full-page enrichment runs under a deadline, so on a loaded
	// machine a page may or may not make it, and the ranking with it.
	r := research(t, ctx, "digest", "--config", cfg, "--store", db, "--format", "markdown", "--no-pages")
	require.Equal(t, 0, r.code, r.stderr)
	// The first digest is checked for its shape, not byte for byte: the
	// fixture server's ports are part of the article URLs, hence of their ids,
	// which the analysis uses to break ties in its ranking.
	md := normalise(r.stdout)
	assert.Regexp(t, `^# Research digest\n\n_DATE · \d+ new articles in 2 topics_\n`, md)
	assert.Contains(t, md, "## "+fixtureserver.Question)
	assert.Contains(t, md, "first digest for this topic")
	assert.Contains(t, md, "sources failed", "the broken fixture sources are named")
	assert.Regexp(t, `(?m)^1\. <a id="t1-1"></a>\*\*\[`, md, "the first topic lists articles")
	// Every listed link appears once in the whole document: no story twice across topics.
	links := regexp.MustCompile(`\]\((http[^)]+)\)`).FindAllStringSubmatch(md, -1)
	require.NotEmpty(t, links)
	seen := map[string]bool{}
	for _, l := range links {
		assert.False(t, seen[l[1]], "listed twice: %s", l[1])
		seen[l[1]] = true
	}

	st, err := store.Open(ctx, db)
	require.NoError(t, err)
	runs, err := st.Runs(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	sent, err := st.Sent(ctx, fixtureserver.Question)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(sent), 6, "the listed articles and their folded duplicates")
	require.NoError(t, st.Close())

	// The second run has nothing new: nothing is delivered, stderr says so.
	r = research(t, ctx, "digest", "--config", cfg, "--store", db, "--no-pages", "--format", "markdown")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "nothing new in any of the 2 topics: nothing delivered")

	// With --always the "nothing new" digest is delivered and says why; it
	// does not depend on the ports, so it is a golden file.
	r = research(t, ctx, "digest", "--config", cfg, "--store", db, "--no-pages", "--format", "markdown", "--always")
	require.Equal(t, 0, r.code, r.stderr)
	second := normalise(r.stdout)
	digestGolden(t, "digest-second.md", second)
	assert.Contains(t, second, "_DATE · 0 new articles in 2 topics (nothing new in any)_")
	assert.Regexp(t, `Nothing new since DATE: \d+ articles fetched, all already sent; 2 of 9 sources failed: slow-feed \(timeout\)`, second)

	r = research(t, ctx, "digest", "history", "--store", db)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 7, r.stdout)
	assert.Contains(t, lines[0], "STARTED (UTC)")
	assert.Contains(t, lines[1], secondTopic, "newest first")

	r = research(t, ctx, "digest", "history", "--store", db, "--topic", secondTopic, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 3, strings.Count(r.stdout, `"topic": "`+secondTopic+`"`), r.stdout)
}

// TestDigestDryRunInProcess runs the command in this process: a dry run
// prints the digest, creates no store, and leaves no goroutine behind.
func TestDigestDryRunInProcess(t *testing.T) {
	_, cfg := startFixtures(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	db := filepath.Join(t.TempDir(), "digests.db")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "NO_COLOR" {
			return "1", true
		}
		return os.LookupEnv(k)
	}
	args := []string{"digest", "--config", cfg, "--store", db, "--format", "json", "--no-pages",
		"--analyzer", filepath.Join(binDir, "research-analyze"), "--topic", fixtureserver.Question, "--max-items", "3"}
	code := cli.Main(ctx, append(args, "--dry-run"), cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: env})
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), `"new": 3`)
	assert.Contains(t, errb.String(), "dry run")
	_, err := os.Stat(db)
	assert.ErrorIs(t, err, os.ErrNotExist, "a dry run writes nothing")

	// When the digest cannot be written (a closed pipe, a full disk), it
	// stays pending and nothing is sent: the next run prints it, unchanged.
	errb.Reset()
	code = cli.Main(ctx, args, cli.IO{In: strings.NewReader(""), Out: failingWriter{}, Err: &errb, Getenv: env})
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "write the digest")
	assert.Contains(t, errb.String(), "not delivered to stdout")
	st, err := store.Open(ctx, db)
	require.NoError(t, err)
	defer st.Close()
	sent, err := st.Sent(ctx, fixtureserver.Question)
	require.NoError(t, err)
	assert.Empty(t, sent)
	pending, err := st.PendingDigests(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Contains(t, pending[0].Bodies.JSON, `"new": 3`)

	out.Reset()
	errb.Reset()
	code = cli.Main(ctx, args, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: env})
	require.Equal(t, 0, code, errb.String())
	assert.True(t, strings.HasPrefix(out.String(), pending[0].Bodies.JSON), "the pending digest comes first, unchanged")
	sent, err = st.Sent(ctx, fixtureserver.Question)
	require.NoError(t, err)
	assert.NotEmpty(t, sent)
	pending, err = st.PendingDigests(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestDigestErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	bad := filepath.Join(blocker, "digests.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"store cannot be opened", []string{"digest", "--topic", "x", "--store", bad}, 1, bad},
		{"no topics", []string{"digest", "--store", filepath.Join(dir, "d.db")}, 2, "no topics"},
		{"bad format", []string{"digest", "--topic", "x", "--format", "pdf"}, 2, "unknown format"},
		{"negative since", []string{"digest", "--topic", "x", "--since", "-1h"}, 2, "--since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := research(t, ctx, tt.args...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
		})
	}
}
