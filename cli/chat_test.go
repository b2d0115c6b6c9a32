package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/cli"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/session"
)

// inProcess runs the research command in this process with stdin, the way
// main does, and returns its exit status and output.
func inProcess(t *testing.T, ctx context.Context, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := t.TempDir()
	env := func(k string) (string, bool) {
		switch k {
		case "NO_COLOR":
			return "1", true
		case "HOME":
			return home, true
		case "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME":
			return filepath.Join(home, k), true
		}
		return os.LookupEnv(k)
	}
	code := cli.Main(ctx, args, cli.IO{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: env})
	return code, out.String(), errb.String()
}

// fastSources are the fixture server's sources that answer at once (not the
// slow feed, whose deadline would only make the test longer).
func fastSources() []string {
	args := []string{"--no-pages", "--analyzer", filepath.Join(binDir, "research-analyze"), "-s", "hn", "-s", "wikipedia", "-s", "arxiv"}
	for _, n := range fixtureserver.FeedNames() {
		args = append(args, "-s", n)
	}
	return args
}

// TestChatScriptedSession drives research chat from standard input with
// three related questions, then continues the session from the shell,
// inspects it with research sessions and removes it.
func TestChatScriptedSession(t *testing.T) {
	_, cfg := startFixtures(t)
	cfg = patientConfig(t, cfg)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	db := filepath.Join(t.TempDir(), "state", "sessions.db")
	common := append([]string{"--config", cfg, "--store", db}, fastSources()...)

	stdin := fixtureserver.Question + "\n\n# a comment is skipped\nand how does it compare to Mamba?\n  what about the benchmarks?  \nexit\nnever asked\n"
	code, out, errs := inProcess(t, ctx, stdin, append([]string{"chat", "--session", "t1"}, common...)...)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 3, strings.Count(out, "You: "), "three questions asked, exit ends the chat")
	assert.NotContains(t, out, "never asked")
	assert.Contains(t, errs, "session t1")
	assert.Contains(t, out, "Research: "+fixtureserver.Question)
	assert.Contains(t, out, `follow-up — continues the previous question (“and”): researching "mamba sparse attention long documents`)
	assert.Contains(t, out, "carried from the previous question: sparse, attention, long, documents")
	assert.Contains(t, out, "Research: and how does it compare to Mamba?")
	assert.Contains(t, out, "(seen in answer 1)", "articles already shown are marked")
	assert.Contains(t, out, "(seen in answer 2)")
	third := out[strings.LastIndex(out, "You: "):]
	assert.Contains(t, third, `researching "benchmarks mamba sparse attention long documents`, "the third builds on the second")
	// The chat is shorter than a report: five articles unless a summary cites another.
	first := out[:strings.Index(out, "You: and how")]
	assert.Contains(t, first, "   5  ")
	assert.Contains(t, first, "more (use --limit")

	code, out, errs = inProcess(t, ctx, "", "sessions", "show", "t1", "--store", db, "--format", "json")
	require.Equal(t, 0, code, errs)
	var se session.Session
	require.NoError(t, json.Unmarshal([]byte(out), &se), out)
	assert.Equal(t, 3, se.Turns)
	require.Len(t, se.Messages, 6)
	assert.Equal(t, "and how does it compare to Mamba?", se.Messages[2].Text)
	assert.True(t, strings.HasPrefix(se.Messages[2].Query, "mamba sparse attention long documents"), se.Messages[2].Query)
	assert.NotEmpty(t, se.Messages[1].Text, "the answer is kept")
	assert.NotEmpty(t, se.Articles)

	code, out, errs = inProcess(t, ctx, "", "sessions", "show", "t1", "--store", db)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Session t1 — 3 answers")
	assert.Contains(t, out, "You (2): and how does it compare to Mamba?\n  researched as: mamba sparse attention long documents")
	assert.Contains(t, out, "Articles shown (")

	// research --session continues it from the shell.
	code, out, errs = inProcess(t, ctx, "", append([]string{"--session", "t1", "--format", "json", "--config", sessionConfig(t, cfg, db, "")}, append(fastSources(), "tell me more")...)...)
	require.Equal(t, 0, code, errs)
	var res struct {
		Query    string `json:"query"`
		Analysis struct {
			Summary []json.RawMessage `json:"summary"`
		} `json:"analysis"`
		Articles []struct {
			ID string `json:"id"`
		} `json:"articles"`
		Session struct {
			ID       string           `json:"id"`
			Turn     int              `json:"turn"`
			Followup session.Followup `json:"followup"`
			Seen     []struct {
				ID   string `json:"id"`
				Turn int    `json:"turn"`
			} `json:"seen"`
		} `json:"session"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, 4, res.Session.Turn)
	assert.Equal(t, "t1", res.Session.ID)
	assert.NotEmpty(t, res.Articles)
	assert.NotEmpty(t, res.Session.Seen)
	assert.Equal(t, res.Query, res.Session.Followup.Query, "the analysis ran on the follow-up's query")
	assert.NotEmpty(t, res.Session.Followup.Added, "a question with nothing of its own takes key phrases of the articles found")
	assert.Contains(t, errs, "session t1, answer 4")
	assert.NotEmpty(t, res.Analysis.Summary)
	assert.LessOrEqual(t, len(res.Analysis.Summary), 5, "the summary is what the answer shows, not the doubled request")

	code, out, _ = inProcess(t, ctx, "", "sessions", "list", "--store", db)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "t1")
	assert.Contains(t, out, "tell me more")

	code, _, errs = inProcess(t, ctx, "", "sessions", "rm", "t1", "--store", db)
	require.Equal(t, 0, code, errs)
	code, _, errs = inProcess(t, ctx, "", "sessions", "show", "t1", "--store", db)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no such session")
}

// patientConfig is the fixture config with a deadline no busy machine
// misses: these tests compare answers, which a source timing out would change.
func patientConfig(t *testing.T, cfg string) string {
	t.Helper()
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	patient := strings.Replace(string(data), "source_timeout: 1500ms", "source_timeout: 60s\n  fetch_timeout: 120s", 1)
	require.NotEqual(t, string(data), patient, "the fixture config sets source_timeout")
	p := filepath.Join(t.TempDir(), "patient.yaml")
	require.NoError(t, os.WriteFile(p, []byte(patient), 0o644))
	return p
}

// sessionConfig writes the fixture config plus a sessions store and, when
// endpoint is set, an llm section.
func sessionConfig(t *testing.T, cfg, db, llm string) string {
	t.Helper()
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	if db != "" {
		data = append(data, fmt.Sprintf("sessions:\n  store: %q\n", db)...)
	}
	data = append(data, llm...)
	p := filepath.Join(t.TempDir(), "session.yaml")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// fakeOllama speaks Ollama's /api/chat: NDJSON pieces, then done; or fails.
func fakeOllama(t *testing.T, behaviour string, pieces ...string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var prompts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role, Content string
			} `json:"messages"`
		}
		if r.URL.Path != "/api/chat" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		prompts = append(prompts, req.Messages[len(req.Messages)-1].Content)
		mu.Unlock()
		switch behaviour {
		case "http500":
			http.Error(w, `{"error":"model crashed"}`, http.StatusInternalServerError)
			return
		case "hang":
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for _, p := range pieces {
			b, _ := json.Marshal(map[string]any{"model": req.Model, "message": map[string]string{"role": "assistant", "content": p}, "done": false})
			fmt.Fprintf(w, "%s\n", b)
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, `{"model":"`+req.Model+`","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}`+"\n")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), prompts...)
	}
}

