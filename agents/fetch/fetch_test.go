package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newClient builds a client with fast retries, closed when the test ends.
func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	if opts.RetryBaseDelay == 0 {
		opts.RetryBaseDelay = 10 * time.Millisecond
	}
	c, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestRequestHeadersAndDecoding(t *testing.T) {
	const text = "<rss><channel><title>Hello</title></channel></rss>"
	var gotUA, gotAccept, gotAE atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.Header.Get("User-Agent"))
		gotAccept.Store(r.Header.Get("Accept"))
		gotAE.Store(r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		switch r.URL.Path {
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			_, _ = io.WriteString(gz, text)
			_ = gz.Close()
		case "/br":
			w.Header().Set("Content-Encoding", "br")
			bw := brotli.NewWriter(w)
			_, _ = io.WriteString(bw, text)
			_ = bw.Close()
		case "/redirect":
			http.Redirect(w, r, "/plain", http.StatusFound)
		default:
			_, _ = io.WriteString(w, text)
		}
	}))
	c := newClient(t, Options{})
	for _, path := range []string{"/plain", "/gzip", "/br", "/redirect"} {
		t.Run(path, func(t *testing.T) {
			resp, err := c.Get(context.Background(), Request{URL: srv.URL + path, Accept: "application/rss+xml"})
			require.NoError(t, err)
			assert.Equal(t, text, string(resp.Body))
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, "application/rss+xml; charset=utf-8", resp.ContentType)
			assert.Equal(t, UserAgent, gotUA.Load())
			assert.Equal(t, "application/rss+xml", gotAccept.Load())
			assert.Equal(t, "gzip, br", gotAE.Load())
			assert.Positive(t, resp.WireBytes)
			if path == "/redirect" {
				assert.Equal(t, srv.URL+"/plain", resp.URL)
			} else {
				assert.Equal(t, srv.URL+path, resp.URL)
			}
		})
	}
	st := c.Stats()
	assert.Equal(t, int64(4), st.Requests) // a Get that follows a redirect counts once
	assert.Positive(t, st.WireBytes)
}

func TestAcceptDefault(t *testing.T) {
	var got atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Accept"))
		_, _ = io.WriteString(w, "x")
	}))
	c := newClient(t, Options{})
	_, err := c.Get(context.Background(), Request{URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, "*/*", got.Load())
}

// hostile describes one misbehaving server and the single error it must cause.
type hostile struct {
	name    string
	handler http.HandlerFunc
	opts    Options
	kind    ErrorKind
	message string        // a substring of Error()
	re      string        // and, when set, a pattern Error() must match
	within  time.Duration // the Get must return within this
}

// stopper lets hijacking or endless handlers end when the test does.
type stopper struct{ done chan struct{} }

func (s stopper) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// loadSlack multiplies the time bounds of tests that check a request is cut
// short: no test may fail because the machine is busy.
const loadSlack = 10

