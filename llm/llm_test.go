package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// modelServer is a loopback server speaking both APIs the documented way:
// Ollama's POST /api/chat answers NDJSON lines {"model", "message": {"role",
// "content"}, "done"}, the last with "done": true; the OpenAI-compatible POST
// /v1/chat/completions answers server-sent events "data: {chunk}" ended by
// "data: [DONE]". Its behaviour says how it misbehaves.
type modelServer struct {
	*httptest.Server
	behaviour string
	pieces    []string

	mu   sync.Mutex
	reqs []map[string]any
}

func newModelServer(t *testing.T, behaviour string, pieces ...string) *modelServer {
	t.Helper()
	ms := &modelServer{behaviour: behaviour, pieces: pieces}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) { ms.serve(w, r, false) })
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { ms.serve(w, r, true) })
	ms.Server = httptest.NewServer(mux)
	t.Cleanup(ms.Close)
	return ms
}

func (ms *modelServer) requests() []map[string]any {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]map[string]any(nil), ms.reqs...)
}

func (ms *modelServer) serve(w http.ResponseWriter, r *http.Request, openai bool) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"bad request body"}`, http.StatusBadRequest)
		return
	}
	ms.mu.Lock()
	ms.reqs = append(ms.reqs, req)
	ms.mu.Unlock()
	if req["model"] == "missing" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		if openai {
			io.WriteString(w, `{"error":{"message":"The model `+"`missing`"+` does not exist","type":"invalid_request_error"}}`)
		} else {
			io.WriteString(w, `{"error":"model \"missing\" not found, try pulling it first"}`)
		}
		return
	}
	if ms.behaviour == "http500" {
		http.Error(w, "internal error\x1b[2J", http.StatusInternalServerError)
		return
	}
	fl := w.(http.Flusher)
	if openai {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	chunk := func(s string) string {
		if openai {
			b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "model": "test-model",
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": s}, "finish_reason": nil}}})
			return "data: " + string(b) + "\n\n"
		}
		b, _ := json.Marshal(map[string]any{"model": "test-model", "created_at": "2026-12-08T01:00:00Z",
			"message": map[string]any{"role": "assistant", "content": s}, "done": false})
		return string(b) + "\n"
	}
	final := `{"model":"test-model","created_at":"2026-12-08T01:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":12}` + "\n"
	if openai {
		final = `data: {"id":"c1","object":"chat.completion.chunk","model":"test-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"
	}
	write := func(s string) bool {
		if _, err := io.WriteString(w, s); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	switch ms.behaviour {
	case "hang": // headers, then nothing, until the client gives up
		<-r.Context().Done()
		return
	case "hang-after-first":
		write(chunk(ms.pieces[0]))
		<-r.Context().Done()
		return
	case "endless": // tokens forever
		for r.Context().Err() == nil && write(chunk("more and more ")) {
		}
		return
	case "endless-empty": // keep-alive lines forever, no text
		for r.Context().Err() == nil {
			s := chunk("")
			if openai {
				s = ": keep-alive\n"
			}
			if !write(s) {
				return
			}
		}
		return
	case "invalid-json":
		write(chunk(ms.pieces[0]))
		write("{\"model\": \"test-model\", \"message\": {\"content\": \"oops\"\n")
		if openai {
			write("data: {not json}\n\n")
		}
		return
	case "mid-line":
		write(chunk(ms.pieces[0]))
		c := chunk("cut here")
		write(c[:len(c)/2])
		return
	case "no-done":
		for _, p := range ms.pieces {
			write(chunk(p))
		}
		return
	case "stream-error":
		write(chunk(ms.pieces[0]))
		if openai {
			write(`data: {"error":{"message":"out of memory"}}` + "\n\n")
		} else {
			write(`{"error":"out of memory"}` + "\n")
		}
		return
	}
	for _, p := range ms.pieces {
		if !write(chunk(p)) {
			return
		}
	}
	write(final)
}

