package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/cli"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

// binDir holds research and research-analyze, built once for the package:
// research-analyze is the analyzer of every in-process run, research the
// binary of the few true end-to-end tests.
var binDir string

func TestMain(m *testing.M) {
	// The demo's --inject runs the test binary itself as the misbehaving
	// analyzer (os.Executable): it is the research command then.
	if len(os.Args) > 1 && os.Args[1] == "__analyzer-misbehave" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], cli.SystemIO()))
	}
	dir, err := os.MkdirTemp("", "research-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "github.com/research-cli/research/cmd/...")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	// In-process runs read the process environment: no user config, no
	// shared cache, and the analyzer just built.
	for k, v := range map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_CACHE_HOME": filepath.Join(dir, "cache"),
		"XDG_DATA_HOME": filepath.Join(dir, "data"), "RESEARCH_ANALYZER": filepath.Join(dir, "research-analyze"), "NO_COLOR": "1"} {
		os.Setenv(k, v)
	}
	os.Unsetenv("COLUMNS")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startFixtures serves the recorded responses on loopback and writes a config
// pointing every source at it, plus broken ones.
func startFixtures(t *testing.T) (*fixtureserver.Server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := fixtureserver.Start(ctx, fixtureserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })

	var b strings.Builder
	b.WriteString("http:\n  cache: \"off\"\n  retries: 0\nlimits:\n  source_timeout: 1500ms\nsources:\n")
	for _, s := range srv.Sources() {
		fmt.Fprintf(&b, "  - {name: %q, kind: %q, url: %q}\n", s.Name, s.Kind, s.URL)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return srv, path
}

type cmdResult struct {
	code           int
	stdout, stderr string
}

// research runs the command in-process through cli.Main, as main does.
func research(t *testing.T, ctx context.Context, args ...string) cmdResult {
	t.Helper()
	return researchEnv(t, ctx, nil, args...)
}

// researchEnv is research with some environment variables set for this run only.
func researchEnv(t *testing.T, ctx context.Context, env map[string]string, args ...string) cmdResult {
	t.Helper()
	var out, errb bytes.Buffer
	ios := cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}}
	code := cli.Main(ctx, args, ios)
	return cmdResult{code, out.String(), errb.String()}
}

// researchBinary runs the built binary: for what only a process shows
// (signals, exit status, main's wiring).
func researchBinary(t *testing.T, ctx context.Context, args ...string) cmdResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "research"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(), "NO_COLOR=1")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return cmdResult{code, out.String(), errb.String()}
}

func TestQueryJSONAgainstLoopback(t *testing.T) {
	t.Parallel()
	srv, cfg := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := research(t, ctx, "--config", cfg, "--format", "json", fixtureserver.Question)
	require.Equal(t, 0, r.code, r.stderr)

	var res models.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.Equal(t, fixtureserver.Question, res.Query)
	require.Len(t, res.Sources, len(srv.Sources()))

	bySource := map[string]int{}
	for _, a := range res.Articles {
		bySource[a.Source]++
	}
	healthy, broken := 0, 0
	for _, s := range res.Sources {
		if s.Error != "" {
			broken++
			assert.Zero(t, bySource[s.Name], "a broken source contributes nothing")
			assert.NotContains(t, s.Error, "\n", "one line per error")
			continue
		}
		healthy++
		assert.Equal(t, s.Kept, bySource[s.Name], "every kept article of %s is listed", s.Name)
		assert.Positive(t, s.Fetched, s.Name)
	}
	assert.GreaterOrEqual(t, healthy, 4)
	assert.GreaterOrEqual(t, broken, 2, "the fixture server includes broken sources")

	require.NotNil(t, res.Analysis, "analysis ran: %+v", res.Degraded)
	assert.Nil(t, res.Degraded)
	assert.Len(t, res.Analysis.Ranking, len(res.Articles))
	assert.NotEmpty(t, res.Analysis.Summary)
	assert.NotEmpty(t, res.Analysis.Keywords)
}

