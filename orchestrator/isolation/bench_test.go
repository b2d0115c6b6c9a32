package isolation

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/research-cli/research/analysis/synth"
)

// pythonChild reads a v1 request on stdin and writes a v1 report ranking
// every article: the same work as the fake Go analyzer's "echo".
const pythonChild = `import sys, json
req = json.load(sys.stdin)
arts = req.get("articles") or []
by = {}
for a in arts:
    by[a["source"]] = by.get(a["source"], 0) + 1
n = len(arts)
json.dump({"version": 1, "query": req.get("query", ""),
  "stats": {"articles": n, "words": 0, "by_source": by, "by_day": {}, "duplicates": 0},
  "ranking": [{"id": a["id"], "score": float(n - i), "keywords": [], "duplicate_of": ""} for i, a in enumerate(arts)],
  "keywords": [], "summary": [], "groups": []}, sys.stdout)
`

// python3 returns the real interpreter behind python3 on PATH, so that a
// version manager's shell shim (pyenv) is not what gets measured.
func python3(b *testing.B) string {
	b.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("python3 not on PATH")
	}
	out, err := exec.Command(p, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		b.Skipf("python3: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// realAnalyzer builds cmd/research-analyze if it builds; the benchmark then
// also measures the real thing.
func realAnalyzer(b *testing.B) string {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go toolchain")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, AnalyzerName)
	if out, err := exec.Command(goBin, "build", "-o", bin, "../../cmd/research-analyze").CombinedOutput(); err != nil {
		b.Skipf("cmd/research-analyze does not build: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkRoundTrip measures one isolated analysis — spawn, request of 10
// articles, report, strict decode, reap — per child, in the same run. It
// reports the median and 90th percentile in ms; scripts/bench-isolation.sh
// prints the Go/Python ratio.
func BenchmarkRoundTrip(b *testing.B) {
	req := request(10, 2_000)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	children := []struct {
		name string
		cfg  func(b *testing.B) Config
	}{
		{"go-tiny", func(b *testing.B) Config { return Config{Path: fakeAnalyzer(b), Args: []string{"echo"}} }},
		{"go-helper", func(b *testing.B) Config {
			return Config{Path: exe, ExtraEnv: []string{helperEnv + "=echo", "GORACE=atexit_sleep_ms=0"}}
		}},
		{"research-analyze", func(b *testing.B) Config { return Config{Path: realAnalyzer(b)} }},
		{"python", func(b *testing.B) Config { return Config{Path: python3(b), Args: []string{"-c", pythonChild}} }},
		// -S skips the site module (site-packages and its .pth files): the
		// fastest a Python child can start.
		{"python-nosite", func(b *testing.B) Config { return Config{Path: python3(b), Args: []string{"-S", "-c", pythonChild}} }},
	}
	for _, c := range children {
		b.Run(c.name, func(b *testing.B) {
			cfg := c.cfg(b)
			cfg.Timeout = 10 * time.Second
			// One unmeasured run warms the page cache and the runtime's lazy setup.
			if out := Run(context.Background(), cfg, req); out.Degraded != nil {
				b.Fatalf("%s: %s\n%s", c.name, out.Degraded.Detail, out.StderrTail)
			}
			var times []time.Duration
			b.ResetTimer()
			for b.Loop() {
				begin := time.Now()
				out := Run(context.Background(), cfg, req)
				times = append(times, time.Since(begin))
				if out.Degraded != nil {
					b.Fatalf("%s: %s", c.name, out.Degraded.Detail)
				}
			}
			reportQuantiles(b, times)
		})
	}
	// The floor: the same tiny child through a bare exec.Cmd (no process
	// group, limits, parent-death signal, locked thread or strict decode), to
	// show what the isolation itself costs.
	b.Run("go-tiny-bare-exec", func(b *testing.B) {
		fake := fakeAnalyzer(b)
		payload, err := json.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		var times []time.Duration
		for b.Loop() {
			begin := time.Now()
			cmd := exec.Command(fake, "echo")
			cmd.Stdin = bytes.NewReader(payload)
			if _, err := cmd.Output(); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(begin))
		}
		reportQuantiles(b, times)
	})
}

// BenchmarkHandOff measures, interleaved in one loop, a 10-article request
// (synthetic, ~5 KB of content each) through the real analyzer two ways:
// whole-ms, the whole child process (spawn, start-up, analysis, report,
// decode, reap: Run), target ≤ 6 ms; and handoff-ms, from the moment the
// articles are in to the report decoded, with the child started earlier
// (Start, then a 30 ms stand-in for the fetch, then the timed Analyze),
// target ≤ 3 ms. Medians; x_target_* are the ratios to the targets.
func BenchmarkHandOff(b *testing.B) {
	bin := realAnalyzer(b)
	req := synth.Request(10, 5000, 1, "kalo mine")
	cfg := Config{Path: bin, Timeout: 10 * time.Second}
	ctx := context.Background()
	if out := Run(ctx, cfg, req); out.Degraded != nil { // warm the page cache
		b.Fatalf("%s\n%s", out.Degraded.Detail, out.StderrTail)
	}
	var whole, handoff []time.Duration
	for b.Loop() {
		begin := time.Now()
		out := Run(ctx, cfg, req)
		whole = append(whole, time.Since(begin))
		if out.Degraded != nil {
			b.Fatal(out.Degraded.Detail)
		}
		c := Start(ctx, cfg)
		time.Sleep(30 * time.Millisecond) // the fetch
		begin = time.Now()
		out = c.Analyze(ctx, req)
		handoff = append(handoff, time.Since(begin))
		c.Close()
		if out.Degraded != nil {
			b.Fatal(out.Degraded.Detail)
		}
	}
	med := func(ts []time.Duration) float64 {
		slices.Sort(ts)
		return float64(ts[len(ts)/2]) / float64(time.Millisecond)
	}
	w, h := med(whole), med(handoff)
	b.ReportMetric(w, "whole-ms")
	b.ReportMetric(h, "handoff-ms")
	b.ReportMetric(w/6, "x_target_whole_6ms")
	b.ReportMetric(h/3, "x_target_handoff_3ms")
}

func reportQuantiles(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(times[len(times)/2]), "median-ms")
	b.ReportMetric(ms(times[len(times)*9/10]), "p90-ms")
}
