// Package fetch is the one HTTP client every agent uses: user agent, timeouts,
// body cap, conditional GET, per-host politeness, retries and charset handling.
//
// See docs/fetching.md for what it guarantees and how its errors read.
package fetch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// UserAgent names the project to the servers it talks to.
const UserAgent = "research/0.1 (+https://github.com/research-cli/research)"

// ProjectURL is where the project lives: the User-Agent's contact by default.
const ProjectURL = "https://github.com/research-cli/research"

// UserAgentFor is the User-Agent of research version, in the form Wikimedia's
// User-Agent policy asks of every client (name/version (contact) library):
// "research/0.1.0 (https://github.com/research-cli/research; ops@example.org)
// Go-http-client". contact is an e-mail address or URL where the operator can
// be reached; "" leaves only the project's URL.
func UserAgentFor(version, contact string) string {
	info := ProjectURL
	if c := strings.TrimSpace(contact); c != "" {
		info += "; " + c
	}
	return "research/" + version + " (" + info + ") Go-http-client"
}

// Accept headers for the kinds of documents agents ask for.
const (
	AcceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
	AcceptHTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
	AcceptJSON = "application/json"
	AcceptAtom = "application/atom+xml, application/xml;q=0.9"
)

// Defaults used when an Options field is zero.
const (
	DefaultMaxBodyBytes    = 15 << 20
	DefaultDialTimeout     = 5 * time.Second
	DefaultTLSTimeout      = 5 * time.Second
	DefaultHeaderTimeout   = 10 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultMaxRedirects    = 5
	DefaultPerHostParallel = 2
	DefaultMaxRetries      = 2
	DefaultRetryBaseDelay  = 500 * time.Millisecond
	DefaultRetryMaxDelay   = 10 * time.Second
)

// Options configure a Client. Zero values mean the defaults.
type Options struct {
	UserAgent       string
	MaxBodyBytes    int64         // cap on the body, compressed and decompressed; default 15 MiB
	DialTimeout     time.Duration // default 5s
	TLSTimeout      time.Duration // default 5s
	HeaderTimeout   time.Duration // from request written to response headers read, default 10s
	RequestTimeout  time.Duration // overall per Get, all attempts and waits included, default 30s
	MaxRedirects    int           // default 5
	PerHostParallel int           // concurrent requests per host, default 2
	PerHostInterval time.Duration // minimum gap between request starts to one host, default 0
	MaxRetries      int           // retries of transient failures, default 2; negative = never retry
	// CachePath is the SQLite file remembering validators and bodies; "" disables the cache.
	CachePath string

	// RetryBaseDelay is the first backoff delay (default 500ms); later ones grow
	// 1.5× with ±50% jitter up to RetryMaxDelay (default 10s).
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// Logger receives warnings the caller need not act on (a broken cache);
	// nil discards them.
	Logger *slog.Logger

	// AllowPrivateLinks lets links taken from fetched content (Request.ContentLink,
	// and redirects off the trusted host) reach loopback, private, link-local and
	// other non-public addresses. Off by default: see docs/fetching.md.
	AllowPrivateLinks bool

	// blockedAddr replaces the test of which addresses a guarded hop may not
	// dial (tests make a loopback address count as public).
	blockedAddr func(netip.Addr) string
}

// Request is one GET.
type Request struct {
	URL    string
	Accept string // sent as is; "*/*" when empty
	// MinInterval overrides the per-host minimum interval for this host (arXiv
	// asks for 3s). The override sticks to the host for the Client's lifetime.
	MinInterval time.Duration
	// AllowEmpty accepts a 200 with an empty body instead of failing with KindEmpty.
	AllowEmpty bool
	// NoCache skips the conditional GET and the cache for this request.
	NoCache bool
	// MaxBytes, when positive and below Options.MaxBodyBytes, is this
	// request's body cap (compressed and decompressed), for documents that
	// need far less room than the client's cap (an article page next to a
	// feed). A larger value cannot raise the client's cap.
	MaxBytes int64

	// ContentLink marks URL as a link taken from fetched content (a feed item's
	// link, a search hit's URL) rather than one the user configured. Without
	// it, URL is trusted as written: it and every redirect hop on its host and
	// port may reach any address, while hops on other hosts are treated as
	// content links. A content link's hops may reach only public addresses,
	// except those on Origin's host and port, unless Options.AllowPrivateLinks.
	ContentLink bool
	// Origin is the URL of the configured source a content link came from
	// (a feed's URL): its host and port, as written, stay trusted.
	Origin string
	// HeaderTimeout, when positive, replaces Options.HeaderTimeout for this
	// request: a service known to stall before answering (arXiv, throttling)
	// gets longer, still within the request's deadline.
	HeaderTimeout time.Duration
}

