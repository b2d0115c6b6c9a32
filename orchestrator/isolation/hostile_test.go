package isolation

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/models"
)

// Case 2: a grandchild holding stdout open after the child exits 0 neither
// stalls the run nor survives it.
func TestRunGrandchildHoldsStdout(t *testing.T) {
	t.Run("same group: killed with the group", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "pid")
		cfg := helperConfig(t, "grandchild", pidFileEnv+"="+pidFile)
		// A long WaitDelay: if Run returns well before it, the group kill at
		// the child's exit is what closed the pipes.
		cfg.WaitDelay = 8 * time.Second
		out := Run(context.Background(), cfg, request(3, 100))
		require.Nil(t, out.Degraded, "%+v", out.Degraded)
		require.NotNil(t, out.Report)
		grandchild := readPidFile(t, pidFile, patience)
		assert.True(t, waitGone(grandchild, patience), "grandchild %d survived", grandchild)
		// Not held: the group kill at the child's exit closed the pipes, not
		// the WaitDelay (no wall-clock bound: a busy machine may be slow).
		assert.False(t, out.PipesHeld)
	})
	t.Run("left the group: WaitDelay bounds the wait", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "pid")
		cfg := helperConfig(t, "grandchild-setsid", pidFileEnv+"="+pidFile)
		cfg.WaitDelay = 200 * time.Millisecond
		begin := time.Now()
		out := Run(context.Background(), cfg, request(3, 100))
		elapsed := time.Since(begin)
		grandchild := readPidFile(t, pidFile, patience)
		// This grandchild escaped the group on purpose (setsid); the runner
		// cannot see it (docs/isolation.md), so the test cleans it up.
		t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })
		require.Nil(t, out.Degraded, "%+v", out.Degraded)
		assert.True(t, out.PipesHeld)
		assert.GreaterOrEqual(t, elapsed, cfg.WaitDelay)
		// The grandchild sleeps for an hour: a sanity bound only.
		assert.Less(t, elapsed, patience)
	})
}

// Case 3: a child writing without end is stopped at the cap; the parent's
// memory stays flat; a stderr flood keeps only a tail.
func TestRunOutputFlood(t *testing.T) {
	t.Run("stdout", func(t *testing.T) {
		cfg := helperConfig(t, "flood-stdout")
		cfg.MaxOutput = 4 << 20
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		out := Run(context.Background(), cfg, request(3, 100))
		runtime.ReadMemStats(&after)
		requireDegraded(t, out, models.ReasonOutputTooLarge)
		assert.Equal(t, "the analyzer's output exceeded the 4 MiB limit", out.Degraded.Detail)
		assert.Equal(t, int(cfg.MaxOutput), out.ReportBytes)
		// The child would write forever; the parent allocated a bounded amount.
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20))
		assert.False(t, processAlive(out.PID))
	})
	t.Run("stderr", func(t *testing.T) {
		cfg := helperConfig(t, "flood-stderr")
		cfg.StderrTail = 1024
		out := Run(context.Background(), cfg, request(3, 100))
		require.Nil(t, out.Degraded, "%+v", out.Degraded)
		assert.Len(t, out.StderrTail, 1024)
		assert.True(t, strings.HasSuffix(out.StderrTail, "the very last line\n"))
		assert.EqualValues(t, 100<<20+len("the very last line\n"), out.StderrBytes)
	})
}

// The limits are in place before the child receives its request.
func TestRunLimitsAppliedBeforeInput(t *testing.T) {
	cfg := helperConfig(t, "limits")
	cfg.MemoryLimit = 1 << 30
	cfg.CPULimit = 1500 * time.Millisecond
	out := Run(context.Background(), cfg, request(2, 10))
	require.Nil(t, out.Degraded, "%+v", out.Degraded)
	limits := map[string][]string{}
	for _, line := range strings.Split(out.StderrTail, "\n") {
		if len(line) > 26 {
			limits[strings.TrimSpace(line[:26])] = strings.Fields(line[26:])
		}
	}
	assert.Equal(t, []string{"1073741824", "1073741824", "bytes"}, limits["Max data size"])
	assert.Equal(t, []string{"2", "2", "seconds"}, limits["Max cpu time"], "rounded up to whole seconds")
	assert.Equal(t, []string{"0", "0", "bytes"}, limits["Max core file size"])
	assert.Contains(t, out.StderrTail, "wd=/\n")
}

