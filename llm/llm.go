// Package llm writes an answer from the top-ranked articles with a language
// model, streamed as it is generated. It speaks two APIs: Ollama's chat API
// (POST /api/chat, a stream of NDJSON lines) and the OpenAI-compatible chat
// completions API (POST /chat/completions under the endpoint, server-sent
// events), which llama.cpp's server, vLLM, LM Studio and Ollama's /v1 all
// serve. The call is a stage that may fail like the analyzer: every failure
// (refused connection, HTTP error, timeout, a stream that stalls, breaks off,
// is not JSON or never ends) comes back as a models.Degraded with a reason
// and one line saying why, never as a panic or an endless wait. Text from the
// model is treated like text from the network: control and bidi characters
// are stripped and citations of articles that were not given are removed.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/research-cli/research/models"
)

// The APIs an endpoint may speak.
const (
	APIOllama = "ollama"
	APIOpenAI = "openai"
)

// StageAnswer is the Degraded.Stage of a failed answer.
const StageAnswer = "answer"

// Reasons an answer is unavailable, beside models.ReasonTimeout,
// models.ReasonBadOutput, models.ReasonOutputTooLarge and models.ReasonCancelled.
const (
	ReasonUnreachable = "unreachable"
	ReasonHTTPError   = "http_error"
	ReasonEmpty       = "empty"
)

// Defaults of Config's zero fields.
const (
	DefaultTimeout         = 90 * time.Second
	DefaultIdleTimeout     = 30 * time.Second
	DefaultTokenBudget     = 3000
	DefaultMaxAnswerTokens = 600
	DefaultMaxStreamBytes  = 4 << 20
	DefaultMaxAnswerBytes  = 32 << 10
)

// Config says which model to ask and how long to wait for it.
type Config struct {
	// Endpoint is the server's base URL: http://127.0.0.1:11434 for Ollama, or
	// the base of an OpenAI-compatible API (e.g. http://127.0.0.1:8080/v1).
	Endpoint string
	// API is APIOllama or APIOpenAI.
	API   string
	Model string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Timeout bounds the whole call; IdleTimeout the wait for the next byte.
	Timeout     time.Duration
	IdleTimeout time.Duration
	// TokenBudget bounds the prompt (instructions, question and articles).
	TokenBudget int
	// MaxAnswerTokens is asked of the model (num_predict / max_tokens).
	MaxAnswerTokens int
	// MaxStreamBytes bounds the bytes read from the response; MaxAnswerBytes
	// the answer's text. Past either, the stream is judged endless.
	MaxStreamBytes int64
	MaxAnswerBytes int
	// HTTPClient is used for the call; nil means a client of its own. It is
	// not the agents' shared client, which refuses private addresses: the
	// model usually is one (127.0.0.1), and its address comes only from the
	// user's config, never from the network.
	HTTPClient *http.Client
}

// Client asks one model for answers.
type Client struct {
	cfg  Config
	http *http.Client
	url  string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("llm endpoint %q: not an http(s) URL", cfg.Endpoint)
	}
	if cfg.Model == "" {
		return nil, errors.New("llm: no model named")
	}
	base := strings.TrimRight(cfg.Endpoint, "/")
	var target string
	switch cfg.API {
	case APIOllama, "":
		cfg.API = APIOllama
		target = base + "/api/chat"
	case APIOpenAI:
		target = base + "/chat/completions"
	default:
		return nil, fmt.Errorf("llm api %q: use ollama or openai", cfg.API)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	cfg.IdleTimeout = min(cfg.IdleTimeout, cfg.Timeout)
	if cfg.TokenBudget <= 0 {
		cfg.TokenBudget = DefaultTokenBudget
	}
	if cfg.MaxAnswerTokens <= 0 {
		cfg.MaxAnswerTokens = DefaultMaxAnswerTokens
	}
	if cfg.MaxStreamBytes <= 0 {
		cfg.MaxStreamBytes = DefaultMaxStreamBytes
	}
	if cfg.MaxAnswerBytes <= 0 {
		cfg.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment, // which never proxies loopback
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConns:          2,
			IdleConnTimeout:       30 * time.Second,
		}}
	}
	return &Client{cfg: cfg, http: hc, url: target}, nil
}