// trustedHost is the host:port whose hops may reach any address: the request's
// own for a URL the user wrote, its Origin's for a content link.
func (req Request) trustedHost(u *url.URL) string {
	if !req.ContentLink {
		return hostPort(u)
	}
	if req.Origin == "" {
		return ""
	}
	o, err := url.Parse(req.Origin)
	if err != nil {
		return ""
	}
	return hostPort(o)
}

// bodyLimit is the body cap for req: the client's, or req.MaxBytes when smaller.
func (c *Client) bodyLimit(req Request) int64 {
	if req.MaxBytes > 0 && req.MaxBytes < c.opts.MaxBodyBytes {
		return req.MaxBytes
	}
	return c.opts.MaxBodyBytes
}

// Response is a fully read, size-capped response.
type Response struct {
	URL string // after redirects
	// Status is the HTTP status: 2xx, or 304 when FromCache.
	Status      int
	Header      http.Header
	ContentType string // from the response, or from the cache on a 304
	Body        []byte // raw bytes as served (decompressed), or the stored copy on a 304
	FromCache   bool   // a 304 reused the stored copy
	// WireBytes is what this request read from the network: the body as sent
	// (compressed) plus the status line and headers (counted as HTTP/1.1 text).
	WireBytes int64
	// Retries is how many times the request was retried before it succeeded.
	Retries int
}

// UTF8 returns the body converted to UTF-8 (see ToUTF8).
func (r *Response) UTF8() ([]byte, error) { return ToUTF8(r.Body, r.ContentType) }

// Stats are counters over a Client's lifetime.
type Stats struct {
	Requests    int64 // HTTP requests sent (each retry counts)
	Retries     int64 // retries after a transient failure
	CacheHits   int64 // 304 answers served from the cache
	CacheStores int64 // bodies written to the cache
	CacheErrors int64 // cache failures that degraded to fetching without it
	// WireBytes counts every byte read from the network by this client's
	// connections: status lines, headers, bodies as sent, TLS records.
	WireBytes int64
	// BodyBytes counts bodies handed to callers (decompressed, cache hits included).
	BodyBytes int64
	// Waited sums the time requests spent waiting for their host: a free slot,
	// the minimum interval, a Retry-After pause (not the backoff between retries).
	Waited time.Duration
}

// Client is safe for concurrent use.
type Client struct {
	opts      Options
	log       *slog.Logger
	transport *router
	http      *http.Client
	cache     *cache // nil when disabled or broken

	hostsMu sync.Mutex
	hosts   map[string]*hostState

	stats struct {
		requests, retries, cacheHits, cacheStores, cacheErrors, wire, body, waited atomic.Int64
	}
}

