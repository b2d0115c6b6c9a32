package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Email security modes.
const (
	// SecuritySTARTTLS connects in plain text and upgrades with STARTTLS,
	// which must succeed (port 587 by default).
	SecuritySTARTTLS = "starttls"
	// SecurityTLS is implicit TLS from the first byte (port 465 by default).
	SecurityTLS = "tls"
	// SecurityNone is plain SMTP, for a mail server on this machine only
	// (localhost, port 25 by default); the config refuses it for any other host.
	SecurityNone = "none"
)

// Email sends each digest as one message, multipart/alternative with the text
// digest and an HTML part whose styles are inline, through an SMTP server
// (github.com/wneessen/go-mail builds the MIME and speaks SMTP). The
// Message-ID derives from the digest's key, so a copy sent twice is
// recognisably the same message.
type Email struct {
	TargetName string
	Host       string
	Port       int
	// Security is SecuritySTARTTLS (the default) or SecurityTLS.
	Security string
	// Auth is "plain" (the default when Username is set), "login" or "none".
	Auth     string
	Username string
	Password string
	From     string
	To       []string
	// TLSConfig verifies the server; nil means the system roots and Host.
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// Name implements Target.
func (e *Email) Name() string { return e.TargetName }

// IsLoopback reports whether host names this machine: localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// MessageID is the Message-ID (without angle brackets) of the digest with
// key, sent from the address from: stable for the digest.
func MessageID(key, from string) string {
	domain := "research.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at+1 < len(from) {
		domain = strings.Trim(from[at+1:], "<> ")
	}
	return "research-digest-" + key + "@" + domain
}

// Build is the message Deliver sends for m.
func (e *Email) Build(m *Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(e.From); err != nil {
		return nil, fmt.Errorf("email %s: from %q: %w", e.TargetName, e.From, err)
	}
	if err := msg.To(e.To...); err != nil {
		return nil, fmt.Errorf("email %s: to: %w", e.TargetName, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(m.Key, e.From))
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetGenHeader("X-Research-Digest", m.Key)
	msg.SetUserAgent("research")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}

func (e *Email) client() (*mail.Client, error) {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tc := e.TLSConfig
	if tc == nil {
		tc = &tls.Config{}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = e.Host
	}
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithTLSConfig(tc)}
	switch e.Security {
	case SecurityTLS:
		opts = append(opts, mail.WithSSL())
	case SecuritySTARTTLS, "":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case SecurityNone:
		if !IsLoopback(e.Host) {
			return nil, fmt.Errorf("email %s: security none is only for a mail server on this machine, not %s", e.TargetName, e.Host)
		}
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("email %s: unknown security %q: use starttls, tls or none", e.TargetName, e.Security)
	}
	port := e.Port
	if port == 0 {
		switch e.Security {
		case SecurityTLS:
			port = 465
		case SecurityNone:
			port = 25
		default:
			port = 587
		}
	}
	opts = append(opts, mail.WithPort(port))
	auth := e.Auth
	if auth == "" && e.Username != "" {
		auth = "plain"
	}
	switch auth {
	case "", "none":
	case "plain":
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(e.Username), mail.WithPassword(e.Password))
	case "login":
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthLogin), mail.WithUsername(e.Username), mail.WithPassword(e.Password))
	default:
		return nil, fmt.Errorf("email %s: unknown auth %q: use plain, login or none", e.TargetName, auth)
	}
	return mail.NewClient(e.Host, opts...)
}

// Deliver implements Target.
func (e *Email) Deliver(ctx context.Context, m *Message) error {
	msg, err := e.Build(m)
	if err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return fmt.Errorf("email %s: %w", e.TargetName, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		return fmt.Errorf("email %s: via %s: %w", e.TargetName, c.ServerAddr(), err)
	}
	return nil
}
