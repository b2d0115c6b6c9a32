package isolation

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

func TestOutputLimit(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		articles int
		want     int64
	}{
		{"empty request", Config{}, 0, 1 << 20},
		{"four articles", Config{}, 4, 1<<20 + 4*16<<10},
		{"a thousand articles", Config{}, 1000, 1<<20 + 1000*16<<10},
		{"never above DefaultMaxOutput", Config{}, 1_000_000, DefaultMaxOutput},
		{"just below DefaultMaxOutput", Config{}, 16319, 1<<20 + 16319*16<<10},
		{"explicit cap used as is", Config{MaxOutput: 4 << 20}, 1000, 4 << 20},
		{"negative means sized", Config{MaxOutput: -1}, 2, 1<<20 + 2*16<<10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.withDefaults().outputLimit(tc.articles)
			assert.Equal(t, tc.want, got)
			assert.LessOrEqual(t, got, max(DefaultMaxOutput, tc.cfg.MaxOutput))
		})
	}
}

// TestCappedBufferGrowth: the buffer never holds more capacity than its cap,
// however the writes are sized.
func TestCappedBufferGrowth(t *testing.T) {
	tests := []struct {
		name  string
		max   int64
		chunk int
	}{
		{"small writes", 1<<20 + 3, 4096},
		{"one write past the cap", 300 << 10, 1 << 20},
		{"odd chunk sizes", 5<<20 + 17, 100_003},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			overflows := 0
			b := newCappedBuffer(tc.max, func() { overflows++ })
			p := make([]byte, tc.chunk)
			var err error
			for err == nil {
				_, err = b.Write(p)
				require.LessOrEqual(t, int64(cap(b.buf)), tc.max)
			}
			assert.ErrorIs(t, err, errOutputTooLarge)
			assert.Equal(t, tc.max, int64(len(b.buf)))
			assert.True(t, b.over)
			assert.Equal(t, 1, overflows)
		})
	}
}

// TestRunOutputFloodSizedCap: the review's case, a child flooding 250 MB
// against a 4-article request: cut at 1 MiB + 64 KiB, not 256 MiB, and the
// parent's heap stays small.
func TestRunOutputFloodSizedCap(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		articles int
	}{
		{"250 MB then exit", "flood-250mb", 4},
		{"endless", "flood-stdout", 4},
		{"endless, empty request", "flood-stdout", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := helperConfig(t, tc.mode)
			limit := cfg.outputLimit(tc.articles)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			out := Run(context.Background(), cfg, request(tc.articles, 100))
			runtime.ReadMemStats(&after)
			requireDegraded(t, out, models.ReasonOutputTooLarge)
			assert.Equal(t, "the analyzer's output exceeded the "+formatBytes(limit)+" limit", out.Degraded.Detail)
			assert.Equal(t, int(limit), out.ReportBytes)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("cap %s, parent allocated %d KiB", formatBytes(limit), allocated>>10)
			assert.Less(t, allocated, uint64(3*limit+(2<<20)), "allocation proportional to the cap")
			assert.False(t, processAlive(out.PID))
		})
	}
	assert.Equal(t, "1.1 MiB", formatBytes(Config{}.outputLimit(4)))
}

// A valid report for a large request still fits its sized cap.
func TestRunSizedCapFitsReport(t *testing.T) {
	out := Run(context.Background(), helperConfig(t, "echo"), request(500, 2000))
	require.Nil(t, out.Degraded, "%+v", out.Degraded)
	assert.Len(t, out.Report.Ranking, 500)
}

func TestCrashLine(t *testing.T) {
	tests := []struct {
		name, stderr, want string
	}{
		{"go panic in a goroutine",
			"panic: assignment to entry in nil map\n\ngoroutine 19 [running]:\nmain.(*T).M(...)\n\t/tmp/st/main.go:11\n" +
				"main.main.func1()\n\t/tmp/st/main.go:18 +0x58\ncreated by main.main in goroutine 1\n\t/tmp/st/main.go:18 +0x145\n",
			"panic: assignment to entry in nil map"},
		{"nil pointer with signal line",
			"panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x49e99f]\n\n" +
				"goroutine 1 [running]:\nmain.main()\n\t/tmp/st/main.go:22 +0x5f\n",
			"panic: runtime error: invalid memory address or nil pointer dereference"},
		{"fatal error",
			"fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n\t/tmp/st/main.go:25 +0xce\n",
			"fatal error: all goroutines are asleep - deadlock!"},
		{"analyzer line wins over a panic",
			"research-analyze: scoring: vector length mismatch\npanic: unreachable\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:3 +0x1d\n",
			"research-analyze: scoring: vector length mismatch"},
		{"last analyzer line",
			"research-analyze: warning: 2 articles without text\nresearch-analyze: invalid request: articles[3]: id is required\n",
			"research-analyze: invalid request: articles[3]: id is required"},
		{"message then a printed stack",
			"loading the stemmer: unknown language \"xx\"\ngoroutine 1 [running]:\nruntime/debug.Stack()\n\t/usr/local/go/src/runtime/debug/stack.go:26 +0x5e\n" +
				"runtime/debug.PrintStack()\n\t/usr/local/go/src/runtime/debug/stack.go:18 +0x13\nmain.main()\n\t/x/main.go:12 +0x97\n",
			"loading the stemmer: unknown language \"xx\""},
		{"traceback system format header",
			"out of vocabulary\ngoroutine 1 gp=0xc000002380 m=0 mp=0x5b5c40 [running]:\nmain.run(0x1, {0xc0000a2000, 0x3})\n\t/x/main.go:40 +0x2a\n",
			"out of vocabulary"},
		{"python traceback", "Traceback (most recent call last):\n  File \"/opt/analyze.py\", line 3, in <module>\n    main()\n" +
			"  File \"/opt/analyze.py\", line 2, in main\n    raise ValueError('bad: input')\nValueError: bad: input\n",
			"ValueError: bad: input"},
		{"only frames: the last line", "main.main()\n\t/x/main.go:12 +0x97\n", "/x/main.go:12 +0x97"},
		{"plain last line", "reading config\nno such file\n\n", "no such file"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, crashLine(tc.stderr))
		})
	}
}

// TestRunCrashDetail runs real children whose stderr ends in stack frames.
func TestRunCrashDetail(t *testing.T) {
	tests := []struct {
		mode, detail string
	}{
		{"error-then-stack", "the analyzer failed (exit status 1: loading the stemmer: unknown language \"xx\")"},
		{"analyze-error-then-panic", "the analyzer crashed (research-analyze: scoring: vector length mismatch (3 != 4))"},
		{"panic-in-goroutine", "the analyzer crashed (panic: assignment to entry in nil map)"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			out := Run(context.Background(), helperConfig(t, tc.mode), request(2, 10))
			requireDegraded(t, out, models.ReasonCrashed)
			assert.Equal(t, tc.detail, out.Degraded.Detail)
			lines := strings.Split(strings.TrimSpace(out.StderrTail), "\n")
			assert.True(t, stackFrame(lines[len(lines)-1]), "the child's stderr really ends in a frame: %q", lines[len(lines)-1])
		})
	}
}