// New builds a Client. A cache that cannot be opened is logged and the
// client works without it: a broken cache never fails a fetch.
func New(opts Options) (*Client, error) {
	setDefaults(&opts)
	c := &Client{opts: opts, log: opts.Logger, hosts: map[string]*hostState{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.transport = c.newRouter(opts)
	c.http = &http.Client{
		Transport: c.transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > opts.MaxRedirects {
				return errTooManyRedirects
			}
			return checkScheme(req.URL)
		},
		// No Timeout: the request's context carries the overall deadline, so a
		// slow-drip body is cut by the same clock that bounds retries.
	}
	if opts.CachePath != "" {
		ca, err := openCache(opts.CachePath)
		if err != nil {
			c.stats.cacheErrors.Add(1)
			c.log.Warn("http cache disabled", "path", opts.CachePath, "err", err)
		} else {
			c.cache = ca
		}
	}
	return c, nil
}

func setDefaults(o *Options) {
	if o.UserAgent == "" {
		o.UserAgent = UserAgent
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.TLSTimeout <= 0 {
		o.TLSTimeout = DefaultTLSTimeout
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.PerHostParallel <= 0 {
		o.PerHostParallel = DefaultPerHostParallel
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay <= 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
}

// Close releases idle connections and the cache.
func (c *Client) Close() error {
	c.transport.CloseIdleConnections()
	if c.cache != nil {
		return c.cache.close()
	}
	return nil
}

// Stats returns the client's counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:    c.stats.requests.Load(),
		Retries:     c.stats.retries.Load(),
		CacheHits:   c.stats.cacheHits.Load(),
		CacheStores: c.stats.cacheStores.Load(),
		CacheErrors: c.stats.cacheErrors.Load(),
		WireBytes:   c.stats.wire.Load(),
		BodyBytes:   c.stats.body.Load(),
		Waited:      time.Duration(c.stats.waited.Load()),
	}
}

// Get fetches req.URL. It waits its turn for the host, sends a conditional
// GET when the cache holds a copy, retries transient failures with capped
// exponential backoff and jitter, and returns either a Response whose Body is
// complete and within the cap, or an *Error (see KindOf). The whole call is
// bounded by ctx and by Options.RequestTimeout.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if err == nil {
			err = errors.New("not an absolute http(s) URL")
		}
		return nil, &Error{Kind: KindMalformed, URL: req.URL, Detail: "URL", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()

	host := c.host(hostKey(u))
	var stored *cacheEntry
	if c.cache != nil && !req.NoCache {
		stored, err = c.cache.get(ctx, req.URL)
		if err != nil {
			c.cacheFailed("read", req.URL, err)
			stored = nil
		}
	}

	bo := &backoff.ExponentialBackOff{
		InitialInterval:     c.opts.RetryBaseDelay,
		RandomizationFactor: backoff.DefaultRandomizationFactor,
		Multiplier:          backoff.DefaultMultiplier,
		MaxInterval:         c.opts.RetryMaxDelay,
	}
	bo.Reset()
	var throttled *Error // the last 429 or 503, which explains a retry that then ran out of time
	for attempt := 0; ; attempt++ {
		resp, fe := c.attempt(ctx, host, req, stored)
		if fe == nil {
			resp.Retries = attempt
			return resp, nil
		}
		if fe.Status == http.StatusTooManyRequests || fe.Status == http.StatusServiceUnavailable {
			throttled = fe
		} else if throttled != nil && fe.Kind == KindTimeout {
			// A throttling service (arXiv) may stall the retry until the
			// deadline: the throttling, not a bare timeout, is why it failed.
			t := *throttled
			t.RetryAfter = 0
			t.Detail = strings.TrimSpace(t.Detail + " (then the retry timed out)")
			fe = &t
		}
		fe.Retries = attempt
		fe.Elapsed = time.Since(start)
		if !fe.retryable || attempt >= c.opts.MaxRetries || ctx.Err() != nil {
			if fe.retryable {
				fe.RetryAfter = 0 // out of attempts, not out of time: the wait is not why it failed
			}
			return nil, fe
		}
		wait := bo.NextBackOff()
		if fe.RetryAfter > wait {
			wait = fe.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			if fe.RetryAfter == 0 {
				// The backoff, not the server, is too long: a clear "gave up" is
				// better than sleeping into the deadline.
				fe.Detail = strings.TrimSpace(fe.Detail + " (no time left to retry)")
			}
			return nil, fe
		}
		fe.RetryAfter = 0 // honoured: it no longer explains a failure
		c.stats.retries.Add(1)
		c.log.Debug("retrying", "url", req.URL, "attempt", attempt+1, "wait", wait, "err", fe)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fe
		}
	}
}

