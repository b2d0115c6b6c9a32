package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/research-cli/research/internal/textsafe"
)

// ErrorKind classifies a failed fetch.
type ErrorKind string

// The kinds of fetch failure. The client produces all of them except
// KindNotAFeed and KindMalformed, which agents use for content they cannot
// read (the client uses KindMalformed only for a URL it cannot request).
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
	// KindEmpty is a 200 response with no body at all (Request.AllowEmpty turns it off).
	KindEmpty ErrorKind = "empty"
	// KindCanceled is a fetch abandoned because the caller cancelled its context.
	KindCanceled ErrorKind = "canceled"
	// KindBlocked (see guard.go) is a content link to a private address or a
	// hop with a scheme other than http(s): never sent.
)

// Error is a classified fetch error. Its Error() is one line meant for a
// person: it starts with the URL and says what went wrong, e.g.
// "https://x/feed: timeout after 10s" or
// "https://x/feed: HTTP 503 Service Unavailable (retried 2 times)".
type Error struct {
	Kind   ErrorKind
	URL    string
	Status int   // HTTP status for the http_* kinds, else 0
	Err    error // the underlying cause, may be nil

	// Retries is how many times the request was retried before giving up.
	Retries int
	// Elapsed is the time spent on the whole fetch (all attempts and waits).
	Elapsed time.Duration
	// Limit is the byte cap that was exceeded (too_large) or the redirect limit (redirects).
	Limit int64
	// RetryAfter is the wait the server asked for (Retry-After) when it made the
	// fetch fail, typically because the wait would pass the deadline.
	RetryAfter time.Duration
	// Detail adds a short explanation to the headline (e.g. "waiting for response headers").
	Detail string
	// Body is the start (at most ErrorBodyBytes, decompressed) of the body of
	// an HTTP error response, and ContentType its type, so that an agent can
	// report the service's own message (arXiv's Atom error entry, a JSON
	// problem document). Error() never prints it: it is untrusted bytes.
	Body        []byte
	ContentType string

	retryable bool
}

// Error returns a single human line naming the URL.
func (e *Error) Error() string {
	var b strings.Builder
	if e.URL != "" {
		b.WriteString(e.URL)
		b.WriteString(": ")
	}
	cause, detail := "", e.Detail
	if e.Err != nil {
		cause = oneLine(e.Err.Error())
	}
	switch e.Kind {
	case KindTimeout:
		if e.Elapsed > 0 {
			fmt.Fprintf(&b, "timeout after %s", roundDuration(e.Elapsed))
		} else {
			b.WriteString("timeout")
		}
		cause = "" // "context deadline exceeded" and the like add nothing
	case KindDNS:
		b.WriteString("DNS lookup failed")
	case KindTLS:
		b.WriteString("TLS failure")
	case KindRefused:
		b.WriteString("connection refused")
		cause = ""
	case KindHTTP4xx, KindHTTP429, KindHTTP5xx:
		if e.Status != 0 {
			fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
		} else {
			b.WriteString("HTTP error") // set by an agent from an API's own error report
		}
		if e.Detail != "" {
			b.WriteString(" ")
			b.WriteString(e.Detail)
		}
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, "; the server asks to wait %s, past the deadline", roundDuration(e.RetryAfter))
		}
		detail = "" // written above, before the Retry-After
	case KindTooLarge:
		if e.Limit > 0 {
			fmt.Fprintf(&b, "response larger than %s", humanize.IBytes(uint64(e.Limit)))
		} else {
			b.WriteString("response too large")
		}
	case KindRedirects:
		if e.Status != 0 {
			fmt.Fprintf(&b, "HTTP %d %s without a usable Location", e.Status, http.StatusText(e.Status))
		} else if e.Limit > 0 {
			fmt.Fprintf(&b, "more than %d redirects", e.Limit)
		} else {
			b.WriteString("too many redirects")
		}
		cause = ""
	case KindNetwork:
		b.WriteString("network error")
	case KindEmpty:
		b.WriteString("empty response (HTTP 200 with no body)")
	case KindCanceled:
		b.WriteString("canceled")
		cause = ""
	case KindBlocked:
		b.WriteString("not fetched")
	case KindNotAFeed:
		b.WriteString("not a feed")
	case KindMalformed:
		b.WriteString("malformed")
	default:
		b.WriteString(string(e.Kind))
	}
	if detail != "" {
		b.WriteString(" ")
		b.WriteString(detail)
	}
	if cause != "" && !strings.Contains(detail, cause) {
		b.WriteString(": ")
		b.WriteString(cause)
	}
	if e.Retries > 0 {
		if e.Retries == 1 {
			b.WriteString(" (retried once)")
		} else {
			fmt.Fprintf(&b, " (retried %d times)", e.Retries)
		}
	}
	// The cause and the detail can hold text the server chose (a TLS
	// certificate's names, which x509 quotes raw; an agent's parser message):
	// the line drives no terminal.
	return textsafe.Line(b.String())
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
	if errors.Is(err, context.Canceled) {
		return KindCanceled
	}
	return ""
}