func TestHostileServers(t *testing.T) {
	stop := stopper{done: make(chan struct{})}
	t.Cleanup(func() { close(stop.done) })

	// Large zero runs compress ~1000:1: a 64 MiB bomb is ~65 KB on the wire.
	var bomb bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 64 {
		_, _ = gz.Write(zeros)
	}
	require.NoError(t, gz.Close())

	cases := []hostile{
		{
			name: "headers dribbled a byte per second",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n") {
					_ = buf.WriteByte(b)
					if buf.Flush() != nil {
						return
					}
					select {
					case <-time.After(time.Second):
					case <-stop.done:
						return
					}
				}
			},
			opts:    Options{HeaderTimeout: 1500 * time.Millisecond},
			kind:    KindTimeout,
			message: "waiting for response headers",
			within:  3 * time.Second,
		},
		{
			name: "endless body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				chunk := bytes.Repeat([]byte("<item>endless</item>\n"), 1000)
				for !stop.stopped() {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			opts:    Options{MaxBodyBytes: 1 << 20},
			kind:    KindTooLarge,
			message: "response larger than 1.0 MiB",
			within:  5 * time.Second,
		},
		{
			name: "slow-drip body cut by the deadline",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				for !stop.stopped() {
					if _, err := w.Write([]byte("x")); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-time.After(50 * time.Millisecond):
					case <-r.Context().Done():
						return
					}
				}
			},
			opts:    Options{RequestTimeout: 700 * time.Millisecond},
			kind:    KindTimeout,
			message: "reading the body",
			re:      `: timeout after [\d.]+m?s reading the body$`, // the clock overshoots on a loaded machine
			within:  3 * time.Second,
		},
		{
			name: "500",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			},
			kind:    KindHTTP5xx,
			message: "HTTP 500 Internal Server Error",
			within:  2 * time.Second,
		},
		{
			name: "503 every time is retried then reported",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "down", http.StatusServiceUnavailable)
			},
			kind:    KindHTTP5xx,
			message: "HTTP 503 Service Unavailable (retried 2 times)",
			within:  3 * time.Second,
		},
		{
			name: "429 asking for longer than the deadline fails at once",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				http.Error(w, "slow down", http.StatusTooManyRequests)
			},
			opts:    Options{RequestTimeout: 5 * time.Second},
			kind:    KindHTTP429,
			message: "HTTP 429 Too Many Requests; the server asks to wait 2m0s, past the deadline",
			within:  time.Second,
		},
		{
			name: "redirect loop",
			handler: func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				http.Redirect(w, r, fmt.Sprintf("/loop?n=%d", n+1), http.StatusFound)
			},
			kind:    KindRedirects,
			message: "more than 5 redirects",
			within:  2 * time.Second,
		},
		{
			name: "redirect without a Location",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusMovedPermanently)
			},
			kind:    KindRedirects,
			message: "HTTP 301 Moved Permanently without a usable Location",
			within:  2 * time.Second,
		},
		{
			name: "gzip bomb",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Type", "application/rss+xml")
				_, _ = w.Write(bomb.Bytes())
			},
			opts:    Options{MaxBodyBytes: 4 << 20},
			kind:    KindTooLarge,
			message: "response larger than 4.0 MiB after decompression",
			within:  3 * time.Second,
		},
		{
			name: "truncated body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				_, _ = io.WriteString(w, "<rss><channel><title>cut</ti")
				// returning closes the connection short of Content-Length
			},
			kind:    KindNetwork,
			message: "network error (response truncated): unexpected EOF (retried 2 times)",
			within:  3 * time.Second,
		},
		{
			name: "connection reset before the headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
				_ = conn.Close()
			},
			kind:    KindNetwork,
			message: "network error: connection reset by peer (retried 2 times)",
			within:  3 * time.Second,
		},
		{
			name:    "empty 200",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			kind:    KindEmpty,
			message: "empty response (HTTP 200 with no body)",
			within:  2 * time.Second,
		},
		{
			name: "404",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.NotFound(w, r)
			},
			kind:    KindHTTP4xx,
			message: "HTTP 404 Not Found",
			within:  2 * time.Second,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				tc.handler(w, r)
			}))
			c := newClient(t, tc.opts)
			start := time.Now()
			resp, err := c.Get(context.Background(), Request{URL: srv.URL + "/feed"})
			took := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, resp)
			assert.Equal(t, tc.kind, KindOf(err), "error: %v", err)
			assert.Contains(t, err.Error(), tc.message)
			if tc.re != "" {
				assert.Regexp(t, tc.re, err.Error())
			}
			assert.True(t, strings.HasPrefix(err.Error(), srv.URL+"/feed: "), "names the URL: %v", err)
			assert.NotContains(t, err.Error(), "\n")
			// within is the time a healthy machine needs; a loaded one (CI) may
			// take several times as long, and every hostile server here would
			// hold the request far longer than this bound if the client did
			// not cut it.
			assert.Less(t, took, loadSlack*tc.within)
			t.Logf("%v (in %s, %d hits)", err, took.Round(time.Millisecond), hits.Load())
		})
	}
}