// attempt sends one request, reads its body and classifies the outcome.
func (c *Client) attempt(ctx context.Context, host *hostState, req Request, stored *cacheEntry) (*Response, *Error) {
	waitStart := time.Now()
	acquired, fe := host.acquire(ctx, req.URL, c.opts.PerHostInterval, req.MinInterval)
	c.stats.waited.Add(int64(time.Since(waitStart)))
	if fe != nil {
		return nil, fe
	}
	// The host slot is given back as soon as the response is read, before any
	// cache write, so the cache never slows the next request to the host.
	release := sync.OnceFunc(acquired)
	defer release()

	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, &Error{Kind: KindMalformed, URL: req.URL, Detail: "URL", Err: err}
	}
	// The response-header timeout runs from each hop's request being written
	// to its response's headers being read (the transport's own would be one
	// value for every request).
	hdrTimeout := c.opts.HeaderTimeout
	if req.HeaderTimeout > 0 {
		hdrTimeout = req.HeaderTimeout
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var hdrMu sync.Mutex
	var hdrTimer *time.Timer
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		hdrMu.Lock()
		defer hdrMu.Unlock()
		if hdrTimer != nil {
			hdrTimer.Stop()
		}
		hdrTimer = time.AfterFunc(hdrTimeout, func() { cancel(errHeaderTimeout) })
	}}
	stopHeaderTimer := func() {
		hdrMu.Lock()
		defer hdrMu.Unlock()
		if hdrTimer != nil {
			hdrTimer.Stop()
		}
	}
	actx = httptrace.WithClientTrace(withTrusted(actx, req.trustedHost(u)), trace)
	hr, err := http.NewRequestWithContext(actx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, &Error{Kind: KindMalformed, URL: req.URL, Detail: "URL", Err: err}
	}
	hr.Header.Set("User-Agent", c.opts.UserAgent)
	accept := req.Accept
	if accept == "" {
		accept = "*/*"
	}
	hr.Header.Set("Accept", accept)
	hr.Header.Set("Accept-Encoding", "gzip, br")
	if stored != nil {
		if stored.etag != "" {
			hr.Header.Set("If-None-Match", stored.etag)
		}
		if stored.lastModified != "" {
			hr.Header.Set("If-Modified-Since", stored.lastModified)
		}
	}

	c.stats.requests.Add(1)
	resp, err := c.http.Do(hr)
	stopHeaderTimer()
	if err != nil {
		if errors.Is(context.Cause(actx), errHeaderTimeout) && ctx.Err() == nil {
			return nil, &Error{Kind: KindTimeout, URL: req.URL, Detail: "waiting for response headers", Err: err}
		}
		fe := classify(ctx, req.URL, err)
		if fe.Kind == KindRedirects {
			fe.Limit = int64(c.opts.MaxRedirects)
		}
		return nil, fe
	}
	defer resp.Body.Close()
	wire := &countingReader{r: resp.Body}
	finalURL := resp.Request.URL.String()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		if stored == nil {
			return nil, &Error{Kind: KindHTTP4xx, URL: req.URL, Status: resp.StatusCode,
				Detail: "without a conditional request"}
		}
		c.drain(wire)
		release()
		if limit := c.bodyLimit(req); int64(len(stored.body)) > limit {
			// Stored under a larger cap (another request for the same URL):
			// this request's cap still holds.
			return nil, &Error{Kind: KindTooLarge, URL: req.URL, Limit: limit, Detail: "(the stored copy)"}
		}
		// A 304 often omits Last-Modified (and sometimes the ETag): keep the stored ones.
		etag := firstNonEmpty(resp.Header.Get("ETag"), stored.etag)
		lm := firstNonEmpty(resp.Header.Get("Last-Modified"), stored.lastModified)
		if err := c.cache.touch(ctx, req.URL, etag, lm); err != nil {
			c.cacheFailed("update", req.URL, err)
		}
		c.stats.cacheHits.Add(1)
		c.stats.body.Add(int64(len(stored.body)))
		return &Response{URL: firstNonEmpty(stored.finalURL, finalURL), Status: resp.StatusCode, Header: resp.Header,
			ContentType: stored.contentType, Body: stored.body, FromCache: true,
			WireBytes: headerBytes(resp) + wire.n}, nil

	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// net/http follows every redirect it can; one that reaches here has no
		// usable Location (or is a 300 Multiple Choices): nothing to read.
		c.drain(wire)
		return nil, &Error{Kind: KindRedirects, URL: req.URL, Status: resp.StatusCode}

	case resp.StatusCode >= 400:
		prefix := errorBody(wire, resp.Header.Get("Content-Encoding"))
		c.drain(wire)
		fe := &Error{Kind: httpKind(resp.StatusCode), URL: req.URL, Status: resp.StatusCode, Body: prefix,
			ContentType: resp.Header.Get("Content-Type")}
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			fe.retryable = true
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			if ra := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ra > 0 {
				host.pause(time.Now().Add(ra), resp.StatusCode)
				fe.RetryAfter = ra
			}
		}
		return nil, fe
	}

	limit := c.bodyLimit(req)
	body, err := readBody(wire, resp.Header.Get("Content-Encoding"), resp.ContentLength, limit)
	release()
	if err != nil {
		fe := classify(ctx, req.URL, err)
		switch fe.Kind {
		case KindTooLarge:
			fe.Limit = limit
			fe.Err = nil
			if errors.Is(err, errDecodedTooLarge) {
				fe.Detail = "after decompression"
			}
		case KindTimeout, KindCanceled:
			if fe.Detail == "" {
				fe.Detail = "reading the body"
			}
		}
		return nil, fe
	}
	if len(body) == 0 && resp.StatusCode == http.StatusOK && !req.AllowEmpty {
		return nil, &Error{Kind: KindEmpty, URL: req.URL, Status: resp.StatusCode}
	}
	out := &Response{URL: finalURL, Status: resp.StatusCode, Header: resp.Header,
		ContentType: resp.Header.Get("Content-Type"), Body: body, WireBytes: headerBytes(resp) + wire.n}
	c.stats.body.Add(int64(len(body)))

	if c.cache != nil && !req.NoCache && resp.StatusCode == http.StatusOK {
		c.remember(ctx, req.URL, stored, out)
	}
	return out, nil
}