// TestModelAnswer: with an llm section, the answer is written by the model
// from the top articles, streamed, its stray citations removed, its text
// sanitised and escaped; when the model fails, the extractive summary stands
// with a note saying why, and the run still succeeds.
func TestModelAnswer(t *testing.T) {
	_, cfg := startFixtures(t)
	cfg = patientConfig(t, cfg)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pieces := []string{"Sparse attention keeps ", "a window [1]", " and Mamba [2] differs [99].", "\x1b]0;owned\x07 <script>alert(1)</script>\u202e"}
	tests := []struct {
		name      string
		behaviour string
		format    string
		want      []string
		not       []string
	}{
		{name: "text", behaviour: "ok", format: "text",
			want: []string{"Answer (llama3.2, from the top 5 articles)", "Sparse attention keeps a window [1] and Mamba [2] differs.", "Summary", "Top articles"},
			not:  []string{"[99]", "\x1b", "\u202e", "owned"}},
		{name: "markdown", behaviour: "ok", format: "markdown",
			want: []string{"## Answer", `a window [\[1\]](#a1)`, "&lt;script&gt;", "## Summary"}, not: []string{"[99]", "<script>"}},
		{name: "html", behaviour: "ok", format: "html",
			want: []string{`<section id="answer">`, `a window <a href="#a1">[1]</a>`, "&lt;script&gt;alert(1)&lt;/script&gt;"}, not: []string{"[99]", "<script>alert"}},
		{name: "json", behaviour: "ok", format: "json",
			want: []string{`"answer": {`, `"cited": [`, `"removed_citations": 1`, `"degraded": null`}},
		{name: "model fails", behaviour: "http500", format: "text",
			want: []string{"! answer unavailable: the model server at", "500 Internal Server Error: model crashed", "the extractive summary below stands", "Summary", "Top articles"}},
		{name: "model fails, json", behaviour: "http500", format: "json",
			want: []string{`"stage": "answer"`, `"reason": "http_error"`, `"analysis": {`}},
		{name: "model hangs", behaviour: "hang", format: "text",
			want: []string{"answer unavailable: the model sent nothing for 300ms", "Summary"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, prompts := fakeOllama(t, tc.behaviour, pieces...)
			idle := "5m" // a working stream is never cut by a busy machine; only the hanging one waits for this
			if tc.behaviour == "hang" {
				idle = "300ms"
			}
			conf := sessionConfig(t, cfg, "", fmt.Sprintf("llm:\n  endpoint: %s\n  model: llama3.2\n  timeout: 10m\n  idle_timeout: %s\n", srv.URL, idle))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			code, out, errs := inProcess(t, ctx, "", append([]string{"--config", conf, "--format", tc.format}, append(fastSources(), fixtureserver.Question)...)...)
			require.Equal(t, 0, code, errs)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, out, n)
			}
			ps := prompts()
			require.Len(t, ps, 1)
			assert.Contains(t, ps[0], "Question: "+fixtureserver.Question)
			assert.Contains(t, ps[0], "[1] ")
			assert.Contains(t, ps[0], "[5] ")
			assert.NotContains(t, ps[0], "[6] ", "the top five articles only")
		})
	}
}

func TestSessionErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	garbage := filepath.Join(t.TempDir(), "sessions.db")
	require.NoError(t, os.WriteFile(garbage, bytes.Repeat([]byte("not sqlite "), 500), 0o600))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"corrupt store, list", []string{"sessions", "list", "--store", garbage}, 1, garbage},
		{"corrupt store, chat", []string{"chat", "--store", garbage, "--session", "x"}, 1, "damaged or not a SQLite database"},
		{"bad id", []string{"sessions", "show", "../x"}, 2, "invalid session id"},
		{"bad id, chat", []string{"chat", "--session", "a b"}, 2, "invalid session id"},
		{"no subcommand", []string{"sessions"}, 2, "list, show ID or rm ID"},
		{"bad format", []string{"sessions", "list", "--format", "xml"}, 2, "use text or json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := inProcess(t, ctx, "", tc.args...)
			assert.Equal(t, tc.code, code, errs)
			assert.Contains(t, errs, tc.want)
		})
	}
	b, err := os.ReadFile(garbage)
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte("not sqlite "), 500), b, "a damaged store is left as it was")
}

// TestDemoSession: the offline demo's session asks three related questions,
// each visibly building on the one before.
func TestDemoSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	r := research(t, ctx, "demo", "--session")
	require.Equal(t, 0, r.code, r.stderr)
	out := r.stdout
	for i, q := range cli.DemoSessionQuestions {
		assert.Contains(t, out, fmt.Sprintf("── Question %d of 3 ──\n\nYou: %s", i+1, q))
	}
	assert.Contains(t, out, `researching "mamba sparse attention long documents`)
	assert.Contains(t, out, `researching "benchmarks mamba sparse attention long documents`)
	assert.Contains(t, out, "from the articles found so far:")
	assert.Contains(t, out, "(seen in answer 1)")
	assert.Contains(t, out, "Research: and how does it compare to Mamba?")
	assert.Contains(t, out, "The session: 3 answers and")
	// Each answer differs from the one before: its first listed article or its summary.
	parts := strings.Split(out, "── Question ")
	require.Len(t, parts, 4)
	summaryOf := func(s string) string {
		i := strings.Index(s, "Summary\n")
		j := strings.Index(s, "Keyphrases")
		require.True(t, i >= 0 && j > i, s)
		return s[i:j]
	}
	assert.NotEqual(t, summaryOf(parts[1]), summaryOf(parts[2]))
	assert.NotEqual(t, summaryOf(parts[2]), summaryOf(parts[3]))
}

