package deliver_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/internal/smtptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// message renders a small digest with one good link and one hostile one.
func message(t *testing.T) *deliver.Message {
	t.Helper()
	d := &digest.Digest{GeneratedAt: time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC), New: 2, Fetched: 2,
		Topics: []digest.Topic{{Topic: "sparse attention", Fetched: 2, Sources: 1, Items: []digest.Item{
			{N: 1, ID: "a1", Title: "Longformer revisited", URL: "https://arxiv.example/abs/1", Source: "arxiv", Keyphrases: []string{}},
			{N: 2, ID: "a2", Title: "Click me\n■ fake topic", URL: "javascript:alert(document.cookie)", Source: "hn", Keyphrases: []string{}},
		}}}}
	r, err := digest.Render(d)
	require.NoError(t, err)
	return &deliver.Message{Key: "0123456789abcdef0123456789abcdef", Subject: d.Subject(), CreatedAt: d.GeneratedAt,
		New: d.New, Text: r.Text, Markdown: r.Markdown, HTML: r.HTML, JSON: r.JSON}
}

// parts parses a received mail into its headers and its parts by type.
func parts(t *testing.T, raw []byte) (*mail.Message, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		ct, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		require.NoError(t, err)
		body, err := io.ReadAll(p)
		require.NoError(t, err)
		out[ct] = string(body)
	}
	return msg, out
}

func TestEmailReachesARealSMTPServer(t *testing.T) {
	tests := []struct {
		name     string
		implicit bool
		security string
		auth     string
	}{
		{"STARTTLS with AUTH PLAIN", false, deliver.SecuritySTARTTLS, "plain"},
		{"implicit TLS with AUTH LOGIN", true, deliver.SecurityTLS, "login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: tc.implicit, Username: "digest", Password: "s3cret"})
			e := &deliver.Email{TargetName: "inbox", Host: srv.Host, Port: srv.Port, Security: tc.security, Auth: tc.auth,
				Username: "digest", Password: "s3cret", From: "research@example.org", To: []string{"me@example.org"},
				TLSConfig: &tls.Config{RootCAs: srv.RootCAs}, Timeout: 20 * time.Second}
			m := message(t)
			require.NoError(t, e.Deliver(context.Background(), m))

			got := srv.Messages()
			require.Len(t, got, 1)
			assert.Equal(t, "digest", got[0].Username)
			assert.Equal(t, "research@example.org", got[0].From)
			assert.Equal(t, []string{"me@example.org"}, got[0].To)
			msg, ps := parts(t, got[0].Data)
			assert.Equal(t, "<research-digest-"+m.Key+"@example.org>", msg.Header.Get("Message-Id"), "stable per digest")
			subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			require.NoError(t, err)
			assert.Equal(t, m.Subject, subj)

			text, html := ps["text/plain"], ps["text/html"]
			require.NotEmpty(t, text, "a text part")
			require.NotEmpty(t, html, "an HTML part")
			assert.Contains(t, text, "Longformer revisited")
			assert.Contains(t, text, "https://arxiv.example/abs/1")
			assert.Contains(t, text, "Click me ■ fake topic", "the line break is gone")
			assert.NotContains(t, text, "\n■ fake topic")
			assert.NotContains(t, text, "javascript:")
			assert.Contains(t, html, `<a href="https://arxiv.example/abs/1"`)
			assert.NotContains(t, html, "javascript:")
			assert.NotContains(t, html, "<style", "mail clients drop <style>: styles are inline")
			assert.Contains(t, html, `style="`)
		})
	}
}