func testRequest() Request {
	return Request{
		Question: "How does sparse attention scale?",
		Context:  "Q1: sparse attention for long documents",
		Sources: []Source{
			{N: 1, Title: "Longformer revisited", URL: "https://example.org/a", Text: "Sliding windows make attention linear."},
			{N: 2, Title: "Block-sparse kernels", URL: "https://example.org/b", Text: "Block-sparse kernels cut memory traffic."},
		},
	}
}

// newTestClient is a client of the test server. Only the streams that hang
// get a short idle timeout: a working stream must never be cut by a busy machine.
func newTestClient(t *testing.T, base, api, model string, idle time.Duration) *Client {
	t.Helper()
	ep := base
	if api == APIOpenAI {
		ep = base + "/v1"
	}
	c, err := New(Config{Endpoint: ep, API: api, Model: model, Timeout: 5 * time.Minute, IdleTimeout: idle,
		MaxAnswerBytes: 4 << 10, MaxStreamBytes: 256 << 10})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestAnswer(t *testing.T) {
	pieces := []string{"Sparse attention ", "is linear [1]", " and kernels help [2", "]. Also [7]", " and [1, 9].\x1b]0;pwned\x07\u202e"}
	tests := []struct {
		name      string
		behaviour string
		model     string
		reason    string
		detail    string
		text      string
	}{
		{name: "ok", behaviour: "ok", text: "Sparse attention is linear [1] and kernels help [2]. Also and [1]."},
		{name: "hang", behaviour: "hang", reason: models.ReasonTimeout, detail: "sent nothing for 300ms"},
		{name: "hang after first piece", behaviour: "hang-after-first", reason: models.ReasonTimeout, detail: "after 17 bytes of answer", text: "Sparse attention"},
		{name: "endless", behaviour: "endless", reason: models.ReasonOutputTooLarge, detail: "the answer passed 4 KiB"},
		{name: "endless without text", behaviour: "endless-empty", reason: models.ReasonOutputTooLarge, detail: "the stream passed"},
		{name: "invalid json", behaviour: "invalid-json", reason: models.ReasonBadOutput, detail: "not JSON"},
		{name: "broken mid-line", behaviour: "mid-line", reason: models.ReasonBadOutput, detail: "middle of a line"},
		{name: "no done", behaviour: "no-done", reason: models.ReasonBadOutput, detail: "before the answer was done"},
		{name: "error in stream", behaviour: "stream-error", reason: models.ReasonBadOutput, detail: "out of memory"},
		{name: "http 500", behaviour: "http500", reason: ReasonHTTPError, detail: "500 Internal Server Error: internal error"},
		{name: "model not found", behaviour: "ok", model: "missing", reason: ReasonHTTPError, detail: "404"},
		{name: "empty answer", behaviour: "empty", reason: ReasonEmpty},
	}
	for _, api := range []string{APIOllama, APIOpenAI} {
		for _, tc := range tests {
			t.Run(api+"/"+tc.name, func(t *testing.T) {
				var ps []string
				if tc.behaviour != "empty" {
					ps = pieces
				}
				srv := newModelServer(t, tc.behaviour, ps...)
				model := tc.model
				if model == "" {
					model = "llama3.2"
				}
				idle := time.Minute
				if strings.HasPrefix(tc.behaviour, "hang") {
					idle = 300 * time.Millisecond
				}
				c := newTestClient(t, srv.URL, api, model, idle)
				var streamed strings.Builder
				ans := c.Answer(context.Background(), testRequest(), func(s string) { streamed.WriteString(s) })
				assert.Equal(t, ans.Text, strings.TrimSpace(streamed.String()), "what streamed is what is kept")
				assert.NotContains(t, ans.Text, "\x1b")
				assert.NotContains(t, ans.Text, "\u202e")
				if tc.reason == "" {
					require.Nil(t, ans.Degraded)
					assert.Equal(t, tc.text, ans.Text)
					assert.Equal(t, "test-model", ans.Model)
					assert.Equal(t, []int{1, 2}, ans.Cited)
					assert.Equal(t, []int{1, 2}, ans.Sources)
					assert.Equal(t, 2, ans.RemovedCitations)
				} else {
					require.NotNil(t, ans.Degraded)
					assert.Equal(t, StageAnswer, ans.Degraded.Stage)
					assert.Equal(t, tc.reason, ans.Degraded.Reason, ans.Degraded.Detail)
					assert.Contains(t, ans.Degraded.Detail, tc.detail)
					assert.NotContains(t, ans.Degraded.Detail, "\x1b")
					if tc.text != "" {
						assert.Equal(t, tc.text, ans.Text)
					}
				}
				if tc.model == "missing" && api == APIOllama {
					assert.Contains(t, ans.Degraded.Detail, "ollama pull missing")
				}
				reqs := srv.requests()
				require.Len(t, reqs, 1)
				assert.Equal(t, model, reqs[0]["model"])
				assert.Equal(t, true, reqs[0]["stream"])
				msgs := reqs[0]["messages"].([]any)
				require.Len(t, msgs, 2)
				user := msgs[1].(map[string]any)
				assert.Equal(t, "user", user["role"])
				assert.Contains(t, user["content"], "[2] Block-sparse kernels")
				if api == APIOpenAI {
					assert.EqualValues(t, DefaultMaxAnswerTokens, reqs[0]["max_tokens"])
				} else {
					assert.EqualValues(t, DefaultMaxAnswerTokens, reqs[0]["options"].(map[string]any)["num_predict"])
				}
			})
		}
	}
}

func TestAnswerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now: connection refused
	for _, api := range []string{APIOllama, APIOpenAI} {
		t.Run(api, func(t *testing.T) {
			c := newTestClient(t, "http://"+addr, api, "llama3.2", time.Minute)
			ans := c.Answer(context.Background(), testRequest(), nil)
			require.NotNil(t, ans.Degraded)
			assert.Equal(t, ReasonUnreachable, ans.Degraded.Reason, ans.Degraded.Detail)
			assert.Contains(t, ans.Degraded.Detail, addr)
		})
	}
}