// TestQueryTextReport is a true end-to-end run of the built binary.
func TestQueryTextReport(t *testing.T) {
	t.Parallel()
	_, cfg := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := researchBinary(t, ctx, "--config", cfg, fixtureserver.Question)
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"Research: " + fixtureserver.Question, "Summary", "Keyphrases", "Top articles", "Sources", "✗ "} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "\x1b[", "no colour when piped")
	assert.NotContains(t, r.stdout, "fetching", "progress never goes to stdout")
}

func TestBadAnalyzerDegradesButKeepsArticles(t *testing.T) {
	t.Parallel()
	_, cfg := startFixtures(t)
	dir := t.TempDir()
	scripts := map[string]string{
		"crashed":    "#!/bin/sh\ncat >/dev/null\necho 'panic: boom' >&2\nkill -SEGV $$\n",
		"bad_output": "#!/bin/sh\ncat >/dev/null\necho 'this is not json'\n",
		"timeout":    "#!/bin/sh\nexec sleep 600\n",
	}
	for reason, script := range scripts {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, reason+".sh")
			require.NoError(t, os.WriteFile(p, []byte(script), 0o755))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			r := research(t, ctx, "--config", cfg, "--format", "json", "--analyzer", p, "--analysis-timeout", "1s", fixtureserver.Question)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Less(t, time.Since(start), 20*time.Second)
			var res models.Result
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
			assert.Nil(t, res.Analysis)
			require.NotNil(t, res.Degraded)
			assert.Equal(t, "analysis", res.Degraded.Stage)
			assert.Equal(t, reason, res.Degraded.Reason)
			kept := 0
			for _, s := range res.Sources {
				kept += s.Kept
			}
			assert.Equal(t, kept, len(res.Articles), "every fetched article is still listed")
			assert.NotEmpty(t, res.Articles)
		})
	}
}

func TestMissingAnalyzerIsStartFailed(t *testing.T) {
	t.Parallel()
	_, cfg := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := research(t, ctx, "--config", cfg, "--analyzer", "/nonexistent/research-analyze", fixtureserver.Question)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "! analysis unavailable: the analyzer was not found: looked in /nonexistent/research-analyze")
	assert.NotContains(t, r.stdout, "--debug", "a child that never started has no stderr to show")
	assert.Contains(t, r.stdout, "Articles (newest first)")
}

// TestSignalDuringAnalysis runs the built binary: SIGINT exits 130 and
// SIGTERM 143, and the analyzer's process group is gone either way.
func TestSignalDuringAnalysis(t *testing.T) {
	t.Parallel()
	_, cfg := startFixtures(t)
	for _, tt := range []struct {
		name string
		sig  os.Signal
		code int
		says string
	}{{"SIGINT", os.Interrupt, 130, "interrupted"}, {"SIGTERM", syscall.SIGTERM, 143, "terminated"}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "pid")
			script := fmt.Sprintf("#!/bin/sh\necho $$ > %s\ncat >/dev/null\nexec sleep 600\n", pidFile)
			p := filepath.Join(dir, "hang.sh")
			require.NoError(t, os.WriteFile(p, []byte(script), 0o755))

			cmd := exec.Command(filepath.Join(binDir, "research"), "--config", cfg, "--analyzer", p, "--analysis-timeout", "60s", "q")
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			require.NoError(t, cmd.Start())
			var childPID int
			require.Eventually(t, func() bool {
				data, err := os.ReadFile(pidFile)
				if err != nil {
					return false
				}
				_, err = fmt.Sscan(string(data), &childPID)
				return err == nil
			}, 30*time.Second, 20*time.Millisecond, "the analyzer starts")
			require.NoError(t, cmd.Process.Signal(tt.sig))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("research did not exit after %s", tt.name)
			}
			assert.Equal(t, tt.code, cmd.ProcessState.ExitCode(), errb.String())
			assert.Contains(t, errb.String(), "research: "+tt.says)
			assert.Eventually(t, func() bool { return syscall.Kill(childPID, 0) != nil }, 5*time.Second, 20*time.Millisecond,
				"the analyzer is gone")
		})
	}
}