func TestEmailFailures(t *testing.T) {
	ctx := context.Background()
	srv := smtptest.Start(t, smtptest.Options{Username: "digest", Password: "s3cret"})
	e := &deliver.Email{TargetName: "inbox", Host: srv.Host, Port: srv.Port, Username: "digest", Password: "s3cret",
		From: "research@example.org", To: []string{"me@example.org"}, TLSConfig: &tls.Config{RootCAs: srv.RootCAs}}

	srv.FailNext(451)
	err := e.Deliver(ctx, message(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "451")
	assert.Contains(t, err.Error(), "email inbox")
	assert.Empty(t, srv.Messages())

	bad := *e
	bad.Password = "wrong"
	err = bad.Deliver(ctx, message(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "535")

	untrusted := *e
	untrusted.TLSConfig = nil // the system roots do not know the test CA
	require.Error(t, untrusted.Deliver(ctx, message(t)), "STARTTLS is mandatory and verified")

	require.NoError(t, e.Deliver(ctx, message(t)), "the next attempt goes through")
	assert.Len(t, srv.Messages(), 1)
}

// receiver is a webhook endpoint that keeps what it was sent and can fail.
type receiver struct {
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	failNext int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failNext > 0 {
		r.failNext--
		http.Error(w, "upstream \x1b[31mbroken\x1b[0m\nsecond line", http.StatusInternalServerError)
		return
	}
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
}

func TestWebhook(t *testing.T) {
	ctx := context.Background()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	m := message(t)

	w := &deliver.Webhook{TargetName: "hook", URL: srv.URL, Secret: []byte("shh"), UserAgent: "research/test"}
	require.NoError(t, w.Deliver(ctx, m))
	require.Len(t, rcv.bodies, 1)
	body, h := rcv.bodies[0], rcv.headers[0]
	assert.Equal(t, m.Key, h.Get("Idempotency-Key"))
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Equal(t, deliver.Sign([]byte("shh"), body), h.Get("X-Research-Signature"))
	assert.Regexp(t, `^sha256=[0-9a-f]{64}$`, h.Get("X-Research-Signature"))
	var d digest.Digest
	require.NoError(t, json.Unmarshal(body, &d), "the JSON digest")
	assert.Equal(t, 2, d.New)
	assert.Equal(t, "javascript:alert(document.cookie)", d.Topics[0].Items[1].URL, "JSON keeps the raw value")

	slack := &deliver.Webhook{TargetName: "chat", URL: srv.URL, Slack: true}
	require.NoError(t, slack.Deliver(ctx, m))
	var p struct {
		Text string `json:"text"`
	}
	require.NoError(t, json.Unmarshal(rcv.bodies[1], &p))
	assert.Contains(t, p.Text, "[Longformer revisited](https://arxiv.example/abs/1)")
	assert.NotContains(t, p.Text, "javascript:")
	assert.Empty(t, rcv.headers[1].Get("X-Research-Signature"), "no secret, no signature")

	rcv.failNext = 1
	err := w.Deliver(ctx, m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "500")
	assert.Contains(t, err.Error(), "upstream broken second line", "the answer, on one line, without controls")
	assert.NotContains(t, err.Error(), "\x1b")
}

func TestFileIsWrittenAtomicallyOncePerDigest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := &deliver.File{TargetName: "archive", Dir: dir, Format: "html"}
	m := message(t)
	require.NoError(t, f.Deliver(ctx, m))
	require.NoError(t, f.Deliver(ctx, m), "a retried digest replaces its own copy")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "one file per digest, no temporary file left")
	assert.Equal(t, "research-digest-2026-11-25T070000Z-0123456789abcdef.html", entries[0].Name())
	data, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	require.NoError(t, err)
	assert.Equal(t, m.HTML, string(data))

	// An interrupted delivery leaves nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	m2 := *m
	m2.Key = "fedcba9876543210fedcba9876543210"
	require.ErrorIs(t, f.Deliver(cctx, &m2), context.Canceled)
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	missing := &deliver.File{TargetName: "archive", Dir: filepath.Join(dir, "missing")}
	err = missing.Deliver(ctx, m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "file target archive")
}

func TestWriterPrintsNothingOnceInterrupted(t *testing.T) {
	var b strings.Builder
	w := &deliver.Writer{TargetName: "stdout", W: &b, Format: "markdown"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, w.Deliver(ctx, message(t)), context.Canceled)
	assert.Empty(t, b.String())
	require.NoError(t, w.Deliver(context.Background(), message(t)))
	assert.True(t, strings.HasPrefix(b.String(), "# Research digest"))
}

func TestFromConfigReadsSecretsFromTheEnvironmentOrAFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("from-file\n"), 0o600))
	loose := filepath.Join(dir, "loose")
	require.NoError(t, os.WriteFile(loose, []byte("x\n"), 0o644))
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"SMTP_PW": "from-env", "HOOK_SECRET": "shh"}[k]
		return v, ok
	}
	base := config.DigestTarget{Name: "inbox", Kind: config.TargetEmail, Host: "smtp.example.org", Username: "u",
		From: "r@example.org", To: []string{"me@example.org"}}

	withEnv := base
	withEnv.PasswordEnv = "SMTP_PW"
	withFile := base
	withFile.PasswordFile = pw
	hook := config.DigestTarget{Name: "hook", Kind: config.TargetWebhook, URL: "https://hooks.example.org/x", SecretEnv: "HOOK_SECRET"}
	ts, err := deliver.FromConfig([]config.DigestTarget{withEnv, withFile, hook}, env, "ua")
	require.NoError(t, err)
	assert.Equal(t, "from-env", ts[0].(*deliver.Email).Password)
	assert.Equal(t, "from-file", ts[1].(*deliver.Email).Password)
	assert.Equal(t, []byte("shh"), ts[2].(*deliver.Webhook).Secret)

	unset := base
	unset.PasswordEnv = "NOT_SET"
	tooOpen := base
	tooOpen.PasswordFile = loose
	_, err = deliver.FromConfig([]config.DigestTarget{unset, tooOpen}, env, "ua")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOT_SET is not set")
	assert.Contains(t, err.Error(), "readable by others")
}

func TestEmailPlainSMTPOnlyToThisMachine(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e := &deliver.Email{TargetName: "local", Host: srv.Host, Port: srv.Port, Security: deliver.SecurityNone,
		From: "research@example.org", To: []string{"me@example.org"}}
	require.NoError(t, e.Deliver(context.Background(), message(t)))
	require.Len(t, srv.Messages(), 1)

	far := *e
	far.Host = "smtp.example.org"
	err := far.Deliver(context.Background(), message(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "only for a mail server on this machine")
}