// Config is the client's configuration with the defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Answer is what the model wrote, or why it wrote nothing usable.
type Answer struct {
	// Text is the answer, sanitised, with citations of articles that were
	// not given removed. On failure it holds what had arrived (possibly
	// nothing); it is never to be presented as a whole answer then.
	Text string `json:"text"`
	// Model is the model that answered, as the server named it.
	Model string `json:"model"`
	// Sources are the article numbers the model was given; Cited those it cited.
	Sources []int `json:"sources"`
	Cited   []int `json:"cited"`
	// RemovedCitations counts citations dropped for pointing at no article.
	RemovedCitations int `json:"removed_citations,omitempty"`
	// Degraded says why there is no answer; nil on success.
	Degraded  *models.Degraded `json:"degraded"`
	ElapsedMS int64            `json:"elapsed_ms"`
}

// Failed reports whether the answer is unusable.
func (a *Answer) Failed() bool { return a.Degraded != nil }

var (
	errTimeout = errors.New("timeout")
	errStalled = errors.New("stalled")
)

// errTooLarge is an answer or stream over its byte bound.
type errTooLarge struct{ what string }

func (e errTooLarge) Error() string { return e.what }

// Answer asks the model to answer req, passing each piece of sanitised,
// citation-checked text to onText as it arrives (onText may be nil). It
// always returns an Answer; on failure its Degraded says why.
func (c *Client) Answer(ctx context.Context, req Request, onText func(string)) Answer {
	start := time.Now()
	msgs, included := Prompt(req, c.cfg.TokenBudget)
	ans := Answer{Model: c.cfg.Model, Sources: included}
	valid := make(map[int]bool, len(included))
	for _, n := range included {
		valid[n] = true
	}
	var text strings.Builder
	filter := &CiteFilter{Valid: func(n int) bool { return valid[n] }, Out: func(s string) {
		text.WriteString(s)
		if onText != nil {
			onText(s)
		}
	}}
	model, err := c.stream(ctx, msgs, func(piece string) error {
		if text.Len()+len(piece) > c.cfg.MaxAnswerBytes {
			return errTooLarge{fmt.Sprintf("the answer passed %d KiB without ending", c.cfg.MaxAnswerBytes>>10)}
		}
		filter.Write(Sanitize(piece))
		return nil
	})
	filter.Flush()
	ans.ElapsedMS = time.Since(start).Milliseconds()
	ans.Text = strings.TrimSpace(text.String())
	ans.Cited, ans.RemovedCitations = filter.Cited(), filter.Removed()
	if model != "" {
		ans.Model = oneLine(model, 100)
	}
	if err == nil && ans.Text == "" {
		err = errEmpty
	}
	if err != nil {
		ans.Degraded = c.degraded(ctx, err, start, text.Len())
	}
	return ans
}

var errEmpty = errors.New("empty answer")

func (c *Client) body(msgs []Message) ([]byte, error) {
	if c.cfg.API == APIOpenAI {
		return json.Marshal(struct {
			Model     string    `json:"model"`
			Messages  []Message `json:"messages"`
			Stream    bool      `json:"stream"`
			MaxTokens int       `json:"max_tokens"`
		}{c.cfg.Model, msgs, true, c.cfg.MaxAnswerTokens})
	}
	return json.Marshal(struct {
		Model    string    `json:"model"`
		Messages []Message `json:"messages"`
		Stream   bool      `json:"stream"`
		Options  struct {
			NumPredict int `json:"num_predict"`
			NumCtx     int `json:"num_ctx"`
		} `json:"options"`
	}{Model: c.cfg.Model, Messages: msgs, Stream: true, Options: struct {
		NumPredict int `json:"num_predict"`
		NumCtx     int `json:"num_ctx"`
	}{c.cfg.MaxAnswerTokens, contextWindow(c.cfg.TokenBudget + c.cfg.MaxAnswerTokens)}})
}

// contextWindow rounds the tokens needed up to a power of two of at least
// 2048, so that Ollama's default context (2048 in older releases) does not
// silently cut the articles off.
func contextWindow(need int) int {
	n := 2048
	for n < need+256 {
		n *= 2
	}
	return n
}