func TestRetryAfterHonouredThenSucceeds(t *testing.T) {
	var hits atomic.Int32
	var firstAt, secondAt atomic.Int64
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			firstAt.Store(time.Now().UnixNano())
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		secondAt.Store(time.Now().UnixNano())
		_, _ = io.WriteString(w, "ok")
	}))
	c := newClient(t, Options{})
	resp, err := c.Get(context.Background(), Request{URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, "ok", string(resp.Body))
	assert.Equal(t, 1, resp.Retries)
	assert.Equal(t, int32(2), hits.Load())
	assert.GreaterOrEqual(t, time.Duration(secondAt.Load()-firstAt.Load()), 950*time.Millisecond)
}

func TestRetryAfterMakesOtherRequestsWait(t *testing.T) {
	// The first request to reach the server gets a 429 with Retry-After: 1;
	// every other request to that host, already on its way or not, must reach
	// the server only after the pause, and all succeed.
	var hits atomic.Int32
	var pausedAt atomic.Int64
	var mu sync.Mutex
	var after []time.Time
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			pausedAt.Store(time.Now().UnixNano())
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		mu.Lock()
		after = append(after, time.Now())
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	c := newClient(t, Options{PerHostParallel: 1})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			_, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/%d", srv.URL, i)})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, after, 4)
	for _, at := range after {
		assert.GreaterOrEqual(t, at.Sub(time.Unix(0, pausedAt.Load())), 950*time.Millisecond)
	}
}

func TestRetryAfterOutOfRetries(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0") // "now": only the backoff spaces the attempts
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	c := newClient(t, Options{MaxRetries: 1})
	_, err := c.Get(context.Background(), Request{URL: srv.URL})
	require.Error(t, err)
	assert.Equal(t, KindHTTP429, KindOf(err))
	assert.Equal(t, srv.URL+": HTTP 429 Too Many Requests (retried once)", err.Error())
}

func TestRetryAfterPausesTheHost(t *testing.T) {
	// A 503 with Retry-After (as an HTTP date) to one request makes a second,
	// independent request to the same host wait; with a deadline shorter than
	// the pause it fails at once and says why.
	var hits atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	c := newClient(t, Options{RequestTimeout: 5 * time.Second})
	_, err := c.Get(context.Background(), Request{URL: srv.URL + "/a"})
	require.Error(t, err)
	assert.Equal(t, KindHTTP5xx, KindOf(err))
	assert.Contains(t, err.Error(), "HTTP 503 Service Unavailable; the server asks to wait")

	start := time.Now()
	_, err = c.Get(context.Background(), Request{URL: srv.URL + "/b"})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 15*time.Second, "fails at once rather than waiting 30s")
	assert.Equal(t, KindHTTP5xx, KindOf(err))
	assert.Contains(t, err.Error(), srv.URL+"/b: HTTP 503 Service Unavailable (earlier, from this host); the server asks to wait")
	assert.Equal(t, int32(1), hits.Load(), "the paused host was not asked again")
}

func TestConnectionErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		c := newClient(t, Options{})
		_, err = c.Get(context.Background(), Request{URL: "http://" + addr + "/feed"})
		require.Error(t, err)
		assert.Equal(t, KindRefused, KindOf(err))
		assert.Equal(t, "http://"+addr+"/feed: connection refused", err.Error())
	})
	t.Run("tls", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error is expected
		srv.StartTLS()
		t.Cleanup(srv.Close)
		c := newClient(t, Options{})
		_, err := c.Get(context.Background(), Request{URL: srv.URL + "/feed"})
		require.Error(t, err)
		assert.Equal(t, KindTLS, KindOf(err))
		assert.Contains(t, err.Error(), srv.URL+"/feed: TLS failure: ")
		t.Log(err)
	})
	t.Run("TLS handshake never answered", func(t *testing.T) {
		// A listener that accepts and then says nothing: the handshake timeout
		// fires, is retried (it is transient), and the error says where it hung.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		var wg sync.WaitGroup
		t.Cleanup(func() { _ = l.Close(); wg.Wait() })
		wg.Go(func() {
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					_ = c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		})
		c := newClient(t, Options{TLSTimeout: 200 * time.Millisecond, MaxRetries: 1})
		_, err = c.Get(context.Background(), Request{URL: "https://" + l.Addr().String() + "/feed"})
		require.Error(t, err)
		assert.Equal(t, KindTimeout, KindOf(err))
		assert.Regexp(t, `^https://127\.0\.0\.1:\d+/feed: timeout after [\d.]+m?s during the TLS handshake \(retried once\)$`, err.Error())
	})
	t.Run("bad url", func(t *testing.T) {
		c := newClient(t, Options{})
		_, err := c.Get(context.Background(), Request{URL: "ftp://example.org/x"})
		require.Error(t, err)
		assert.Equal(t, KindMalformed, KindOf(err))
	})
	t.Run("canceled", func(t *testing.T) {
		srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		c := newClient(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Get(ctx, Request{URL: srv.URL})
		require.Error(t, err)
		assert.Equal(t, KindCanceled, KindOf(err))
	})
	t.Run("caller deadline", func(t *testing.T) {
		srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		c := newClient(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := c.Get(ctx, Request{URL: srv.URL})
		require.Error(t, err)
		assert.Equal(t, KindTimeout, KindOf(err))
		assert.Regexp(t, `: timeout after \d+0ms$`, err.Error())
	})
}

func TestHTMLPassesThrough(t *testing.T) {
	// The client does not judge content: an HTML page where a feed was
	// expected comes back with its content type, for the agent to reject.
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><html><body>Not a feed</body></html>")
	}))
	c := newClient(t, Options{})
	resp, err := c.Get(context.Background(), Request{URL: srv.URL, Accept: "application/rss+xml"})
	require.NoError(t, err)
	assert.Equal(t, "text/html; charset=utf-8", resp.ContentType)
	assert.Contains(t, string(resp.Body), "Not a feed")
}

func TestEmptyAllowed(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	c := newClient(t, Options{})
	resp, err := c.Get(context.Background(), Request{URL: srv.URL, AllowEmpty: true})
	require.NoError(t, err)
	assert.Empty(t, resp.Body)
}

func TestHugeBodyMemoryBounded(t *testing.T) {
	const total = 200 << 20
	for _, declared := range []bool{true, false} {
		t.Run(fmt.Sprintf("Content-Length declared %v", declared), func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if declared {
					w.Header().Set("Content-Length", strconv.Itoa(total))
				} // else chunked: the client only finds out by reading
				chunk := bytes.Repeat([]byte("a"), 64<<10)
				for sent := 0; sent < total; sent += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}))
			c := newClient(t, Options{}) // the default 15 MiB cap
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := c.Get(context.Background(), Request{URL: srv.URL + "/huge.xml"})
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			assert.Equal(t, KindTooLarge, KindOf(err))
			assert.Equal(t, srv.URL+"/huge.xml: response larger than 15 MiB", err.Error())
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d MiB while refusing a 200 MiB body; %d MiB read from the network",
				allocated>>20, c.Stats().WireBytes>>20)
			assert.Less(t, allocated, uint64(40<<20), "the body must not be read whole, nor its buffer overgrown")
			assert.Less(t, c.Stats().WireBytes, int64(40<<20), "reading stops near the cap")
		})
	}
}