// TestChatWithModel: in a session, the model is told the conversation so far,
// so that "it" in a follow-up can be understood; its answer is remembered.
func TestChatWithModel(t *testing.T) {
	_, fixtureCfg := startFixtures(t)
	srv, prompts := fakeOllama(t, "ok", "Mamba is a state-space model [2].")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	db := filepath.Join(t.TempDir(), "sessions.db")
	conf := sessionConfig(t, patientConfig(t, fixtureCfg), db, fmt.Sprintf("llm:\n  endpoint: %s\n  model: llama3.2\n  timeout: 10m\n  idle_timeout: 5m\n", srv.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	stdin := fixtureserver.Question + "\nand how does it compare to Mamba?\n"
	code, out, errs := inProcess(t, ctx, stdin, append([]string{"chat", "--session", "m", "--config", conf}, fastSources()...)...)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 2, strings.Count(out, "Answer (llama3.2"), out)
	ps := prompts()
	require.Len(t, ps, 2)
	assert.NotContains(t, ps[0], "Earlier in this conversation")
	assert.Contains(t, ps[1], "Earlier in this conversation:\nQ1: "+fixtureserver.Question)
	assert.Contains(t, ps[1], "Question: and how does it compare to Mamba?")

	code, out, errs = inProcess(t, ctx, "", "sessions", "show", "m", "--store", db, "--format", "json")
	require.Equal(t, 0, code, errs)
	var se session.Session
	require.NoError(t, json.Unmarshal([]byte(out), &se))
	require.Len(t, se.Messages, 4)
	assert.True(t, strings.HasPrefix(se.Messages[3].Text, "Mamba is a state-space model [2]."), "the model's answer is remembered: %q", se.Messages[3].Text)

	// --no-model leaves the model out.
	code, out, errs = inProcess(t, ctx, "tell me more\n", append([]string{"chat", "--session", "m", "--config", conf, "--no-model"}, fastSources()...)...)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, out, "Answer (")
	assert.Len(t, prompts(), 2)
}

// sessionsConfigFile is a config naming only the session store.
func sessionsConfigFile(t *testing.T, db string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf("sessions:\n  store: %q\n", db)), 0o644))
	return p
}

func TestSessionIDsComplete(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "sessions.db")
	s, err := session.Open(ctx, db, session.Limits{})
	require.NoError(t, err)
	for _, id := range []string{"alpha", "beta"} {
		_, err := s.AddTurn(ctx, id, session.Turn{Followup: session.Contextualize("question of "+id, nil), Answer: "a"})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	tests := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"show", []string{"__complete", "sessions", "show", "--store", db, ""}, []string{"alpha\tquestion of alpha", "beta\t"}, nil},
		{"rm with a prefix", []string{"__complete", "sessions", "rm", "--store", db, "al"}, []string{"alpha\t"}, []string{"beta"}},
		{"chat --session", []string{"__complete", "chat", "--store", db, "--session", ""}, []string{"alpha\t", "beta\t"}, nil},
		{"research --session", []string{"__complete", "--config", sessionsConfigFile(t, db), "--session", "b"}, []string{"beta\t"}, []string{"alpha"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := inProcess(t, ctx, "", tc.args...)
			require.Equal(t, 0, code, errs)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, out, n)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	code, _, _ := inProcess(t, ctx, "", "__complete", "sessions", "show", "--store", missing, "")
	assert.Equal(t, 0, code)
	_, err = os.Stat(missing)
	assert.ErrorIs(t, err, os.ErrNotExist, "completion creates no store")
}
