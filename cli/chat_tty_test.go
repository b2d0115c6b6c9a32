package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/session"
)

// ttyChat is research chat running on a pseudo-terminal, as a person runs it.
type ttyChat struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File
	mu   sync.Mutex
	out  strings.Builder
	done chan struct{}
}

func startTTYChat(t *testing.T, env []string, args ...string) *ttyChat {
	t.Helper()
	c := &ttyChat{t: t, done: make(chan struct{})}
	c.cmd = exec.Command(filepath.Join(binDir, "research"), append([]string{"chat"}, args...)...)
	c.cmd.Env = append(os.Environ(), append([]string{"TERM=xterm", "NO_COLOR=1"}, env...)...)
	ptmx, err := pty.StartWithSize(c.cmd, &pty.Winsize{Rows: 50, Cols: 120})
	require.NoError(t, err)
	c.ptmx = ptmx
	go func() {
		defer close(c.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
		ptmx.Close()
		<-c.done
	})
	return c
}

func (c *ttyChat) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitFor waits until the terminal shows want after from bytes of output;
// the bound is a sanity limit, not a timing assertion.
func (c *ttyChat) waitFor(want string, from int) int {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		out := c.output()
		if i := strings.Index(out[min(from, len(out)):], want); i >= 0 {
			return min(from, len(out)) + i + len(want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("the terminal never showed %q; it shows:\n%s", want, c.output())
	return 0
}

func (c *ttyChat) typeIn(s string) {
	c.t.Helper()
	_, err := c.ptmx.Write([]byte(s))
	require.NoError(c.t, err)
}

func (c *ttyChat) exitCode() int {
	c.t.Helper()
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(c.t, err)
	return 0
}

// TestChatOnATerminal runs research chat on a pseudo-terminal: a question is
// answered at the "You:" prompt and kept in the line history, Ctrl-C cancels
// a question that hangs (and records nothing) without leaving the chat, and
// Ctrl-D leaves with status 0.
func TestChatOnATerminal(t *testing.T) {
	_, fixtureCfg := startFixtures(t)
	cfg := patientConfig(t, fixtureCfg)
	dir := t.TempDir()
	db := filepath.Join(dir, "sessions.db")
	env := []string{"XDG_STATE_HOME=" + filepath.Join(dir, "state")}

	// Two questions answered, then exit.
	args := append([]string{"--session", "tty", "--store", db, "--config", cfg}, fastSources()...)
	c := startTTYChat(t, env, args...)
	at := c.waitFor("You: ", 0)
	c.typeIn(fixtureserver.Question + "\r")
	at = c.waitFor("Top articles", at)
	at = c.waitFor("You: ", at)
	c.typeIn("what about the benchmarks?\r")
	at = c.waitFor("follow-up", at)
	at = c.waitFor("Top articles", at)
	at = c.waitFor("You: ", at)
	c.typeIn("exit\r")
	require.Equal(t, 0, c.exitCode(), c.output())
	hist, err := os.ReadFile(filepath.Join(dir, "state", "research", "chat_history"))
	require.NoError(t, err, "the line history is kept")
	assert.Contains(t, string(hist), fixtureserver.Question)

	// A question that hangs (a feed that never answers, with a long deadline), cancelled with Ctrl-C.
	data, err := os.ReadFile(fixtureCfg)
	require.NoError(t, err)
	slow := strings.Replace(string(data), "source_timeout: 1500ms", "source_timeout: 5m\n  fetch_timeout: 10m", 1)
	require.NotEqual(t, string(data), slow)
	slowCfg := filepath.Join(dir, "slow.yaml")
	require.NoError(t, os.WriteFile(slowCfg, []byte(slow), 0o644))
	c = startTTYChat(t, env, "--session", "tty", "--store", db, "--config", slowCfg, "--no-pages", "-s", "hn", "-s", "slow-feed")
	at = c.waitFor("You: ", 0)
	c.typeIn("and how does it compare to Mamba?\r")
	at = c.waitFor("fetching", at) // the spinner: the question is being researched
	c.typeIn("\x03")
	at = c.waitFor("question cancelled", at)
	at = c.waitFor("You: ", at)
	c.typeIn("\x04")
	assert.Equal(t, 0, c.exitCode(), c.output())

	s, err := session.Open(context.Background(), db, session.Limits{})
	require.NoError(t, err)
	defer s.Close()
	se, err := s.Get(context.Background(), "tty")
	require.NoError(t, err)
	assert.Equal(t, 2, se.Turns, "the cancelled question was not recorded: %s", fmt.Sprint(se.Messages))
}

// TestChatCancelsTheModelAndGoesOn: Ctrl-C while the model is writing (here:
// hanging) cancels that question only; the next one is answered in full,
// which shows the chat outlives the interrupt.
func TestChatCancelsTheModelAndGoesOn(t *testing.T) {
	_, fixtureCfg := startFixtures(t)
	arrived := make(chan struct{}, 4)
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		arrived <- struct{}{}
		if first { // the first answer never comes
			<-r.Context().Done()
			return
		}
		io.WriteString(w, `{"model":"m","message":{"content":"Answered in full [1]."},"done":false}`+"\n"+`{"model":"m","done":true}`+"\n")
	}))
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "sessions.db")
	conf := sessionConfig(t, patientConfig(t, fixtureCfg), "", fmt.Sprintf("llm:\n  endpoint: %s\n  model: m\n  timeout: 10m\n  idle_timeout: 10m\n", srv.URL))
	c := startTTYChat(t, []string{"XDG_STATE_HOME=" + filepath.Join(dir, "state")},
		append([]string{"--session", "cancel", "--store", db, "--config", conf}, fastSources()...)...)
	at := c.waitFor("You: ", 0)
	c.typeIn(fixtureserver.Question + "\r")
	select {
	case <-arrived:
	case <-time.After(90 * time.Second):
		t.Fatalf("the model was never asked; the terminal shows:\n%s", c.output())
	}
	c.typeIn("\x03")
	at = c.waitFor("question cancelled", at)
	at = c.waitFor("You: ", at)
	c.typeIn("and how does it compare to Mamba?\r")
	at = c.waitFor("Answered in full [1].", at)
	at = c.waitFor("Top articles", at)
	c.waitFor("You: ", at)
	c.typeIn("\x04")
	assert.Equal(t, 0, c.exitCode(), c.output())

	s, err := session.Open(context.Background(), db, session.Limits{})
	require.NoError(t, err)
	defer s.Close()
	se, err := s.Get(context.Background(), "cancel")
	require.NoError(t, err)
	require.Equal(t, 1, se.Turns, "only the answered question is recorded")
	assert.Equal(t, "and how does it compare to Mamba?", se.Messages[0].Text)
}