func TestPerHostConcurrencyCap(t *testing.T) {
	type counter struct{ cur, max atomic.Int32 }
	handler := func(cnt *counter) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := cnt.cur.Add(1)
			for {
				m := cnt.max.Load()
				if n <= m || cnt.max.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(40 * time.Millisecond)
			cnt.cur.Add(-1)
			_, _ = io.WriteString(w, "ok")
		})
	}
	var a, b counter
	srvA, srvB := newServer(t, handler(&a)), newServer(t, handler(&b))
	c := newClient(t, Options{PerHostParallel: 2})
	var wg sync.WaitGroup
	for i := range 16 {
		u := srvA.URL
		if i%2 == 1 {
			u = srvB.URL
		}
		wg.Go(func() {
			_, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/%d", u, i)})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(2), a.max.Load(), "host A saw at most 2 at once, and did reach 2")
	assert.Equal(t, int32(2), b.max.Load(), "host B has its own cap")
}

func TestMinInterval(t *testing.T) {
	cases := []struct {
		name     string
		opts     Options
		req      time.Duration
		wantGap  time.Duration
		requests int
	}{
		{name: "client default", opts: Options{PerHostInterval: 150 * time.Millisecond}, wantGap: 150 * time.Millisecond, requests: 4},
		{name: "request override", opts: Options{PerHostInterval: 10 * time.Millisecond}, req: 200 * time.Millisecond, wantGap: 200 * time.Millisecond, requests: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var starts []time.Time
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
				_, _ = io.WriteString(w, "ok")
			}))
			c := newClient(t, tc.opts)
			t0 := time.Now()
			var wg sync.WaitGroup
			for i := range tc.requests {
				wg.Go(func() {
					_, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/%d", srv.URL, i), MinInterval: tc.req})
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			require.Len(t, starts, tc.requests)
			// Request k cannot start before t0 + k*gap, and each arrives after it
			// starts, so the k-th arrival is at least k gaps after t0. (Gaps between
			// arrivals would be flaky: one request may reach the handler late.)
			slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
			for k, at := range starts {
				assert.GreaterOrEqual(t, at.Sub(t0), time.Duration(k)*tc.wantGap, "arrival %d", k)
			}
			// Waits of about 1, 2, … gaps (less a goroutine's late start): the
			// narration can say how long politeness cost.
			n := time.Duration(tc.requests)
			assert.GreaterOrEqual(t, c.Stats().Waited, n*(n-1)/2*tc.wantGap/2)
		})
	}
	t.Run("interval past the deadline fails at once", func(t *testing.T) {
		srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "ok")
		}))
		c := newClient(t, Options{RequestTimeout: 500 * time.Millisecond})
		_, err := c.Get(context.Background(), Request{URL: srv.URL + "/1", MinInterval: 3 * time.Second})
		require.NoError(t, err)
		start := time.Now()
		_, err = c.Get(context.Background(), Request{URL: srv.URL + "/2", MinInterval: 3 * time.Second})
		require.Error(t, err)
		// The message proves the decision was taken before waiting; the bound
		// is only a sanity check a loaded machine cannot miss.
		assert.Less(t, time.Since(start), 3*time.Second, "fails at once rather than waiting 3s")
		assert.Equal(t, KindTimeout, KindOf(err))
		assert.Contains(t, err.Error(), "3s minimum interval")
	})
}

// validatorServer serves one document with an ETag and Last-Modified and
// answers conditional requests with a bare 304 (no Last-Modified, as many do).
type validatorServer struct {
	body             string
	hits, status304  atomic.Int32
	lastINM, lastIMS atomic.Value
}

