package jobs_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/internal/pgtest"
)

// binDir holds research and research-analyze, built once for the package:
// the workers in these tests are real processes, killed for real.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "research-jobs-e2e-")
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
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// topicServer answers like Algolia's Hacker News search, with three stories
// per query, each at a URL of its own. Some queries fail once (HTTP 500) or
// hang once (until the client gives up); while the gate is closed every
// request waits for it.
type topicServer struct {
	mu       sync.Mutex
	requests map[string]int
	// hooks counts the webhook deliveries received, by Idempotency-Key.
	hooks    map[string]int
	failOnce map[string]bool
	hangOnce map[string]bool
	gate     chan struct{}
	delay    time.Duration
}

func newTopicServer(t testing.TB) (*topicServer, string) {
	s := &topicServer{requests: map[string]int{}, hooks: map[string]int{}, failOnce: map[string]bool{}, hangOnce: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *topicServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/hook" {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.hooks[r.Header.Get("Idempotency-Key")]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := r.URL.Query().Get("query")
	s.mu.Lock()
	s.requests[q]++
	n := s.requests[q]
	gate := s.gate
	fail, hang := s.failOnce[q] && n == 1, s.hangOnce[q] && n == 1
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case fail:
		http.Error(w, "made to fail once", http.StatusInternalServerError)
		return
	case hang:
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
		return
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	slug := strings.ReplaceAll(q, " ", "-")
	var hits []map[string]any
	for i := range 3 {
		hits = append(hits, map[string]any{
			"objectID": fmt.Sprintf("%s-%d", slug, i), "title": fmt.Sprintf("Story %d on %s", i, q),
			"url": fmt.Sprintf("https://news.example/%s/%d", slug, i), "author": "someone",
			"created_at_i": time.Date(2026, 12, 1, 8, i, 0, 0, time.UTC).Unix(), "points": 10 + i, "num_comments": i,
		})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"hits": hits})
}

func (s *topicServer) closeGate() {
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
}

func (s *topicServer) openGate() {
	s.mu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.mu.Unlock()
}

// deliveries returns how many distinct digests the webhook received and how many POSTs in all.
func (s *topicServer) deliveries() (keys, posts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.hooks {
		keys++
		posts += n
	}
	return keys, posts
}

func (s *topicServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.requests {
		n += v
	}
	return n
}

func topicNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("topic %03d", i)
	}
	return out
}

// writeConfig writes a config: one HN-like source on loopback, no page
// fetching, each topic a digest of its own on a yearly schedule (so that
// no new period starts while a test runs: every period here is the one of
// the last 1 January).
func writeConfig(t testing.TB, dir, serverURL string, topics []string, webhook bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "http:\n  cache: \"off\"\n  retries: 0\nlimits:\n  enrich_pages: 0\n  source_timeout: 60s\n  fetch_timeout: 60s\n")
	fmt.Fprintf(&b, "sources:\n  - {name: hn, kind: hackernews, url: %q}\n", serverURL)
	fmt.Fprintf(&b, "digest:\n  schedule: \"0 0 1 1 *\"\n  per_topic: true\n  store: %q\n  topics:\n", filepath.Join(dir, "digests.db"))
	for _, tp := range topics {
		fmt.Fprintf(&b, "    - %q\n", tp)
	}
	if webhook {
		fmt.Fprintf(&b, "  targets:\n    - {name: hook, kind: webhook, url: %q}\n", serverURL+"/hook")
	}
	p := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// worker is one `research worker` process.
type worker struct {
	id   string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startWorker(t testing.TB, dir, id string, args ...string) *worker {
	t.Helper()
	logPath := filepath.Join(dir, id+".log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(binDir, "research"), append([]string{"worker", "--id", id, "--log-format", "json"}, args...)...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir, "XDG_DATA_HOME="+dir, "NO_COLOR=1")
	require.NoError(t, cmd.Start())
	w := &worker{id: id, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait(); lf.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-w.done
		}
	})
	return w
}

// stop sends SIGTERM and returns the exit code.
func (w *worker) stop(t testing.TB, within time.Duration) int {
	t.Helper()
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-w.done:
	case <-time.After(within):
		_ = w.cmd.Process.Kill()
		<-w.done
		t.Fatalf("worker %s did not stop within %s of SIGTERM; log:\n%s", w.id, within, tail(w.log, 30))
	}
	return w.cmd.ProcessState.ExitCode()
}

func (w *worker) kill(t testing.TB) {
	t.Helper()
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGKILL))
	<-w.done
}

// logLines decodes a worker's JSON log lines whose msg is msg.
func logLines(t testing.TB, path, msg string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool, debug func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s\n%s", within, what, debug())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func deliveredFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func research(t testing.TB, dir string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "research"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir, "XDG_DATA_HOME="+dir, "NO_COLOR=1")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), code
}
