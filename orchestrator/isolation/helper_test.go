package isolation

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/models"
)

// The helper-process pattern: the test binary re-executes itself as a fake
// analyzer; helperEnv selects the misbehaviour.
const (
	helperEnv  = "ISOLATION_HELPER"
	pidFileEnv = "ISOLATION_PIDFILE"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	code := m.Run()
	if fakeDir != "" {
		_ = os.RemoveAll(fakeDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// helperConfig runs this test binary as the analyzer in the given mode.
func helperConfig(t testing.TB, mode string, extraEnv ...string) Config {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	return Config{
		Path:    exe,
		Timeout: 10 * time.Second,
		// The race runtime sleeps a second at a successful exit unless told not to.
		ExtraEnv: append([]string{helperEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"}, extraEnv...),
	}
}

func readRequest() *models.AnalysisRequest {
	var req models.AnalysisRequest
	if err := json.NewDecoder(bufio.NewReader(os.Stdin)).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "helper: invalid request:", err)
		os.Exit(2)
	}
	return &req
}

// validReport answers req the way the contract asks: every article ranked once.
func validReport(req *models.AnalysisRequest) *models.AnalysisReport {
	rep := models.NewEmptyReport(req.Query)
	rep.Stats.Articles = len(req.Articles)
	for i, a := range req.Articles {
		rep.Stats.BySource[a.Source]++
		rep.Ranking = append(rep.Ranking, models.RankedArticle{ID: a.ID, Score: float64(len(req.Articles) - i), Keywords: []string{}})
	}
	if len(req.Articles) > 0 {
		rep.Summary = append(rep.Summary, models.SummarySentence{Text: "A sentence.", ArticleID: req.Articles[0].ID})
	}
	return rep
}

func reportJSON(req *models.AnalysisRequest) []byte {
	b, err := json.Marshal(validReport(req))
	if err != nil {
		panic(err)
	}
	return b
}

func writePidFile(pid int) {
	if f := os.Getenv(pidFileEnv); f != "" {
		tmp := f + ".tmp"
		_ = os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o600)
		_ = os.Rename(tmp, f)
	}
}

func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// startGrandchild starts this binary again in mode "sleep", sharing our stdout
// and stderr, so the pipes stay open after we exit.
func startGrandchild(setsid bool) {
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=sleep")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if setsid {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "helper: start grandchild:", err)
		os.Exit(1)
	}
	writePidFile(cmd.Process.Pid)
}

func helperMain(mode string) int {
	out := os.Stdout
	switch mode {
	case "echo":
		_, _ = out.Write(reportJSON(readRequest()))
	case "pidfile-echo":
		// Started ahead of its request: says it runs, then waits on stdin.
		writePidFile(os.Getpid())
		_, _ = out.Write(reportJSON(readRequest()))
	case "sleep":
		sleepForever()
	case "pidfile-sleep":
		writePidFile(os.Getpid())
		sleepForever()
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		sleepForever()
	case "grandchild-then-sleep":
		readRequest()
		startGrandchild(false)
		sleepForever()
	case "grandchild", "grandchild-setsid":
		req := readRequest()
		startGrandchild(mode == "grandchild-setsid")
		_, _ = out.Write(reportJSON(req))
	case "flood-stdout":
		buf := []byte(strings.Repeat("x", 1<<20))
		for {
			if _, err := out.Write(buf); err != nil {
				return 1
			}
		}
	case "flood-250mb":
		buf := []byte(strings.Repeat("x", 1<<20))
		for range 250 {
			if _, err := out.Write(buf); err != nil {
				return 1
			}
		}
		return 0
	case "flood-stderr":
		buf := []byte(strings.Repeat("e", 1<<20-1) + "\n")
		for range 100 {
			_, _ = os.Stderr.Write(buf)
		}
		fmt.Fprintln(os.Stderr, "the very last line")
		_, _ = out.Write(reportJSON(readRequest()))
	case "invalid":
		readRequest()
		fmt.Fprintln(out, "this is not JSON")
	case "empty":
		readRequest()
	case "truncated":
		b := reportJSON(readRequest())
		_, _ = out.Write(b[:len(b)/2])
	case "null":
		readRequest()
		fmt.Fprintln(out, "null")
	case "array":
		readRequest()
		fmt.Fprintln(out, "[]")
	case "junk-after":
		_, _ = out.Write(reportJSON(readRequest()))
		fmt.Fprintln(out, "\nDEBUG: done")
	case "two-reports":
		b := reportJSON(readRequest())
		_, _ = out.Write(append(append(b, '\n'), b...))
	case "version2":
		rep := validReport(readRequest())
		rep.Version = 2
		_ = json.NewEncoder(out).Encode(rep)
	case "unknown-id":
		rep := validReport(readRequest())
		rep.Ranking = append(rep.Ranking, models.RankedArticle{ID: "not-in-request"})
		_ = json.NewEncoder(out).Encode(rep)
	case "dup-id":
		rep := validReport(readRequest())
		rep.Ranking = append(rep.Ranking, rep.Ranking[0])
		_ = json.NewEncoder(out).Encode(rep)
	case "missing-id":
		rep := validReport(readRequest())
		rep.Ranking = rep.Ranking[1:]
		_ = json.NewEncoder(out).Encode(rep)
	case "bad-citation":
		rep := validReport(readRequest())
		rep.Summary[0].ArticleID = "nowhere"
		_ = json.NewEncoder(out).Encode(rep)
	case "report-exit1":
		_, _ = out.Write(reportJSON(readRequest()))
		fmt.Fprintln(os.Stderr, "analysis: internal failure after writing the report")
		return 1
	case "reject":
		readRequest()
		fmt.Fprintln(os.Stderr, "research-analyze: invalid request: articles[3]: id is required")
		return 2
	case "panic":
		readRequest()
		panic("boom in analysis")
	case "error-then-stack":
		// A message, then the stack a careful program prints with it.
		readRequest()
		fmt.Fprintln(os.Stderr, "loading the stemmer: unknown language \"xx\"")
		debug.PrintStack()
		return 1
	case "analyze-error-then-panic":
		readRequest()
		fmt.Fprintln(os.Stderr, "research-analyze: scoring: vector length mismatch (3 != 4)")
		panic("unreachable state")
	case "panic-in-goroutine":
		readRequest()
		// The main goroutine waits forever: the panic ends the process. (A
		// deferred close would let main return first and exit 0 while the
		// runtime is still printing the panic.)
		go func() {
			var m map[string]int
			m["x"] = 1
		}()
		select {}
	case "busy":
		x := 0
		for {
			x++
		}
	case "exit-early":
		return 0
	case "crash-early":
		fmt.Fprintln(os.Stderr, "refusing to read")
		return 3
	case "write-while-reading":
		// Writes 8 MiB to stderr and 1 KiB to stdout's buffer between reads of
		// the request, which deadlocks a parent that writes stdin before
		// reading the child's output.
		chunk := []byte(strings.Repeat("w", 64<<10))
		var body []byte
		buf := make([]byte, 32<<10)
		for i := 0; ; i++ {
			n, err := os.Stdin.Read(buf)
			body = append(body, buf[:n]...)
			if i < 128 {
				_, _ = os.Stderr.Write(chunk)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return 1
			}
		}
		var req models.AnalysisRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return 2
		}
		_, _ = out.Write(reportJSON(&req))
	case "limits":
		// Reads the request first: limits seen after that were applied
		// before the runner let the request through.
		req := readRequest()
		limits, _ := os.ReadFile("/proc/self/limits")
		wd, _ := os.Getwd()
		fmt.Fprintf(os.Stderr, "%swd=%s\n", limits, wd)
		_, _ = out.Write(reportJSON(req))
	case "env":
		req := readRequest()
		fmt.Fprintln(os.Stderr, strings.Join(os.Environ(), "\n"))
		_, _ = out.Write(reportJSON(req))
	case "parent":
		// Stands in for the research process: runs an analysis whose child
		// sleeps, until the test SIGKILLs us.
		exe, _ := os.Executable()
		Run(context.Background(), Config{
			Path:     exe,
			Timeout:  time.Minute,
			ExtraEnv: []string{helperEnv + "=pidfile-sleep", pidFileEnv + "=" + os.Getenv(pidFileEnv)},
		}, &models.AnalysisRequest{Version: 1})
		return 1
	default:
		fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
		return 1
	}
	return 0
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

// patience is how long a test waits for something that should happen at once
// (a pid file, a killed process disappearing) before it fails: generous, so
// that no test fails because the machine is busy (issue 13). Tests make no
// wall-clock assertions tighter than this.
const patience = 30 * time.Second

// encodedSize is the size of req as JSON.
func encodedSize(t *testing.T, req *models.AnalysisRequest) int {
	t.Helper()
	b, err := json.Marshal(req)
	require.NoError(t, err)
	return len(b)
}

// waitGone waits up to d for pid to die.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return !processAlive(pid)
}