func (v *validatorServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.hits.Add(1)
	v.lastINM.Store(r.Header.Get("If-None-Match"))
	v.lastIMS.Store(r.Header.Get("If-Modified-Since"))
	const etag = `"v1"`
	if r.Header.Get("If-None-Match") == etag {
		v.status304.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Tue, 24 Nov 2026 10:00:00 GMT")
	w.Header().Set("Content-Type", "application/atom+xml")
	_, _ = io.WriteString(w, v.body)
}

func TestConditionalGET(t *testing.T) {
	vs := &validatorServer{body: strings.Repeat("<entry>cached</entry>", 500)}
	srv := newServer(t, vs)
	c := newClient(t, Options{CachePath: filepath.Join(t.TempDir(), "http.db")})
	ctx := context.Background()

	first, err := c.Get(ctx, Request{URL: srv.URL + "/feed"})
	require.NoError(t, err)
	assert.False(t, first.FromCache)
	assert.Equal(t, "", vs.lastINM.Load())

	second, err := c.Get(ctx, Request{URL: srv.URL + "/feed"})
	require.NoError(t, err)
	assert.True(t, second.FromCache)
	assert.Equal(t, http.StatusNotModified, second.Status)
	assert.Equal(t, first.Body, second.Body)
	assert.Equal(t, "application/atom+xml", second.ContentType)
	assert.Equal(t, `"v1"`, vs.lastINM.Load())
	assert.Less(t, second.WireBytes*10, first.WireBytes, "a 304 costs a fraction of the body")

	// The bare 304 did not make the client forget Last-Modified.
	_, err = c.Get(ctx, Request{URL: srv.URL + "/feed"})
	require.NoError(t, err)
	assert.Equal(t, "Tue, 24 Nov 2026 10:00:00 GMT", vs.lastIMS.Load())

	// NoCache bypasses it.
	fresh, err := c.Get(ctx, Request{URL: srv.URL + "/feed", NoCache: true})
	require.NoError(t, err)
	assert.False(t, fresh.FromCache)

	st := c.Stats()
	assert.Equal(t, int64(2), st.CacheHits)
	assert.Equal(t, int64(1), st.CacheStores)
	assert.Equal(t, int64(0), st.CacheErrors)
}

func TestCachePersistsAcrossClients(t *testing.T) {
	vs := &validatorServer{body: "<feed>persisted</feed>"}
	srv := newServer(t, vs)
	path := filepath.Join(t.TempDir(), "sub", "http.db")

	c1, err := New(Options{CachePath: path})
	require.NoError(t, err)
	_, err = c1.Get(context.Background(), Request{URL: srv.URL + "/feed"})
	require.NoError(t, err)
	require.NoError(t, c1.Close())

	c2 := newClient(t, Options{CachePath: path})
	resp, err := c2.Get(context.Background(), Request{URL: srv.URL + "/feed"})
	require.NoError(t, err)
	assert.True(t, resp.FromCache)
	assert.Equal(t, "<feed>persisted</feed>", string(resp.Body))
	assert.Equal(t, int32(1), vs.status304.Load())
}

func TestCacheConcurrentClients(t *testing.T) {
	// Two clients (standing in for two processes) share one file from many
	// goroutines; every fetch succeeds and no cache error surfaces.
	vs := &validatorServer{body: "<feed>shared</feed>"}
	srv := newServer(t, vs)
	path := filepath.Join(t.TempDir(), "http.db")
	clients := []*Client{
		newClient(t, Options{CachePath: path, PerHostParallel: 4}),
		newClient(t, Options{CachePath: path, PerHostParallel: 4}),
	}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			resp, err := clients[i%2].Get(context.Background(), Request{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i%6)})
			if assert.NoError(t, err) {
				assert.Equal(t, "<feed>shared</feed>", string(resp.Body))
			}
		})
	}
	wg.Wait()
	for _, c := range clients {
		assert.Equal(t, int64(0), c.Stats().CacheErrors)
	}
}