func TestDemoRunsOffline(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel) // the subtests run after this function returns
	for _, inject := range []string{"none", "crash", "hang", "fork"} {
		t.Run(inject, func(t *testing.T) {
			t.Parallel()
			args := []string{"demo", "--inject", inject}
			if inject == "hang" {
				args = append(args, "--analysis-timeout", "1s")
			}
			r := research(t, ctx, args...)
			require.Equal(t, 0, r.code, r.stderr)
			for _, want := range []string{"1. Fan-out", "3. Isolation", "4. The report", "whole stage"} {
				assert.Contains(t, r.stdout, want)
			}
			if inject == "none" {
				// The fixture pages are on loopback: the demo allows private links.
				assert.Regexp(t, `article pages fetched and extracted in .*; the page's text was kept for [1-9]`, r.stdout)
			}
			if inject == "none" || inject == "fork" {
				assert.Contains(t, r.stdout, "the child exited 0")
				assert.NotContains(t, r.stdout, "analysis unavailable")
			} else {
				assert.Contains(t, r.stdout, "analysis unavailable")
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no question", nil, 2, "a question is required"},
		{"unknown format", []string{"--format", "pdf", "q"}, 2, "unknown format"},
		{"unknown flag", []string{"--frobnicate", "q"}, 2, "unknown flag"},
		{"missing config", []string{"--config", "/nonexistent.yaml", "q"}, 2, "/nonexistent.yaml"},
		{"unknown source", []string{"--source", "nope", "q"}, 2, "no such source"},
		{"bad inject", []string{"demo", "--inject", "explode"}, 2, "use one of"},
		{"negative timeout", []string{"--timeout", "-1s", "q"}, 2, "--timeout -1s: must be positive"},
		{"zero analysis timeout", []string{"--analysis-timeout", "0", "q"}, 2, "--analysis-timeout 0s: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := research(t, ctx, tt.args...)
			assert.Equal(t, tt.code, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestInvalidConfigNamesFileLineAndField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(p, []byte("limits:\n  parallel: 4\n  parralel: 2\n"), 0o644))
	r := research(t, context.Background(), "--config", p, "q")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, p)
	assert.Contains(t, r.stderr, "line 3")
	assert.Contains(t, r.stderr, "parralel")
}

func TestExtractJSON(t *testing.T) {
	t.Parallel()
	srv, _ := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := srv.URL() + "/pages/mlweekly/2026/11/lost-in-the-middle"
	r := research(t, ctx, "extract", "--format", "json", url)
	require.Equal(t, 0, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	for _, k := range []string{"url", "title", "byline", "published", "site", "text"} {
		assert.Contains(t, got, k)
	}
	assert.Equal(t, url, got["url"])
	assert.NotEmpty(t, got["title"])
	assert.Greater(t, len(got["text"].(string)), 500)
	assert.Contains(t, got["text"], "\n\n", "paragraphs are separated by blank lines")

	t.Run("text", func(t *testing.T) {
		r := researchEnv(t, ctx, map[string]string{"COLUMNS": "80"}, "extract", url)
		require.Equal(t, 0, r.code, r.stderr)
		assert.True(t, strings.HasPrefix(strings.Join(strings.Fields(r.stdout), " "), got["title"].(string)))
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.Contains(strings.TrimSpace(l), " ") {
				assert.LessOrEqual(t, render.Width(l), 80, l)
			}
		}
	})
	t.Run("markdown", func(t *testing.T) {
		r := research(t, ctx, "extract", "-f", "markdown", url)
		require.Equal(t, 0, r.code, r.stderr)
		assert.True(t, strings.HasPrefix(r.stdout, "# "), r.stdout)
		assert.Contains(t, r.stdout, "Source: [")
		assert.Contains(t, r.stdout, "(<"+url+">)")
	})
	t.Run("missing page", func(t *testing.T) {
		r := research(t, ctx, "extract", srv.URL()+"/pages/nope")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, 1, strings.Count(r.stderr, srv.URL()+"/pages/nope"), "the URL is named once: %s", r.stderr)
		assert.Empty(t, r.stdout)
	})
	t.Run("not a web URL", func(t *testing.T) {
		r := research(t, ctx, "extract", "file:///etc/passwd")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "not an http(s) URL")
	})
}

func TestSourcesCheckListAndImport(t *testing.T) {
	t.Parallel()
	srv, cfg := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	r := research(t, ctx, "sources", "check", "--config", cfg)
	assert.Equal(t, 1, r.code, "a broken source makes check fail")
	t.Run("oversized OPML", func(t *testing.T) {
		big := filepath.Join(t.TempDir(), "big.opml")
		f, err := os.Create(big)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(64<<20)) // sparse: no disk used
		require.NoError(t, f.Close())
		r := research(t, ctx, "sources", "import", "--config", cfg, big)
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "too large")
	})
	assert.Contains(t, r.stdout, "✓")
	assert.Contains(t, r.stdout, "✗")
	assert.Contains(t, r.stderr, "sources failed")

	r = research(t, ctx, "sources", "check", "--config", cfg, "hn", "arxiv")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)

	opml := filepath.Join(t.TempDir(), "feeds.opml")
	require.NoError(t, os.WriteFile(opml, []byte(`<?xml version="1.0"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="Tech"><outline text="Go Blog" type="rss" xmlUrl="https://go.dev/blog/feed.atom"/>
  <outline text="ML Weekly" type="rss" xmlUrl="`+srv.SourceURL("ml-weekly")+`/feeds/new.xml"/></outline>
</body></opml>`), 0o644))
	r = research(t, ctx, "sources", "import", "--config", cfg, opml)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "2 feeds added")
	r = research(t, ctx, "sources", "import", "--config", cfg, opml)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "0 feeds added", "importing twice adds nothing")

	r = research(t, ctx, "sources", "list", "--config", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "https://go.dev/blog/feed.atom")
	assert.Contains(t, r.stdout, "go-blog")
	assert.Contains(t, r.stdout, "ml-weekly-2", "a taken name is made unique")
}

