// Package fetch is the one HTTP client every agent uses: user agent, timeouts,
// body cap, conditional GET, per-host politeness, retries and charset handling.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// UserAgent names the project to the servers it talks to.
const UserAgent = "research/0.1 (+https://github.com/research-cli/research)"

// Options configure a Client. Zero values mean the defaults.
type Options struct {
	UserAgent       string
	MaxBodyBytes    int64         // default 15 MiB
	DialTimeout     time.Duration // default 5s
	TLSTimeout      time.Duration // default 5s
	HeaderTimeout   time.Duration // default 10s
	RequestTimeout  time.Duration // overall per request, default 30s
	MaxRedirects    int           // default 5
	PerHostParallel int           // concurrent requests per host, default 2
	PerHostInterval time.Duration // minimum gap between requests to one host, default 0
	MaxRetries      int           // retries of transient failures, default 2
	// CachePath is the SQLite file remembering validators and bodies; "" disables the cache.
	CachePath string
}

// Request is one GET.
type Request struct {
	URL    string
	Accept string
	// MinInterval overrides the per-host minimum interval for this host (arXiv asks for 3s).
	MinInterval time.Duration
}

// Response is a fully read, size-capped response.
type Response struct {
	URL         string // after redirects
	Status      int
	Header      http.Header
	ContentType string
	Body        []byte // raw bytes as served (decompressed)
	FromCache   bool   // a 304 reused the stored copy
	WireBytes   int64  // bytes that crossed the network for this request
}

// ErrorKind classifies a failed fetch.
type ErrorKind string

// The kinds of fetch failure.
const (
	KindTimeout   ErrorKind = "timeout"
	KindDNS       ErrorKind = "dns"
	KindTLS       ErrorKind = "tls"
	KindRefused   ErrorKind = "refused"
	KindHTTP4xx   ErrorKind = "http_4xx"
	KindHTTP429   ErrorKind = "http_429"
	KindHTTP5xx   ErrorKind = "http_5xx"
	KindTooLarge  ErrorKind = "too_large"
	KindRedirects ErrorKind = "redirects"
	KindNotAFeed  ErrorKind = "not_a_feed"
	KindMalformed ErrorKind = "malformed"
	KindNetwork   ErrorKind = "network"
)

// Error is a classified fetch error.
type Error struct {
	Kind   ErrorKind
	URL    string
	Status int
	Err    error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: HTTP %d (%s)", e.URL, e.Status, e.Kind)
	}
	return fmt.Sprintf("%s: %s: %v", e.URL, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a fetch error, or "" when err is not one.
func KindOf(err error) ErrorKind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	return ""
}

// Client is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client
}

// New builds a Client.
func New(opts Options) (*Client, error) {
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 15 << 20
	}
	return &Client{opts: opts, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Close releases the cache.
func (c *Client) Close() error { return nil }

// Get fetches req.URL.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, &Error{Kind: KindMalformed, URL: req.URL, Err: err}
	}
	hr.Header.Set("User-Agent", c.opts.UserAgent)
	if req.Accept != "" {
		hr.Header.Set("Accept", req.Accept)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, &Error{Kind: KindNetwork, URL: req.URL, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, &Error{Kind: KindNetwork, URL: req.URL, Err: err}
	}
	if int64(len(body)) > c.opts.MaxBodyBytes {
		return nil, &Error{Kind: KindTooLarge, URL: req.URL, Err: fmt.Errorf("body over %d bytes", c.opts.MaxBodyBytes)}
	}
	if resp.StatusCode >= 400 {
		k := KindHTTP4xx
		switch {
		case resp.StatusCode == 429:
			k = KindHTTP429
		case resp.StatusCode >= 500:
			k = KindHTTP5xx
		}
		return nil, &Error{Kind: k, URL: req.URL, Status: resp.StatusCode}
	}
	return &Response{URL: resp.Request.URL.String(), Status: resp.StatusCode, Header: resp.Header,
		ContentType: resp.Header.Get("Content-Type"), Body: body, WireBytes: int64(len(body))}, nil
}
