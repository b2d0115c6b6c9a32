package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestErrorMessages(t *testing.T) {
	const u = "https://x/feed"
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"timeout", &Error{Kind: KindTimeout, URL: u, Elapsed: 10*time.Second + 3*time.Millisecond, Err: context.DeadlineExceeded}, u + ": timeout after 10s"},
		{"timeout with detail", &Error{Kind: KindTimeout, URL: u, Elapsed: 1500 * time.Millisecond, Detail: "waiting for response headers"}, u + ": timeout after 1.5s waiting for response headers"},
		{"503 retried", &Error{Kind: KindHTTP5xx, URL: u, Status: 503, Retries: 2}, u + ": HTTP 503 Service Unavailable (retried 2 times)"},
		{"429 retried once", &Error{Kind: KindHTTP429, URL: u, Status: 429, Retries: 1}, u + ": HTTP 429 Too Many Requests (retried once)"},
		{"429 past deadline", &Error{Kind: KindHTTP429, URL: u, Status: 429, RetryAfter: 90 * time.Second}, u + ": HTTP 429 Too Many Requests; the server asks to wait 1m30s, past the deadline"},
		{"too large", &Error{Kind: KindTooLarge, URL: u, Limit: 15 << 20}, u + ": response larger than 15 MiB"},
		{"too large decompressed", &Error{Kind: KindTooLarge, URL: u, Limit: 15 << 20, Detail: "after decompression"}, u + ": response larger than 15 MiB after decompression"},
		{"redirects", &Error{Kind: KindRedirects, URL: u, Limit: 5, Err: errTooManyRedirects}, u + ": more than 5 redirects"},
		{"dns", &Error{Kind: KindDNS, URL: u, Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}, u + ": DNS lookup failed: lookup x: no such host"},
		{"refused", &Error{Kind: KindRefused, URL: u, Err: syscall.ECONNREFUSED}, u + ": connection refused"},
		{"network multi-line cause", &Error{Kind: KindNetwork, URL: u, Err: errors.New("a\nb")}, u + ": network error: a b"},
		{"empty", &Error{Kind: KindEmpty, URL: u, Status: 200}, u + ": empty response (HTTP 200 with no body)"},
		{"agent's not a feed", &Error{Kind: KindNotAFeed, URL: u, Err: errors.New("got text/html")}, u + ": not a feed: got text/html"},
		{"agent's malformed", &Error{Kind: KindMalformed, URL: u, Err: errors.New("XML syntax error on line 3")}, u + ": malformed: XML syntax error on line 3"},
		{"agent's API error without a status", &Error{Kind: KindHTTP4xx, URL: u, Err: errors.New("api error badvalue: bad srsearch")}, u + ": HTTP error: api error badvalue: bad srsearch"},
		{"no URL", &Error{Kind: KindMalformed, Err: errors.New("empty response")}, "malformed: empty response"},
		{"canceled", &Error{Kind: KindCanceled, URL: u, Err: context.Canceled}, u + ": canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.err.Error())
			assert.Equal(t, tc.err.Kind, KindOf(fmt.Errorf("fetch source: %w", tc.err)))
		})
	}
}

func TestKindOfPlainErrors(t *testing.T) {
	assert.Equal(t, KindTimeout, KindOf(fmt.Errorf("x: %w", context.DeadlineExceeded)))
	assert.Equal(t, KindCanceled, KindOf(context.Canceled))
	assert.Equal(t, ErrorKind(""), KindOf(errors.New("other")))
	assert.Equal(t, ErrorKind(""), KindOf(nil))
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	bg := context.Background()
	done, cancel := context.WithCancel(bg)
	cancel()
	cases := []struct {
		name      string
		ctx       context.Context
		err       error
		kind      ErrorKind
		retryable bool
	}{
		{"dns not found", bg, &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, KindDNS, false},
		{"dns timeout", bg, &net.DNSError{Err: "timeout", Name: "slow.example", IsTimeout: true}, KindDNS, true},
		{"dial timeout", bg, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, KindTimeout, true},
		{"read timeout", bg, &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, KindTimeout, false},
		{"refused", bg, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, KindRefused, false},
		{"reset", bg, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, KindNetwork, true},
		{"truncated", bg, io.ErrUnexpectedEOF, KindNetwork, true},
		{"server closed", bg, io.EOF, KindNetwork, true},
		{"tls by message", bg, errors.New("tls: handshake failure"), KindTLS, false},
		{"redirects", bg, fmt.Errorf("get: %w", errTooManyRedirects), KindRedirects, false},
		{"canceled context wins", done, io.ErrUnexpectedEOF, KindCanceled, false},
		{"unknown", bg, errors.New("something odd"), KindNetwork, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe := classify(tc.ctx, "http://h/", tc.err)
			assert.Equal(t, tc.kind, fe.Kind)
			assert.Equal(t, tc.retryable, fe.retryable)
		})
	}
}