// readPidFile waits up to d for the pid file to appear.
func readPidFile(t *testing.T, path string, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(t, err)
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid file %s did not appear within %s", path, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// childrenOf lists the live processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		// After the command name: state, ppid, …
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(pid) {
			kids = append(kids, p)
		}
	}
	return kids
}

func openFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}

// fakeAnalyzer builds testdata/fakeanalyzer once (without -race, so that its
// memory use is that of an ordinary Go program) and returns its path.
var (
	fakeOnce sync.Once
	fakeDir  string
	fakePath string
	fakeErr  error
)

func fakeAnalyzer(t testing.TB) string {
	t.Helper()
	fakeOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			fakeErr = fmt.Errorf("go toolchain not on PATH: %w", err)
			return
		}
		fakeDir, err = os.MkdirTemp("", "isolation-fake-")
		if err != nil {
			fakeErr = err
			return
		}
		fakePath = filepath.Join(fakeDir, "fakeanalyzer")
		cmd := exec.Command(goBin, "build", "-o", fakePath, "./testdata/fakeanalyzer")
		if out, err := cmd.CombinedOutput(); err != nil {
			fakeErr = fmt.Errorf("build fakeanalyzer: %v\n%s", err, out)
		}
	})
	if fakeErr != nil {
		t.Skip(fakeErr)
	}
	return fakePath
}

// request builds a request of n articles with roughly size bytes of content each.
func request(n, size int) *models.AnalysisRequest {
	req := &models.AnalysisRequest{Version: models.ContractVersion, Query: "attention mechanism"}
	content := strings.Repeat("Attention is a mechanism that weighs tokens. ", size/45+1)[:size]
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := range n {
		req.Articles = append(req.Articles, models.Article{
			ID:        fmt.Sprintf("a%d", i),
			Source:    []string{"hackernews", "arxiv", "wikipedia"}[i%3],
			URL:       fmt.Sprintf("https://example.org/%d", i),
			Title:     fmt.Sprintf("Article %d about attention", i),
			Published: base.Add(time.Duration(i) * time.Hour),
			Summary:   "A summary.",
			Content:   content,
		})
	}
	return req
}