// Several analyses at once do not interfere.
func TestRunConcurrent(t *testing.T) {
	const n = 6
	outs := make(chan Outcome, n)
	for i := range n {
		go func() {
			outs <- Run(context.Background(), helperConfig(t, "echo"), request(i+1, 100))
		}()
	}
	seen := map[int]bool{}
	for range n {
		out := <-outs
		require.Nil(t, out.Degraded, "%+v", out.Degraded)
		seen[len(out.Report.Ranking)] = true
	}
	assert.Len(t, seen, n)
}

// Case 6: unbounded allocation is stopped by the memory limit.
func TestRunMemoryLimit(t *testing.T) {
	fake := fakeAnalyzer(t)
	const limit = 256 << 20
	var self syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &self))
	out := Run(context.Background(), Config{Path: fake, Args: []string{"alloc"}, MemoryLimit: limit, Timeout: 20 * time.Second}, request(1, 10))
	requireDegraded(t, out, models.ReasonCrashed)
	assert.Equal(t, "the analyzer ran out of memory (limit 256 MiB)", out.Degraded.Detail)
	assert.Empty(t, out.LimitError)
	assert.Positive(t, out.MaxRSS)
	// The kernel's figure starts at the parent's peak (see Outcome.MaxRSS): it
	// bounds the child only while this test binary is itself under the limit,
	// which a -race binary run with -count > 1 may not be.
	if parentPeak := int64(self.Maxrss) * 1024; parentPeak < limit {
		assert.LessOrEqual(t, out.MaxRSS, int64(limit), "peak RSS %d beyond the limit", out.MaxRSS)
	}
}

// Case 6: a busy loop is stopped by the CPU limit, or by the timeout.
func TestRunBusyLoop(t *testing.T) {
	t.Run("cpu limit", func(t *testing.T) {
		cfg := helperConfig(t, "busy")
		cfg.CPULimit = time.Second
		// Generous: on a loaded machine a second of CPU takes far longer than
		// a second of wall-clock time to accumulate.
		cfg.Timeout = 4 * patience
		out := Run(context.Background(), cfg, request(1, 10))
		requireDegraded(t, out, models.ReasonTimeout)
		assert.Equal(t, "the analyzer used up its CPU time limit (1s)", out.Degraded.Detail)
		assert.Less(t, out.Elapsed, cfg.Timeout)
		// rusage reads low under load in a VM (see classify); the kernel
		// enforced a full second.
		assert.GreaterOrEqual(t, out.CPUTime, 500*time.Millisecond)
	})
	t.Run("timeout", func(t *testing.T) {
		cfg := helperConfig(t, "busy")
		cfg.Timeout = 300 * time.Millisecond
		out := Run(context.Background(), cfg, request(1, 10))
		requireDegraded(t, out, models.ReasonTimeout)
		assert.Equal(t, "the analyzer timed out after 300ms", out.Degraded.Detail)
	})
}

// Case 7: a 50 MB request to a child that does not read it neither hangs nor
// fails with EPIPE; a child that writes while it reads does not deadlock.
func TestRunLargeRequest(t *testing.T) {
	big := request(10_000, 5_000)
	tests := []struct {
		mode   string
		req    *models.AnalysisRequest
		min    int
		reason string // "" means a report
	}{
		{"exit-early", big, 50_000_000, models.ReasonBadOutput},
		{"crash-early", big, 50_000_000, models.ReasonCrashed},
		// 4 MB is 64 pipe buffers: enough to deadlock a runner that writes
		// the whole request before reading the child's 8 MiB of stderr.
		{"write-while-reading", request(400, 10_000), 4_000_000, ""},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			cfg := helperConfig(t, tc.mode)
			cfg.Timeout = 4 * patience
			out := Run(context.Background(), cfg, tc.req)
			// No wall-clock bound (issue 13: 10.98 s on a loaded machine):
			// the outcome is what shows the runner did not wait for the
			// timeout (a timeout would be ReasonTimeout).
			assert.Greater(t, encodedSize(t, tc.req), tc.min)
			if tc.reason == "" {
				require.Nil(t, out.Degraded, "%+v", out.Degraded)
				assert.Len(t, out.Report.Ranking, len(tc.req.Articles))
				assert.Greater(t, out.StderrBytes, int64(4<<20), "the child wrote megabytes while reading")
				return
			}
			requireDegraded(t, out, tc.reason)
		})
	}
}

