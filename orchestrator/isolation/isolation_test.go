package isolation

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

func requireDegraded(t *testing.T, out Outcome, reason string) {
	t.Helper()
	require.Nil(t, out.Report, "a degraded outcome must carry no report")
	require.NotNil(t, out.Degraded, "want degraded %s, got a report", reason)
	assert.Equal(t, Stage, out.Degraded.Stage)
	assert.Equal(t, reason, out.Degraded.Reason, "detail: %s; stderr: %s", out.Degraded.Detail, out.StderrTail)
	assert.NotContains(t, out.Degraded.Detail, "\n", "detail must be one line")
}

func TestRunValidReport(t *testing.T) {
	req := request(10, 500)
	out := Run(context.Background(), helperConfig(t, "echo"), req)
	require.Nil(t, out.Degraded, "%+v stderr=%s", out.Degraded, out.StderrTail)
	require.NotNil(t, out.Report)
	assert.Equal(t, 1, out.Report.Version)
	assert.Equal(t, "attention mechanism", out.Report.Query)
	require.Len(t, out.Report.Ranking, 10)
	assert.Equal(t, "a0", out.Report.Ranking[0].ID)
	assert.Positive(t, out.PID)
	assert.Equal(t, 0, out.ExitCode)
	assert.Positive(t, out.RequestBytes)
	assert.Positive(t, out.ReportBytes)
	assert.Positive(t, out.Elapsed)
	assert.Empty(t, out.LimitError)
	assert.False(t, processAlive(out.PID))
	assert.Contains(t, out.Summary(), "analysed 10 articles")
}

func TestRunEmptyAndNilRequest(t *testing.T) {
	for name, req := range map[string]*models.AnalysisRequest{
		"empty": {Version: 1, Articles: []models.Article{}},
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			analyze := helperConfig(t, "echo").Analyze
			out := analyze(context.Background(), req)
			require.Nil(t, out.Degraded)
			require.NotNil(t, out.Report)
			assert.Empty(t, out.Report.Ranking)
			assert.NotNil(t, out.Report.Keywords)
		})
	}
}

// Case 1: a child that sleeps, with or without ignoring SIGTERM, is killed at the timeout.
func TestRunTimeout(t *testing.T) {
	for _, mode := range []string{"sleep", "ignore-term"} {
		t.Run(mode, func(t *testing.T) {
			cfg := helperConfig(t, mode)
			cfg.Timeout = 400 * time.Millisecond
			out := Run(context.Background(), cfg, request(3, 100))
			requireDegraded(t, out, models.ReasonTimeout)
			assert.Equal(t, "the analyzer timed out after 400ms", out.Degraded.Detail)
			// The child sleeps for an hour: a sanity bound, not a timing test.
			assert.Less(t, out.Elapsed, patience)
			assert.GreaterOrEqual(t, out.Elapsed, cfg.Timeout)
			assert.Equal(t, "killed", out.Signal)
			assert.Equal(t, -1, out.ExitCode)
			assert.False(t, processAlive(out.PID))
		})
	}
}

// Case 4: anything but exactly one valid report of version 1 is bad_output
// (or crashed, for a valid report with a non-zero exit).
func TestRunBadOutput(t *testing.T) {
	tests := []struct {
		mode, reason, detail string
	}{
		{"invalid", models.ReasonBadOutput, `not a report: output starts with "this is not JSON"`},
		{"empty", models.ReasonBadOutput, "printed nothing"},
		{"exit-early", models.ReasonBadOutput, "printed nothing"},
		{"truncated", models.ReasonBadOutput, "invalid JSON"},
		{"null", models.ReasonBadOutput, `output starts with "null"`},
		{"array", models.ReasonBadOutput, `output starts with "[]"`},
		{"junk-after", models.ReasonBadOutput, `more bytes after the report, starting with "DEBUG: done"`},
		{"two-reports", models.ReasonBadOutput, "more bytes after the report"},
		{"version2", models.ReasonBadOutput, "version 2, want 1"},
		{"unknown-id", models.ReasonBadOutput, `unknown article "not-in-request"`},
		{"dup-id", models.ReasonBadOutput, `lists article "a0" a second time`},
		{"missing-id", models.ReasonBadOutput, `ranking misses article "a0"`},
		{"bad-citation", models.ReasonBadOutput, `summary[0] cites unknown article "nowhere"`},
		{"report-exit1", models.ReasonCrashed, "exit status 1: analysis: internal failure after writing the report"},
		{"reject", models.ReasonCrashed, "rejected the request (exit status 2: research-analyze: invalid request: articles[3]: id is required)"},
		{"crash-early", models.ReasonCrashed, "exit status 3: refusing to read"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			out := Run(context.Background(), helperConfig(t, tc.mode), request(3, 100))
			requireDegraded(t, out, tc.reason)
			assert.Contains(t, out.Degraded.Detail, tc.detail)
			assert.False(t, processAlive(out.PID))
		})
	}
}

