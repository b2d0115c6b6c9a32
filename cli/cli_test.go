package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/cli"
	"github.com/research-cli/research/fixtureserver"
)

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(p, []byte(yaml), 0o644))
	return p
}

// deadSources is a config whose only source refuses connections at once.
const deadSources = "http:\n  cache: \"off\"\n  retries: 0\nlimits:\n  enrich_pages: 0\nsources:\n  - {name: dead, kind: feed, url: 'http://127.0.0.1:1/feed.xml'}\n"

// TestExitCodes is the exit-code map, command by command, in-process.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	bad := writeConfig(t, "limitz:\n  parallel: 2\nlimits:\n  fetch_timeout: 30\n")
	badTimeout := writeConfig(t, "limits:\n  fetch_timeout: -1s\n")
	dead := writeConfig(t, deadSources)
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr []string
		stdout string
	}{
		{"help", nil, []string{"--help"}, 0, nil, "Exit status:"},
		{"config without subcommand shows help", nil, []string{"config"}, 0, nil, "Available Commands"},
		{"unknown config subcommand", nil, []string{"config", "nope"}, 2, []string{`unknown command "nope" for "research config"`}, ""},
		{"unknown sources subcommand", nil, []string{"sources", "lsit"}, 2, []string{`unknown command "lsit"`, "did you mean list?"}, ""},
		{"unknown digest subcommand", nil, []string{"digest", "nope"}, 2, []string{`unknown command "nope"`}, ""},
		{"extra argument", nil, []string{"config", "path", "x"}, 2, []string{"unknown command"}, ""},
		{"unknown flag of a subcommand", nil, []string{"sources", "list", "--frob"}, 2, []string{"unknown flag: --frob"}, ""},
		{"flag needs a value", nil, []string{"--format"}, 2, []string{"flag needs an argument"}, ""},
		{"bad flag value", nil, []string{"--limit", "many", "q"}, 2, []string{"invalid argument"}, ""},
		{"negative limit", nil, []string{"--limit", "-1", "q"}, 2, []string{"--limit -1"}, ""},
		{"negative history limit", nil, []string{"digest", "history", "-n", "-1", "--store", filepath.Join(t.TempDir(), "h.db")}, 2, []string{"--limit -1"}, ""},
		{"jobs limit beyond what the queue lists", nil, []string{"jobs", "--limit", "20000"}, 2, []string{"--limit 20000"}, ""},
		{"invalid config: query", nil, []string{"--config", bad, "q"}, 2,
			[]string{"line 1: unknown field limitz; did you mean limits?", "line 4: limits.fetch_timeout: 30 needs a unit, e.g. 30s"}, ""},
		{"invalid config: sources list", nil, []string{"sources", "list", "--config", bad}, 2, []string{"did you mean limits?"}, ""},
		{"invalid config: config show", nil, []string{"config", "show", "--config", bad}, 2, []string{"did you mean limits?"}, ""},
		{"invalid config: extract", nil, []string{"extract", "--config", bad, "http://127.0.0.1:1/"}, 2, []string{"did you mean limits?"}, ""},
		{"invalid config: digest", nil, []string{"digest", "--config", bad, "--topic", "x"}, 2, []string{"did you mean limits?"}, ""},
		{"bad environment", map[string]string{"RESEARCH_TIMEOUT": "soon"}, []string{"config", "show"}, 2,
			[]string{`environment RESEARCH_TIMEOUT: "soon" is not a duration`}, ""},
		{"the environment overrides a bad file value", map[string]string{"RESEARCH_TIMEOUT": "5s"},
			[]string{"config", "show", "--config", badTimeout}, 0, nil, "fetch_timeout: 5s"},
		{"no source answered", nil, []string{"--config", dead, "q"}, 1, []string{"research: no source answered"}, "none answered"},
		{"days are durations", nil, []string{"--config", dead, "--timeout", "1d", "q"}, 1, []string{"no source answered"}, "✗ dead"},
		{"a bare number is not a duration", nil, []string{"--timeout", "30", "q"}, 2, []string{"30 needs a unit, e.g. 30s"}, ""},
		{"digest where no source answered", nil, []string{"digest", "--config", dead, "--dry-run", "--topic", "x", "--store", filepath.Join(t.TempDir(), "d.db")},
			1, []string{"no source answered for any topic"}, "No source answered"},
		{"sources check with a dead source", nil, []string{"sources", "check", "--config", dead}, 1, []string{"1 of 1 sources failed"}, "✗"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r := researchEnv(t, ctx, tt.env, tt.args...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			for _, w := range tt.stderr {
				assert.Contains(t, r.stderr, w)
			}
			if tt.stdout != "" {
				assert.Contains(t, r.stdout, tt.stdout)
			}
			if tt.code == 2 {
				assert.Empty(t, r.stdout, "a usage error prints no result")
			}
		})
	}
}