// remember stores a 200 that carries validators, and forgets a stored copy
// whose validators the server no longer sends.
func (c *Client) remember(ctx context.Context, rawURL string, stored *cacheEntry, r *Response) {
	etag, lm := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	noStore := strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-store")
	if (etag == "" && lm == "") || noStore {
		if stored != nil {
			if err := c.cache.delete(ctx, rawURL); err != nil {
				c.cacheFailed("delete", rawURL, err)
			}
		}
		return
	}
	e := &cacheEntry{etag: etag, lastModified: lm, contentType: r.ContentType, finalURL: r.URL, body: r.Body}
	if err := c.cache.put(ctx, rawURL, e); err != nil {
		c.cacheFailed("write", rawURL, err)
		return
	}
	c.stats.cacheStores.Add(1)
}

func (c *Client) cacheFailed(op, rawURL string, err error) {
	c.stats.cacheErrors.Add(1)
	c.log.Warn("http cache "+op+" failed; fetching without it", "url", rawURL, "err", err)
}

// drain reads a little of an unwanted body so the connection can be reused;
// a large one is abandoned (the connection is closed instead).
func (c *Client) drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
}

// headerBytes estimates the bytes of the status line and headers as HTTP/1.1 text.
func headerBytes(resp *http.Response) int64 {
	n := int64(len(resp.Proto) + len(resp.Status) + 4) // "HTTP/1.1 200 OK\r\n"
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4) // "K: v\r\n"
		}
	}
	return n + 2
}

// hostKey names the politeness bucket of a URL: the lower-cased host and
// its port, with the scheme's default port made explicit.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// countingConn counts bytes read from the network for Stats.WireBytes.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingReader counts the body bytes as sent (before decompression).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
