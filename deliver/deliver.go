// Package deliver hands a rendered digest to where it is read: a mailbox over
// SMTP, a webhook, a directory, or a stream (stdout). Each target delivers one
// Message or returns an error saying what went wrong; none of them retries on
// its own: the outbox (package outbox) keeps a failed digest pending and
// retries it, unchanged, on the next run. Every target identifies a digest by
// its Key, so that a copy delivered twice (the one window of the outbox, see
// docs/digests.md) is recognisable: the mail's Message-ID, the webhook's
// Idempotency-Key, the file's name.
package deliver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"time"
)

// Message is one digest, rendered in every format a target may take.
type Message struct {
	// Key identifies the digest: the same key for every attempt.
	Key       string
	Subject   string
	CreatedAt time.Time
	// New counts the articles the digest lists.
	New      int
	Text     string
	Markdown string
	// HTML has its styles inline (mail clients drop <style>).
	HTML string
	JSON string
}

// Body is m in one of the formats text, markdown, html, json.
func (m *Message) Body(format string) (string, error) {
	switch format {
	case "text", "":
		return m.Text, nil
	case "markdown", "md":
		return m.Markdown, nil
	case "html":
		return m.HTML, nil
	case "json":
		return m.JSON, nil
	}
	return "", fmt.Errorf("unknown format %q: use text, markdown, html or json", format)
}

// Target is somewhere a digest can be delivered.
type Target interface {
	// Name is the target's name in the config ("stdout" for the default).
	Name() string
	// Deliver hands m over, or says why it could not. It returns only once
	// the target has the whole message, or has nothing of it.
	Deliver(ctx context.Context, m *Message) error
}

// Writer delivers to a stream, in one format: stdout when no target is
// configured.
type Writer struct {
	TargetName string
	W          io.Writer
	Format     string
}

// Name implements Target.
func (w *Writer) Name() string { return w.TargetName }

// Deliver writes the body in one Write call, after checking ctx: an
// interrupted run prints nothing more.
func (w *Writer) Deliver(ctx context.Context, m *Message) error {
	body, err := m.Body(w.Format)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := io.WriteString(w.W, body); err != nil {
		return fmt.Errorf("write the digest: %w", err)
	}
	return nil
}

// NewKey is a fresh digest key: 128 random bits in hex, safe in a file name,
// a header and a Message-ID.
func NewKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// TestMessage is the one-line message `research digest test-delivery` sends
// to every target: not a digest, and recognisable as a test.
func TestMessage(line string, now time.Time) *Message {
	j, _ := json.Marshal(struct {
		Test bool   `json:"test"`
		Text string `json:"text"`
	}{true, line})
	return &Message{Key: "test-" + NewKey(), Subject: "research: test delivery", CreatedAt: now,
		Text: line + "\n", Markdown: line + "\n", JSON: string(j) + "\n",
		HTML: `<!doctype html><html><body style="font-family:sans-serif"><p>` + html.EscapeString(line) + "</p></body></html>\n"}
}