// TestBadFileValueOverriddenByFlag runs a query whose file has a bad
// fetch_timeout that --timeout replaces: the layers are validated once.
func TestBadFileValueOverriddenByFlag(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, strings.Replace(deadSources, "limits:\n", "limits:\n  fetch_timeout: -1s\n", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := research(t, ctx, "--config", cfg, "q")
	assert.Equal(t, 2, r.code, "alone, the file is invalid")
	r = research(t, ctx, "--config", cfg, "--timeout", "5s", "q")
	assert.Equal(t, 1, r.code, "with --timeout it runs (and its only source is dead): %s", r.stderr)
	assert.Contains(t, r.stdout, "✗ dead")
	r = researchEnv(t, ctx, map[string]string{"RESEARCH_TIMEOUT": "5s"}, "--config", cfg, "q")
	assert.Equal(t, 1, r.code, r.stderr)
}

func TestExitCode(t *testing.T) {
	usage := cli.Main(context.Background(), []string{"--frobnicate"}, cli.IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	assert.Equal(t, cli.ExitUsage, usage)

	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cli.SignalError{Signal: syscall.SIGTERM})
	assert.Equal(t, cli.ExitTerminated, cli.ExitCode(ctx, context.Canceled))
	ctx, cancel = context.WithCancelCause(context.Background())
	cancel(cli.SignalError{Signal: os.Interrupt})
	assert.Equal(t, cli.ExitInterrupted, cli.ExitCode(ctx, errors.New("topic: context canceled")))
	assert.Equal(t, cli.ExitOK, cli.ExitCode(context.Background(), nil))
	assert.Equal(t, cli.ExitError, cli.ExitCode(context.Background(), errors.New("disk full")))
}

// TestEveryCommandHasExamples walks the whole tree, commands added by
// anyone included.
func TestEveryCommandHasExamples(t *testing.T) {
	var out bytes.Buffer
	root := cli.NewRootForTest(cli.IO{In: strings.NewReader(""), Out: &out, Err: &out})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || (c.HasParent() && c.Parent().Name() == "completion") {
			return
		}
		assert.NotEmpty(t, c.Example, "%s has no examples", c.CommandPath())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestCompletionCompletesFlagValues(t *testing.T) {
	cfg := writeConfig(t, "sources:\n  - {name: hn, kind: hackernews, url: 'http://127.0.0.1:1/api'}\n  - {name: lobsters, kind: feed, url: 'http://127.0.0.1:1/rss'}\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"format", []string{"__complete", "--format", ""}, []string{"text", "json", "markdown", "html"}},
		{"inject", []string{"__complete", "demo", "--inject", ""}, []string{"none", "hang", "crash", "garbage", "fork"}},
		{"sources from the config", []string{"__complete", "--config", cfg, "--source", ""}, []string{"hn\t", "lobsters\t"}},
		{"sources with a prefix", []string{"__complete", "--config", cfg, "-s", "lo"}, []string{"lobsters\t"}},
		{"sources check names", []string{"__complete", "sources", "check", "--config", cfg, ""}, []string{"hn\t", "lobsters\t"}},
		{"extract formats", []string{"__complete", "extract", "-f", ""}, []string{"text", "json", "markdown"}},
		{"digest formats", []string{"__complete", "digest", "--format", ""}, []string{"markdown", "html"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := research(t, context.Background(), tt.args...)
			require.Equal(t, 0, r.code, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stdout, w)
			}
		})
	}
}

// TestLimitMeansTheSameEverywhere: -n N lists N articles, 0 all of them.
func TestLimitMeansTheSameEverywhere(t *testing.T) {
	t.Parallel()
	_, cfg := startFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := research(t, ctx, "--config", cfg, "--no-pages", "-n", "0", "--explain", fixtureserver.Question)
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "more (use --limit")
	assert.Contains(t, r.stdout, "score ", "--explain shows the breakdown in text")
	r = research(t, ctx, "--config", cfg, "--no-pages", "-n", "3", "--format", "html", fixtureserver.Question)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "<details><summary>and ")
}

func TestDurationFlagsTakeDaysAndWeeks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, since := range []string{"2d", "7d", "1w", "36h"} {
		r := research(t, ctx, "digest", "--config", writeConfig(t, deadSources), "--store", filepath.Join(t.TempDir(), "d.db"),
			"--dry-run", "--since", since, "--topic", "x")
		assert.NotEqual(t, 2, r.code, "--since %s is accepted: %s", since, r.stderr)
	}
	r := research(t, ctx, "digest", "--since", "2x", "--topic", "x")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `"2x" is not a duration`)
}

// TestMainLeavesNoGoroutines runs whole commands in-process, as tests and
// embedders do: nothing they start outlives them.
func TestMainLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dead := writeConfig(t, deadSources)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, args := range [][]string{{"--config", dead, "q"}, {"sources", "check", "--config", dead}, {"config", "show"}, {"--frob"}} {
		r := research(t, ctx, args...)
		assert.Equal(t, map[string]int{"--config": 1, "sources": 1, "config": 0, "--frob": 2}[args[0]], r.code, "%v: %s", args, r.stderr)
	}
}

// TestUnknownSubcommandIsAUsageErrorEverywhere walks the tree: every command
// that has subcommands (anyone's) rejects an unknown one with exit 2.
func TestUnknownSubcommandIsAUsageErrorEverywhere(t *testing.T) {
	var out bytes.Buffer
	root := cli.NewRootForTest(cli.IO{In: strings.NewReader(""), Out: &out, Err: &out})
	var groups [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if len(path) > 0 && c.HasAvailableSubCommands() {
			groups = append(groups, path)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(root, nil)
	require.NotEmpty(t, groups)
	for _, g := range groups {
		t.Run(strings.Join(g, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r := research(t, ctx, append(g, "no-such-subcommand")...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, "no-such-subcommand")
		})
	}
}

// TestTopLevelErrorDrivesNoTerminal: whatever an error quotes (a file name, a
// URL, a server's words) is stripped of terminal controls at the last print.
func TestTopLevelErrorDrivesNoTerminal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	missing := filepath.Join(t.TempDir(), "conf\x1b]0;pwned\x07\x1b[2J\u202e.yaml")
	r := research(t, ctx, "config", "show", "--config", missing)
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "research: ")
	assert.Contains(t, r.stderr, "conf")
	for _, bad := range []string{"\x1b", "\x07", "\u202e"} {
		assert.NotContains(t, r.stderr, bad)
	}
}
