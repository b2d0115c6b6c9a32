package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorBodyPrefix: an HTTP error keeps the start of its body (decoded,
// bounded) for the agent to read the service's message; Error() omits it.
func TestErrorBodyPrefix(t *testing.T) {
	const atomErr = `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>` +
		`<id>http://arxiv.org/api/errors#incorrect_id_format_for_abc</id><title>Error</title>` +
		`<summary>incorrect id format for abc</summary></entry></feed>`
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/atom":
			w.Header().Set("Content-Type", "application/atom+xml")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(atomErr))
		case "/huge-gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusInternalServerError)
			gz := gzip.NewWriter(w)
			_, _ = gz.Write(bytes.Repeat([]byte("x"), 1<<20))
			_ = gz.Close()
		case "/empty":
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	c := newClient(t, Options{MaxRetries: -1})

	_, err := c.Get(t.Context(), Request{URL: srv.URL + "/atom"})
	fe := asError(t, err)
	assert.Equal(t, atomErr, string(fe.Body))
	assert.Equal(t, "application/atom+xml", fe.ContentType)
	assert.Equal(t, srv.URL+"/atom: HTTP 400 Bad Request", err.Error(), "the body is never printed")

	_, err = c.Get(t.Context(), Request{URL: srv.URL + "/huge-gzip"})
	fe = asError(t, err)
	assert.Len(t, fe.Body, ErrorBodyBytes, "decoded and bounded")
	assert.Equal(t, strings.Repeat("x", ErrorBodyBytes), string(fe.Body))

	_, err = c.Get(t.Context(), Request{URL: srv.URL + "/empty"})
	assert.Nil(t, asError(t, err).Body)
}

// TestRequestHeaderTimeout: a request may wait longer for its headers than
// the client's default (arXiv stalls before answering), and the default still
// cuts the others.
func TestRequestHeaderTimeout(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte("late"))
	}))
	c := newClient(t, Options{MaxRetries: -1, HeaderTimeout: 100 * time.Millisecond})
	_, err := c.Get(t.Context(), Request{URL: srv.URL})
	require.Error(t, err)
	assert.Equal(t, KindTimeout, KindOf(err))
	assert.Contains(t, err.Error(), "waiting for response headers")

	resp, err := c.Get(t.Context(), Request{URL: srv.URL, HeaderTimeout: 30 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, "late", string(resp.Body))
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	require.Error(t, err)
	fe, ok := err.(*Error)
	require.True(t, ok, "%T", err)
	return fe
}

func TestUserAgentFor(t *testing.T) {
	assert.Equal(t, "research/0.1.0 (https://github.com/research-cli/research) Go-http-client", UserAgentFor("0.1.0", ""))
	assert.Equal(t, "research/0.1.0 (https://github.com/research-cli/research; ops@example.org) Go-http-client",
		UserAgentFor("0.1.0", " ops@example.org "))
}

func TestJSONMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"message":"Invalid value for \"hitsPerPage\"","status":400}`:                  `Invalid value for "hitsPerPage"`,
		`{"type":"x","title":"Not found.","detail":"Page or revision not found."}`:      "Page or revision not found.",
		`{"title":"Too many requests"}`:                                                 "Too many requests",
		`{"error":{"code":"badvalue","info":"Unrecognized value for parameter list."}}`: "Unrecognized value for parameter list.",
		`{"error":"rate limited"}`:                                                      "rate limited",
		`<html>nope</html>`:                                                             "",
		`[1,2]`:                                                                         "",
	} {
		assert.Equal(t, want, JSONMessage([]byte(body)), body)
	}
}

// TestThrottledThenTimedOut: a 429 then a retry stalled until the deadline
// (arXiv throttling) reports the 429, not a bare timeout.
func TestThrottledThenTimedOut(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		<-r.Context().Done()
	}))
	c := newClient(t, Options{MaxRetries: 2})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err := c.Get(ctx, Request{URL: srv.URL})
	require.Error(t, err)
	assert.Equal(t, KindHTTP429, KindOf(err), "%v", err)
	assert.Contains(t, err.Error(), "HTTP 429 Too Many Requests (then the retry timed out)")
}

func FuzzJSONMessage(f *testing.F) {
	for _, s := range []string{`{"message":"m","status":400}`, `{"detail":"d","title":"t"}`, `{"error":{"info":"i"}}`,
		`{"error":"e"}`, `{"error":[1]}`, `null`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = JSONMessage(body) // never panics, whatever the server sent
	})
}
