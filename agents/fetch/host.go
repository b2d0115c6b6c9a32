package fetch

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hostState is the politeness state of one host (host:port): a semaphore for
// the concurrency cap, the earliest time the next request may start, and a
// pause set by a Retry-After.
type hostState struct {
	sem chan struct{}

	mu          sync.Mutex
	next        time.Time     // earliest start of the next request
	interval    time.Duration // Request.MinInterval seen for this host; 0 = Options.PerHostInterval
	pausedUntil time.Time     // from Retry-After
	pauseStatus int           // the status that carried the Retry-After
}

func (c *Client) host(key string) *hostState {
	c.hostsMu.Lock()
	defer c.hostsMu.Unlock()
	h, ok := c.hosts[key]
	if !ok {
		h = &hostState{sem: make(chan struct{}, c.opts.PerHostParallel)}
		c.hosts[key] = h
	}
	return h
}

// acquire waits for a free slot for the host, then for the start time that
// keeps the minimum interval and any Retry-After pause. It fails at once,
// rather than sleeping into the deadline, when that start time is past the
// deadline of ctx. The returned release must be called when the request is
// done (body read).
func (h *hostState) acquire(ctx context.Context, rawURL string, defInterval, override time.Duration) (func(), *Error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		fe := classify(ctx, rawURL, ctx.Err())
		fe.Detail = "waiting for a free connection slot to the host"
		return nil, fe
	}
	release := func() { <-h.sem }

	h.mu.Lock()
	if override > 0 {
		h.interval = override
	}
	interval := defInterval
	if h.interval > 0 {
		interval = h.interval
	}
	now := time.Now()
	start := now
	if h.next.After(start) {
		start = h.next
	}
	paused := false
	if h.pausedUntil.After(start) {
		start = h.pausedUntil
		paused = true
	}
	if dl, ok := ctx.Deadline(); ok && start.After(dl) {
		status, until := h.pauseStatus, h.pausedUntil
		h.mu.Unlock()
		release()
		if paused {
			return nil, &Error{Kind: httpKind(status), URL: rawURL, Status: status, RetryAfter: until.Sub(now),
				Detail: "(earlier, from this host)"}
		}
		return nil, &Error{Kind: KindTimeout, URL: rawURL,
			Detail: fmt.Sprintf("(the %s minimum interval between requests to this host would pass the deadline)", interval)}
	}
	h.next = start.Add(interval)
	h.mu.Unlock()

	if wait := time.Until(start); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			fe := classify(ctx, rawURL, ctx.Err())
			fe.Detail = "waiting for the host's turn"
			return nil, fe
		}
	}
	return release, nil
}

// pause stops requests to the host until until (a Retry-After); a later
// pause never shortens an earlier one.
func (h *hostState) pause(until time.Time, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if until.After(h.pausedUntil) {
		h.pausedUntil = until
		h.pauseStatus = status
	}
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(365 * 24 * 3600) // guards the multiplication against overflow
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func httpKind(status int) ErrorKind {
	switch {
	case status == 429:
		return KindHTTP429
	case status >= 500:
		return KindHTTP5xx
	default:
		return KindHTTP4xx
	}
}
