package fetch

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/internal/textsafe"
)

// Error() is a line for a terminal, and its cause can carry text the server
// chose: a TLS certificate's names (x509 quotes them raw), an agent's parser
// message. It must drive nothing: no escape sequence, control or bidi
// override, whatever the cause says.
func TestErrorMessageDrivesNoTerminal(t *testing.T) {
	const u = "https://x/feed"
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"OSC title in a TLS cause", &Error{Kind: KindTLS, URL: u,
			Err: errors.New("x509: certificate is valid for \x1b]0;pwned\x07evil.example, not x")},
			u + ": TLS failure: x509: certificate is valid for evil.example, not x"},
		{"clear screen in a malformed cause", &Error{Kind: KindMalformed, URL: u, Err: errors.New("bad \x1b[2J\x1b[Htoken")},
			u + ": malformed: bad token"},
		{"bidi override in a cause", &Error{Kind: KindNetwork, URL: u, Err: errors.New("a\u202eexe.pdf")},
			u + ": network error: aexe.pdf"},
		{"escape in an agent's detail", &Error{Kind: KindHTTP4xx, URL: u, Status: 400, Detail: "(\x1b[31mred\x1b[0m)"},
			u + ": HTTP 400 Bad Request (red)"},
		{"escape in an HTTP-error cause", &Error{Kind: KindHTTP4xx, URL: u, Status: 400, Err: errors.New("API says: \u009b2Jgone")},
			u + ": HTTP 400 Bad Request: API says: gone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.err.Error())
		})
	}
}

// A real HTTPS server whose certificate names carry an escape sequence: the
// fetch error names them, and must not carry the sequence to a terminal.
func TestTLSCertificateNamesReachNoTerminal(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evil"},
		DNSNames:  []string{"\x1b]0;pwned\x07\x1b[2Jevil.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	defer srv.Close()

	c, err := New(Options{MaxRetries: -1})
	require.NoError(t, err)
	defer c.Close()
	url := "https://localhost:" + srv.URL[strings.LastIndexByte(srv.URL, ':')+1:] + "/"
	_, err = c.Get(context.Background(), Request{URL: url})
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "evil.example", "the names are still reported")
	assert.Equal(t, textsafe.Line(msg), msg, "no escape sequence, control or line break: %q", msg)
}