// stream makes the call and parses the response, bounded in time and bytes.
// When the call's own deadline or idle timer ended it, the error is that
// cause (errTimeout, errStalled), whatever the transport made of it.
func (c *Client) stream(ctx context.Context, msgs []Message, emit func(string) error) (model string, err error) {
	body, err := c.body(msgs)
	if err != nil {
		return "", err
	}
	ctx, cancelTimeout := context.WithTimeoutCause(ctx, c.cfg.Timeout, errTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The idle timer cancels the call when nothing arrives for IdleTimeout;
	// every read that brings bytes pushes it back.
	idle := time.AfterFunc(c.cfg.IdleTimeout, func() { cancel(errStalled) })
	defer idle.Stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			if cause := context.Cause(ctx); errors.Is(cause, errTimeout) || errors.Is(cause, errStalled) {
				err = cause
			}
		}
	}()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	hreq.Header.Set("Content-Type", "application/json")
	if c.cfg.API == APIOpenAI {
		hreq.Header.Set("Accept", "text/event-stream")
	} else {
		hreq.Header.Set("Accept", "application/x-ndjson")
	}
	if c.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return "", &httpError{status: resp.Status, msg: errorBody(b)}
	}
	r := &boundedReader{r: resp.Body, left: c.cfg.MaxStreamBytes, idle: idle, idleFor: c.cfg.IdleTimeout}
	if c.cfg.API == APIOpenAI {
		return ParseSSE(r, DefaultMaxLine, emit)
	}
	return ParseNDJSON(r, DefaultMaxLine, emit)
}

// boundedReader stops after left bytes and pushes the idle timer back on
// every read that brings some.
type boundedReader struct {
	r       io.Reader
	left    int64
	read    int64
	idle    *time.Timer
	idleFor time.Duration
	once    sync.Once
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooLarge{fmt.Sprintf("the stream passed %d KiB without ending", b.read>>10)}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.read += int64(n)
	if n > 0 {
		b.idle.Reset(b.idleFor)
	}
	return n, err
}

type httpError struct {
	status string
	msg    string
}

func (e *httpError) Error() string {
	if e.msg == "" {
		return "HTTP " + e.status
	}
	return "HTTP " + e.status + ": " + e.msg
}

// errorBody reads the message out of an error response: {"error": "…"}
// (Ollama), {"error": {"message": "…"}} (OpenAI), or the text itself.
func errorBody(b []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &v) == nil {
		if m := errorText(v.Error); m != "" {
			return m
		}
	}
	return oneLine(string(b), 200)
}

// degraded classifies err into a reason and one line for a person.
func (c *Client) degraded(ctx context.Context, err error, start time.Time, got int) *models.Degraded {
	d := &models.Degraded{Stage: StageAnswer}
	after := ""
	if got > 0 {
		after = fmt.Sprintf(" after %d bytes of answer", got)
	}
	var he *httpError
	var tl errTooLarge
	var se *ServerError
	var oe *net.OpError
	switch {
	case ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTimeout) && !errors.Is(context.Cause(ctx), errStalled):
		d.Reason, d.Detail = models.ReasonCancelled, "the answer was cancelled"
	case errors.Is(err, errStalled):
		d.Reason, d.Detail = models.ReasonTimeout, fmt.Sprintf("the model sent nothing for %s%s", c.cfg.IdleTimeout, after)
	case errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded):
		d.Reason, d.Detail = models.ReasonTimeout, fmt.Sprintf("the model did not finish within %s%s", c.cfg.Timeout, after)
	case errors.As(err, &tl):
		d.Reason, d.Detail = models.ReasonOutputTooLarge, tl.what+" (an endless stream?)"
	case errors.As(err, &he):
		d.Reason, d.Detail = ReasonHTTPError, fmt.Sprintf("the model server at %s answered %s", c.cfg.Endpoint, he.Error())
		if strings.Contains(strings.ToLower(he.msg), "not found") && c.cfg.API == APIOllama {
			d.Detail += fmt.Sprintf(" (try: ollama pull %s)", c.cfg.Model)
		}
	case errors.As(err, &se):
		d.Reason, d.Detail = models.ReasonBadOutput, se.Error()+after
	case errors.Is(err, ErrBadStream):
		d.Reason, d.Detail = models.ReasonBadOutput, "the model's stream was malformed: "+strings.TrimPrefix(err.Error(), ErrBadStream.Error()+": ")+after
	case errors.Is(err, errEmpty):
		d.Reason, d.Detail = ReasonEmpty, "the model returned an empty answer"
	case errors.As(err, &oe) && oe.Op == "dial":
		d.Reason, d.Detail = ReasonUnreachable, fmt.Sprintf("cannot reach the model at %s: %s", c.cfg.Endpoint, oneLine(oe.Err.Error(), 120))
		if c.cfg.API == APIOllama {
			d.Detail += " (is `ollama serve` running?)"
		}
	default:
		d.Reason, d.Detail = models.ReasonBadOutput, "the model call failed: "+oneLine(err.Error(), 200)+after
	}
	d.Detail = oneLine(d.Detail, 400)
	return d
}