// Case 9b: when the parent is SIGKILLed, the kernel kills the child
// (Pdeathsig), although the child is in a process group of its own.
func TestParentKilledChildDies(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	exe, err := os.Executable()
	require.NoError(t, err)
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), helperEnv+"=parent", pidFileEnv+"="+pidFile, "GORACE=atexit_sleep_ms=0")
	require.NoError(t, parent.Start())
	child := readPidFile(t, pidFile, patience)
	require.True(t, processAlive(child))
	require.NoError(t, parent.Process.Signal(syscall.SIGKILL))
	_ = parent.Wait()
	assert.True(t, waitGone(child, patience), "child %d outlived its SIGKILLed parent", child)
	if processAlive(child) {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
}

// Case 10: the child sees only the allow-listed environment.
func TestRunEnvironmentAllowList(t *testing.T) {
	secrets := map[string]string{
		"AWS_SECRET_ACCESS_KEY": "aws-secret",
		"GITHUB_TOKEN":          "ghp_token",
		"HTTPS_PROXY":           "http://user:pass@proxy:3128",
		"OPENAI_API_KEY":        "sk-key",
		"GOFLAGS":               "-mod=mod",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("LC_ALL", "C.UTF-8")
	t.Setenv("TZ", "Europe/Berlin")
	cfg := helperConfig(t, "env", "EXTRA_FOR_TEST=1")
	cfg.MemoryLimit = 3 << 30
	out := Run(context.Background(), cfg, request(1, 10))
	require.Nil(t, out.Degraded, "%+v", out.Degraded)
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.StderrTail), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for k := range secrets {
		assert.NotContains(t, env, k)
	}
	for _, v := range secrets {
		assert.NotContains(t, out.StderrTail, v)
	}
	assert.Equal(t, "C.UTF-8", env["LANG"])
	assert.Equal(t, "C.UTF-8", env["LC_ALL"])
	assert.Equal(t, "Europe/Berlin", env["TZ"])
	assert.Equal(t, os.Getenv("PATH"), env["PATH"])
	assert.Equal(t, "3221225472", env[MemoryLimitEnv])
	assert.Equal(t, "1", env["EXTRA_FOR_TEST"])
	allowed := map[string]bool{"PATH": true, "HOME": true, "LANG": true, "TZ": true, "TMPDIR": true, MemoryLimitEnv: true,
		"EXTRA_FOR_TEST": true, helperEnv: true, "GORACE": true}
	for k := range env {
		assert.True(t, allowed[k] || strings.HasPrefix(k, "LC_"), "%s leaked into the child", k)
	}
}

// Case 11: many analyses in a row, succeeding and failing in every way, leave
// no goroutine, descriptor or process behind.
func TestRunManyLeaveNothingBehind(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 20
	}
	req := request(10, 200)
	// One run first, so that lazily opened descriptors (the runtime's
	// pidfd support probe, /dev/null) are counted in the baseline.
	require.Nil(t, Run(context.Background(), helperConfig(t, "echo"), req).Degraded)
	fdsBefore := openFDs(t)
	modes := []string{"echo", "panic", "echo", "null", "grandchild", "echo", "flood-stdout", "crash-early", "echo", "sleep"}
	for i := range n {
		mode := modes[i%len(modes)]
		cfg := helperConfig(t, mode, pidFileEnv+"="+filepath.Join(t.TempDir(), "pid"))
		cfg.MaxOutput = 64 << 10
		if mode == "sleep" {
			cfg.Timeout = 100 * time.Millisecond
		}
		out := Run(context.Background(), cfg, req)
		if mode == "echo" || mode == "grandchild" {
			require.Nil(t, out.Degraded, "run %d (%s): %+v", i, mode, out.Degraded)
		} else {
			require.NotNil(t, out.Degraded, "run %d (%s)", i, mode)
		}
	}
	assert.Equal(t, fdsBefore, openFDs(t), "file descriptors leaked")
	assert.Empty(t, childrenOf(os.Getpid()), "processes left behind")
	goleak.VerifyNone(t)
}
