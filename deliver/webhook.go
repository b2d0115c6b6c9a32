package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/research-cli/research/internal/textsafe"
)

// Webhook headers.
const (
	// HeaderIdempotencyKey carries the digest's key: the same on every attempt,
	// so a receiver that remembers keys takes each digest once.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256 of the body under
	// the shared secret, when one is configured.
	HeaderSignature = "X-Research-Signature"
)

// Webhook POSTs each digest to URL: the JSON digest, or with Slack set a
// Slack/Mattermost-compatible {"text": …} payload holding the Markdown.
// Any 2xx answer is success; anything else (3xx included: redirects are not
// followed) leaves the digest pending.
type Webhook struct {
	TargetName string
	URL        string
	// Secret, when set, signs the body (HeaderSignature).
	Secret []byte
	Slack  bool
	// Client defaults to one with Timeout and no redirects.
	Client  *http.Client
	Timeout time.Duration
	// UserAgent names the sender.
	UserAgent string
}

// Name implements Target.
func (w *Webhook) Name() string { return w.TargetName }

// Payload is the body Deliver sends for m.
func (w *Webhook) Payload(m *Message) ([]byte, error) {
	if !w.Slack {
		return []byte(m.JSON), nil
	}
	return json.Marshal(struct {
		Text string `json:"text"`
	}{slackText(m.Markdown)})
}

// slackText keeps the digest's Markdown from notifying anyone in Slack or
// Mattermost: a feed title "@channel", "@here", "@all" or "@alice" would ping
// a whole channel or a user. Every "@" that starts a word gets a zero-width
// space after it, so it reads the same and mentions nobody; an "@" inside a
// word (ops@example.org) or a path (https://host/@alice) is left alone. The
// Markdown already escapes "<" and ">", so Slack's <!channel>, <@U…> and
// <url|text> forms cannot occur.
func slackText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	prev := ' '
	for _, r := range s {
		b.WriteRune(r)
		if r == '@' && !unicode.IsLetter(prev) && !unicode.IsDigit(prev) && prev != '_' && prev != '/' && prev != '.' && prev != '-' {
			b.WriteString("\u200b")
		}
		prev = r
	}
	return b.String()
}

// Sign is the HeaderSignature value of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Deliver implements Target.
func (w *Webhook) Deliver(ctx context.Context, m *Message) error {
	body, err := w.Payload(m)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.TargetName, err)
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.TargetName, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, m.Key)
	if w.UserAgent != "" {
		req.Header.Set("User-Agent", w.UserAgent)
	}
	if len(w.Secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(w.Secret, body))
	}
	client := w.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("webhook %s: %w", w.TargetName, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("webhook %s: %s answered %s", w.TargetName, w.URL, resp.Status)
		if s := textsafe.Cut(textsafe.Line(string(snippet)), 200); s != "" {
			msg += ": " + s
		}
		return errors.New(msg)
	}
	return nil
}