func TestAnswerCancelled(t *testing.T) {
	srv := newModelServer(t, "hang")
	c, err := New(Config{Endpoint: srv.URL, Model: "m", Timeout: time.Minute, IdleTimeout: time.Minute})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(srv.requests()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	ans := c.Answer(ctx, testRequest(), nil)
	require.NotNil(t, ans.Degraded)
	assert.Equal(t, models.ReasonCancelled, ans.Degraded.Reason)
}

func TestAnswerWholeTimeout(t *testing.T) {
	// Pieces keep arriving (the idle timer never fires) but the whole call is over time.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; r.Context().Err() == nil; i++ {
			fmt.Fprintf(w, `{"message":{"content":""},"done":false}`+"\n")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Model: "m", Timeout: 300 * time.Millisecond, IdleTimeout: time.Minute})
	require.NoError(t, err)
	defer c.Close()
	ans := c.Answer(context.Background(), testRequest(), nil)
	require.NotNil(t, ans.Degraded)
	assert.Equal(t, models.ReasonTimeout, ans.Degraded.Reason)
	assert.Contains(t, ans.Degraded.Detail, "did not finish within 300ms")
}

func TestNewChecksConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no scheme", Config{Endpoint: "localhost:11434", Model: "m"}, "not an http(s) URL"},
		{"file url", Config{Endpoint: "file:///etc/passwd", Model: "m"}, "not an http(s) URL"},
		{"no model", Config{Endpoint: "http://127.0.0.1:11434"}, "no model"},
		{"unknown api", Config{Endpoint: "http://127.0.0.1:11434", Model: "m", API: "grpc"}, "use ollama or openai"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestAPIKeyIsSentAsBearer(t *testing.T) {
	var mu sync.Mutex
	var got []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"), r.Header.Get("Accept"))
		mu.Unlock()
		io.WriteString(w, `data: {"choices":[{"delta":{"content":"ok [1]"},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL + "/v1/", API: APIOpenAI, Model: "m", APIKey: "sk-test"})
	require.NoError(t, err)
	defer c.Close()
	ans := c.Answer(context.Background(), testRequest(), nil)
	require.Nil(t, ans.Degraded)
	assert.Equal(t, "ok [1]", ans.Text)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"Bearer sk-test", "text/event-stream"}, got)
}