// errTooManyRedirects is returned by CheckRedirect; classify recognises it.
var errTooManyRedirects = errors.New("too many redirects")

// errHeaderTimeout is the cause given to a request's context when its
// response headers did not arrive within the header timeout.
var errHeaderTimeout = errors.New("timeout awaiting response headers")

// errServerClosed is an EOF before any response: the server hung up.
var errServerClosed = fmt.Errorf("the server closed the connection without answering: %w", io.EOF)

// errTooLarge marks a body that went past the cap.
var errTooLarge = errors.New("body too large")

// classify turns a transport or body-read error into an *Error. ctx is the
// fetch's context: once it is done, the error is a timeout or a cancellation
// whatever the transport made of it.
func classify(ctx context.Context, rawURL string, err error) *Error {
	fe := &Error{URL: rawURL, Err: err}
	var dnsErr *net.DNSError
	var netErr net.Error
	var certInvalid x509.CertificateInvalidError
	var unknownAuth x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var verifyErr *tls.CertificateVerificationError
	var blocked *BlockedError
	switch {
	case errors.As(err, &blocked):
		fe.Kind = KindBlocked
		fe.Err = blocked
		var ue *url.Error
		if errors.As(err, &ue) && ue.URL != rawURL {
			fe.Detail = "(redirected to " + ue.URL + ")"
		}
	case errors.Is(err, errTooManyRedirects):
		fe.Kind = KindRedirects
	case errors.Is(err, errTooLarge):
		fe.Kind = KindTooLarge
	case ctx.Err() == context.Canceled:
		fe.Kind = KindCanceled
	case ctx.Err() == context.DeadlineExceeded:
		fe.Kind = KindTimeout
	case errors.As(err, &dnsErr):
		fe.Kind = KindDNS
		fe.Err = dnsErr
		// A DNS timeout or a temporary server failure may pass; NXDOMAIN will not.
		fe.retryable = dnsErr.IsTimeout || dnsErr.IsTemporary
	case errors.As(err, &certInvalid), errors.As(err, &unknownAuth), errors.As(err, &hostnameErr),
		errors.As(err, &recordErr), errors.As(err, &alertErr), errors.As(err, &verifyErr):
		fe.Kind = KindTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		fe.Kind = KindRefused
		fe.Err = syscall.ECONNREFUSED
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		fe.Kind = KindTimeout
		msg := err.Error()
		switch {
		case strings.Contains(msg, "TLS handshake timeout"):
			fe.Detail = "during the TLS handshake"
			fe.retryable = true
		case strings.Contains(msg, "awaiting response headers"):
			fe.Detail = "waiting for response headers"
		case isDialError(err):
			fe.Detail = "connecting"
			fe.retryable = true
		}
	case errors.Is(err, context.Canceled):
		fe.Kind = KindCanceled
	case errors.Is(err, io.ErrUnexpectedEOF):
		fe.Kind = KindNetwork
		fe.Detail = "(response truncated)"
		fe.retryable = true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		fe.Kind = KindNetwork
		fe.Err = syscall.ECONNRESET // the socket addresses add nothing for a person
		if errors.Is(err, syscall.EPIPE) {
			fe.Err = syscall.EPIPE
		}
		fe.retryable = true
	case errors.Is(err, io.EOF):
		fe.Kind = KindNetwork
		fe.Err = errServerClosed
		fe.retryable = true
	case strings.Contains(err.Error(), "tls: "):
		fe.Kind = KindTLS
	default:
		fe.Kind = KindNetwork
	}
	return fe
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// oneLine keeps an error message on one line and strips the "Get \"url\": "
// prefix net/http adds, since Error() already starts with the URL.
func oneLine(s string) string {
	if i := strings.Index(s, "\": "); strings.HasPrefix(s, "Get \"") && i > 0 {
		s = s[i+3:]
	}
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(10 * time.Millisecond)
	}
}

// JSONMessage is the human message of a JSON error body, as APIs write them:
// "message" (Algolia), "detail" or "title" (RFC 9457 problem documents, the
// Wikimedia REST API), "error": {"info"} or "error": "…" (MediaWiki, others).
// It returns "" when body is not such a document. The text is the server's:
// the caller sanitises it before showing it.
func JSONMessage(body []byte) string {
	var doc struct {
		Message string          `json:"message"`
		Detail  string          `json:"detail"`
		Title   string          `json:"title"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	var inner struct {
		Info    string `json:"info"`
		Message string `json:"message"`
	}
	var plain string
	switch {
	case doc.Message != "":
		return doc.Message
	case doc.Detail != "":
		return doc.Detail
	case len(doc.Error) > 0 && json.Unmarshal(doc.Error, &inner) == nil && (inner.Info != "" || inner.Message != ""):
		if inner.Info != "" {
			return inner.Info
		}
		return inner.Message
	case len(doc.Error) > 0 && json.Unmarshal(doc.Error, &plain) == nil && plain != "":
		return plain
	}
	return doc.Title
}