func TestBrokenCacheDegrades(t *testing.T) {
	srv := newServer(t, &validatorServer{body: "<feed/>"})
	t.Run("path is a directory", func(t *testing.T) {
		c := newClient(t, Options{CachePath: t.TempDir()})
		resp, err := c.Get(context.Background(), Request{URL: srv.URL})
		require.NoError(t, err)
		assert.Equal(t, "<feed/>", string(resp.Body))
		assert.Positive(t, c.Stats().CacheErrors)
	})
	t.Run("file is not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "http.db")
		require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("garbage!"), 1000), 0o644))
		c := newClient(t, Options{CachePath: path})
		resp, err := c.Get(context.Background(), Request{URL: srv.URL})
		require.NoError(t, err)
		assert.Equal(t, "<feed/>", string(resp.Body))
		assert.Positive(t, c.Stats().CacheErrors)
	})
}

func TestDefaultCachePath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg-cache-test")
	p, err := DefaultCachePath()
	require.NoError(t, err)
	if runtime.GOOS == "linux" {
		assert.Equal(t, "/tmp/xdg-cache-test/research/http.db", p)
	}
}

func TestCachePrunesStaleEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "http.db")
	ctx := context.Background()
	ca, err := openCache(path)
	require.NoError(t, err)
	require.NoError(t, ca.put(ctx, "http://h/old", &cacheEntry{etag: `"a"`, body: []byte("old")}))
	require.NoError(t, ca.put(ctx, "http://h/new", &cacheEntry{etag: `"b"`, body: []byte("new")}))
	_, err = ca.db.ExecContext(ctx, `UPDATE http_cache SET checked_at = ? WHERE url = ?`,
		time.Now().Add(-cacheMaxAge-time.Hour).Unix(), "http://h/old")
	require.NoError(t, err)
	require.NoError(t, ca.close())

	ca, err = openCache(path)
	require.NoError(t, err)
	defer ca.close()
	old, err := ca.get(ctx, "http://h/old")
	require.NoError(t, err)
	assert.Nil(t, old)
	kept, err := ca.get(ctx, "http://h/new")
	require.NoError(t, err)
	require.NotNil(t, kept)
	assert.Equal(t, "new", string(kept.body))
}

// TestCacheSharedBetweenProcesses runs this test binary a second time as a
// child process (the helper-process pattern): parent and child fetch through
// the same cache file at the same time, as two `research` runs would.
func TestCacheSharedBetweenProcesses(t *testing.T) {
	if os.Getenv("FETCH_HELPER_CACHE") != "" {
		return // the child's work is done by TestHelperProcessFetch
	}
	vs := &validatorServer{body: "<feed>two processes</feed>"}
	srv := newServer(t, vs)
	path := filepath.Join(t.TempDir(), "http.db")

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessFetch$")
	cmd.Env = append(os.Environ(), "FETCH_HELPER_CACHE="+path, "FETCH_HELPER_URL="+srv.URL)
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	require.NoError(t, cmd.Start())

	c := newClient(t, Options{CachePath: path, PerHostParallel: 4})
	for i := range 30 {
		resp, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i%5)})
		require.NoError(t, err)
		assert.Equal(t, "<feed>two processes</feed>", string(resp.Body))
	}
	require.NoError(t, cmd.Wait(), "child: %s", childOut.String())
	assert.Equal(t, int64(0), c.Stats().CacheErrors)
	assert.Contains(t, childOut.String(), "child cache errors: 0")
	assert.Positive(t, vs.status304.Load())
}

func TestHelperProcessFetch(t *testing.T) {
	path, base := os.Getenv("FETCH_HELPER_CACHE"), os.Getenv("FETCH_HELPER_URL")
	if path == "" {
		t.Skip("only runs as the child of TestCacheSharedBetweenProcesses")
	}
	c := newClient(t, Options{CachePath: path, PerHostParallel: 4})
	for i := range 30 {
		resp, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/feed/%d", base, i%5)})
		require.NoError(t, err)
		require.Equal(t, "<feed>two processes</feed>", string(resp.Body))
	}
	fmt.Printf("child cache errors: %d\n", c.Stats().CacheErrors)
}