// Case 5: panics and deaths by signal are crashed, naming the panic or signal.
func TestRunCrash(t *testing.T) {
	t.Run("panic", func(t *testing.T) {
		out := Run(context.Background(), helperConfig(t, "panic"), request(2, 10))
		requireDegraded(t, out, models.ReasonCrashed)
		assert.Equal(t, "the analyzer crashed (panic: boom in analysis)", out.Degraded.Detail)
		assert.Equal(t, 2, out.ExitCode)
		assert.Contains(t, out.StderrTail, "goroutine 1")
		assert.Equal(t, "the analyzer crashed (panic: boom in analysis) (run with --debug for its stderr)", out.Summary())
	})
	for _, sig := range []struct{ name, text string }{{"SEGV", "segmentation fault"}, {"KILL", "killed"}, {"ABRT", "aborted"}} {
		t.Run(sig.name, func(t *testing.T) {
			cfg := Config{Path: "/bin/sh", Args: []string{"-c", "kill -" + sig.name + " $$"}, Timeout: 5 * time.Second}
			out := Run(context.Background(), cfg, request(2, 10))
			requireDegraded(t, out, models.ReasonCrashed)
			assert.Equal(t, "the analyzer crashed ("+sig.text+")", out.Degraded.Detail)
			assert.Equal(t, sig.text, out.Signal)
			assert.Equal(t, -1, out.ExitCode)
		})
	}
}

// Case 8: a missing or non-executable binary is start_failed, naming where it looked.
func TestRunStartFailed(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "research-analyze")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	missing := filepath.Join(dir, "nope", "research-analyze")

	out := Run(context.Background(), Config{Path: missing}, request(1, 10))
	requireDegraded(t, out, models.ReasonStartFailed)
	assert.Equal(t, "the analyzer was not found: looked in "+missing+" (no such file)", out.Degraded.Detail)
	assert.Equal(t, out.Degraded.Detail, out.Summary())

	out = Run(context.Background(), Config{Path: notExec}, request(1, 10))
	requireDegraded(t, out, models.ReasonStartFailed)
	assert.Contains(t, out.Degraded.Detail, "the analyzer is not executable: looked in "+notExec)

	garbage := filepath.Join(dir, "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("\x00\x01 not a program"), 0o755))
	out = Run(context.Background(), Config{Path: garbage}, request(1, 10))
	requireDegraded(t, out, models.ReasonStartFailed)
	assert.Equal(t, "the analyzer could not be started: fork/exec "+garbage+": exec format error", out.Degraded.Detail)

	t.Setenv("PATH", dir)
	out = Run(context.Background(), Config{}, request(1, 10))
	requireDegraded(t, out, models.ReasonStartFailed)
	self, _ := os.Executable()
	assert.Contains(t, out.Degraded.Detail, filepath.Join(filepath.Dir(self), AnalyzerName))
	assert.Contains(t, out.Degraded.Detail, "research-analyze on PATH ("+dir+")")
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, AnalyzerName)
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	t.Run("explicit", func(t *testing.T) {
		p, err := Locate(bin)
		require.NoError(t, err)
		assert.Equal(t, bin, p)
	})
	t.Run("directory", func(t *testing.T) {
		_, err := Locate(dir)
		require.ErrorIs(t, err, ErrNotExecutable)
	})
	t.Run("on PATH", func(t *testing.T) {
		t.Setenv("PATH", dir)
		p, err := Locate("")
		require.NoError(t, err)
		assert.Equal(t, bin, p)
	})
	t.Run("bare name on PATH", func(t *testing.T) {
		t.Setenv("PATH", dir)
		p, err := Locate(AnalyzerName)
		require.NoError(t, err)
		assert.Equal(t, bin, p)
	})
	t.Run("nowhere", func(t *testing.T) {
		t.Setenv("PATH", "/nonexistent-a:/nonexistent-b")
		_, err := Locate("")
		require.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), "/nonexistent-a:/nonexistent-b")
	})
}

// Case 9a: cancelling the context (Ctrl-C) kills the child's whole group.
func TestRunCancelled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan Outcome, 1)
	go func() {
		done <- Run(ctx, helperConfig(t, "grandchild-then-sleep", pidFileEnv+"="+pidFile), request(2, 10))
	}()
	grandchild := readPidFile(t, pidFile, patience)
	cancel()
	var out Outcome
	select {
	case out = <-done:
	case <-time.After(patience):
		t.Fatal("Run did not return after cancel")
	}
	requireDegraded(t, out, models.ReasonCancelled)
	assert.False(t, processAlive(out.PID))
	assert.True(t, waitGone(grandchild, patience), "grandchild %d survived", grandchild)

	cancelled, stop := context.WithCancel(context.Background())
	stop()
	out = Run(cancelled, helperConfig(t, "echo"), request(1, 10))
	requireDegraded(t, out, models.ReasonCancelled)
	assert.Zero(t, out.PID, "nothing starts once cancelled")
}