// TestMisbehavingSourcesEachGetOneClearError runs healthy and misbehaving
// sources together: each misbehaving one becomes one named error within its
// deadline and the healthy ones arrive complete.
func TestMisbehavingSourcesEachGetOneClearError(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := fixtureserver.Start(ctx, fixtureserver.Options{})
	require.NoError(t, err)
	defer srv.Close()

	var b strings.Builder
	b.WriteString("http:\n  cache: \"off\"\n  retries: 0\nlimits:\n  source_timeout: 1s\n  enrich_pages: 0\nsources:\n")
	healthy := srv.Sources(models.KindHackerNews, models.KindArxiv, models.KindWikipedia)
	for _, s := range append(healthy, srv.MisbehavingSources()...) {
		fmt.Fprintf(&b, "  - {name: %q, kind: %q, url: %q}\n", s.Name, s.Kind, s.URL)
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(b.String()), 0o644))

	start := time.Now()
	r := research(t, ctx, "--config", cfg, "--format", "json", fixtureserver.Question)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Less(t, time.Since(start), 15*time.Second, "a slow source costs its own deadline, not more")
	var res models.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))

	want := map[string]string{ // source -> error kind
		fixtureserver.RouteSlow:      "timeout",
		fixtureserver.RouteBroken:    "http_5xx",
		fixtureserver.RouteMalformed: "malformed",
		fixtureserver.RouteNotFeed:   "not_a_feed",
		fixtureserver.RouteEmpty:     "empty",
	}
	for _, s := range res.Sources {
		if kind, bad := want[s.Name]; bad {
			assert.Equal(t, kind, s.ErrorKind, "%s: %s", s.Name, s.Error)
			assert.NotEmpty(t, s.Error)
			assert.NotContains(t, s.Error, "\n")
			assert.LessOrEqual(t, s.ElapsedMS, int64(3000), s.Name)
			continue
		}
		assert.Empty(t, s.Error, s.Name)
		assert.Positive(t, s.Kept, s.Name)
	}
	assert.Len(t, res.Sources, len(healthy)+len(want))
	require.NotNil(t, res.Analysis)
}
