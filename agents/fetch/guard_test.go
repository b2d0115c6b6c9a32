package fetch

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrivateReason(t *testing.T) {
	cases := []struct {
		addr    string
		private bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.2", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"100.64.0.1", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"198.18.0.1", true},
		{"::1", true},
		{"::", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.2", true},
		{"::ffff:10.0.0.1", true},
		{"64:ff9b::7f00:1", true}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::", true},   // 6to4 of 127.0.0.1
		{"::127.0.0.1", true},     // IPv4-compatible
		{"fec0::1", true},         // site-local
		{"93.184.215.14", false},  // a public address
		{"2606:4700::6810:84e5", false},
		{"::ffff:93.184.215.14", false},
		{"64:ff9b::5db8:d70e", false}, // NAT64 of a public address
		{"172.32.0.1", false},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			ip, err := netip.ParseAddr(tc.addr)
			require.NoError(t, err)
			why := privateReason(ip)
			if tc.private {
				assert.NotEmpty(t, why)
			} else {
				assert.Empty(t, why)
			}
		})
	}
}

func TestLiteralAddr(t *testing.T) {
	cases := []struct {
		host string
		want string // "" = not a literal
	}{
		{"127.0.0.2", "127.0.0.2"},
		{"2130706434", "127.0.0.2"},
		{"0177.0.0.2", "127.0.0.2"},
		{"0x7f.0.0.2", "127.0.0.2"},
		{"0x7f000002", "127.0.0.2"},
		{"127.2", "127.0.0.2"},
		{"127.0.2", "127.0.0.2"},
		{"017700000002", "127.0.0.2"},
		{"[::ffff:127.0.0.2]", "::ffff:127.0.0.2"},
		{"::1", "::1"},
		{"example.org", ""},
		{"1.example", ""},
		{"256.0.0.1", ""},
		{"1.2.3.4.5", ""},
		{"4294967296", ""},
		{"", ""},
		{"..", ""},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			ip, ok := literalAddr(tc.host)
			if tc.want == "" {
				assert.False(t, ok, "got %s", ip)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, ip.String())
		})
	}
}

// listenOn starts a server on addr ("127.0.0.2:0"), counting its requests.
func listenOn(t *testing.T, addr string, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

func secretHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "the admin secret")
	})
}

// TestPrivateLinksBlocked: a source on 127.0.0.1 whose content links point at
// other loopback addresses, in every spelling, directly and through redirects.
func TestPrivateLinksBlocked(t *testing.T) {
	secret, secretHits := listenOn(t, "127.0.0.2:0", secretHandler())
	secretPort := secret.Listener.Addr().(*net.TCPAddr).Port
	localSecret, localHits := listenOn(t, "127.0.0.1:0", secretHandler())
	localPort := localSecret.Listener.Addr().(*net.TCPAddr).Port
	sp := func(host string) string {
		return "http://" + net.JoinHostPort(host, itoa(secretPort)) + "/admin/secret"
	}

	var source *httptest.Server
	source, _ = listenOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-secret":
			http.Redirect(w, r, sp("127.0.0.2"), http.StatusFound)
		case "/to-localhost":
			http.Redirect(w, r, "http://localhost:"+itoa(localPort)+"/secret", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/to-gopher":
			http.Redirect(w, r, "gopher://127.0.0.2:70/", http.StatusMovedPermanently)
		case "/hop":
			http.Redirect(w, r, "/to-secret", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "a page of the source's own site")
		}
	}))
	origin := source.URL + "/feed.xml"

	c := newClient(t, Options{MaxRetries: -1})
	cases := []struct {
		name string
		url  string
	}{
		{"another loopback address", sp("127.0.0.2")},
		{"localhost", "http://localhost:" + itoa(localPort) + "/secret"},
		{"mapped IPv6", sp("::ffff:127.0.0.2")},
		{"decimal", sp("2130706434")},
		{"octal", sp("0177.0.0.2")},
		{"hex", sp("0x7f.0.0.2")},
		{"short form", sp("127.2")},
		{"unspecified", "http://0.0.0.0:" + itoa(localPort) + "/secret"},
		{"same host redirecting to a private address", source.URL + "/to-secret"},
		{"same host, two hops", source.URL + "/hop"},
		{"same host redirecting to localhost", source.URL + "/to-localhost"},
		{"redirect to file:", source.URL + "/to-file"},
		{"redirect to gopher:", source.URL + "/to-gopher"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Get(t.Context(), Request{URL: tc.url, ContentLink: true, Origin: origin})
			require.Error(t, err)
			assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
			assert.NotContains(t, err.Error(), "\n")
			assert.Contains(t, err.Error(), "not fetched")
		})
	}
	assert.Zero(t, secretHits.Load(), "the secret server on 127.0.0.2 was reached")
	assert.Zero(t, localHits.Load(), "the secret server behind localhost was reached")

	t.Run("message", func(t *testing.T) {
		_, err := c.Get(t.Context(), Request{URL: source.URL + "/to-secret", ContentLink: true, Origin: origin})
		require.Error(t, err)
		assert.Equal(t, source.URL+"/to-secret: not fetched (redirected to "+sp("127.0.0.2")+
			"): 127.0.0.2 is a loopback address, and links found in fetched content may not reach private networks "+
			"(http.allow_private_links allows it)", err.Error())
	})

	t.Run("same host and port as the source is trusted", func(t *testing.T) {
		resp, err := c.Get(t.Context(), Request{URL: source.URL + "/post/1", ContentLink: true, Origin: origin})
		require.NoError(t, err)
		assert.Equal(t, "a page of the source's own site", string(resp.Body))
	})

	t.Run("same address under another name is not the same host", func(t *testing.T) {
		u := strings.Replace(source.URL, "127.0.0.1", "localhost", 1) + "/post/1"
		_, err := c.Get(t.Context(), Request{URL: u, ContentLink: true, Origin: origin})
		assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
	})

	t.Run("a content link without an origin trusts nothing", func(t *testing.T) {
		_, err := c.Get(t.Context(), Request{URL: source.URL + "/post/1", ContentLink: true})
		assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
	})

	t.Run("a configured URL is trusted as written, not where it redirects", func(t *testing.T) {
		resp, err := c.Get(t.Context(), Request{URL: sp("127.0.0.2")})
		require.NoError(t, err)
		assert.Equal(t, "the admin secret", string(resp.Body))
		_, err = c.Get(t.Context(), Request{URL: source.URL + "/to-localhost"})
		assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
		assert.Zero(t, localHits.Load())
	})

	t.Run("a trusted connection is never reused by a content link", func(t *testing.T) {
		// The configured request above left an idle connection to 127.0.0.2.
		before := secretHits.Load()
		_, err := c.Get(t.Context(), Request{URL: sp("127.0.0.2"), ContentLink: true, Origin: origin})
		assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
		assert.Equal(t, before, secretHits.Load())
		// The same through a name, so the address check happens on the dial.
		viaName := "http://localhost:" + itoa(localPort) + "/secret"
		_, err = c.Get(t.Context(), Request{URL: viaName})
		require.NoError(t, err)
		hits := localHits.Load()
		_, err = c.Get(t.Context(), Request{URL: viaName, ContentLink: true, Origin: origin})
		assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
		assert.Equal(t, hits, localHits.Load())
	})

	t.Run("non-http schemes are never fetched", func(t *testing.T) {
		for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "data:text/html,hi", "gopher://127.0.0.1/"} {
			_, err := c.Get(t.Context(), Request{URL: u})
			require.Error(t, err, u)
			assert.Equal(t, KindMalformed, KindOf(err), "%s: %v", u, err)
		}
	})

	t.Run("allow_private_links lifts the guard", func(t *testing.T) {
		open := newClient(t, Options{MaxRetries: -1, AllowPrivateLinks: true})
		before := secretHits.Load()
		for _, u := range []string{sp("127.0.0.2"), sp("::ffff:127.0.0.2"), source.URL + "/to-secret"} {
			resp, err := open.Get(t.Context(), Request{URL: u, ContentLink: true, Origin: origin})
			require.NoError(t, err, u)
			assert.Equal(t, "the admin secret", string(resp.Body))
		}
		assert.Equal(t, before+3, secretHits.Load())
		_, err := open.Get(t.Context(), Request{URL: source.URL + "/to-file", ContentLink: true, Origin: origin})
		assert.Equal(t, KindBlocked, KindOf(err), "schemes stay blocked: %v", err)
	})
}

// TestPublicHostRedirectingToPrivate: a host that passes the check (here
// 127.0.0.3, declared public for the test) redirects into a private address.
func TestPublicHostRedirectingToPrivate(t *testing.T) {
	secret, secretHits := listenOn(t, "127.0.0.2:0", secretHandler())
	public, publicHits := listenOn(t, "127.0.0.3:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, secret.URL+"/admin/secret", http.StatusFound)
		case "/via-localhost":
			http.Redirect(w, r, "http://localhost:"+itoa(secret.Listener.Addr().(*net.TCPAddr).Port)+"/", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "public page")
		}
	}))
	c := newClient(t, Options{MaxRetries: -1, blockedAddr: func(ip netip.Addr) string {
		if ip == netip.MustParseAddr("127.0.0.3") {
			return ""
		}
		return privateReason(ip)
	}})
	ctx := context.Background()
	resp, err := c.Get(ctx, Request{URL: public.URL + "/page", ContentLink: true})
	require.NoError(t, err)
	assert.Equal(t, "public page", string(resp.Body))

	for _, path := range []string{"/redirect", "/via-localhost"} {
		_, err = c.Get(ctx, Request{URL: public.URL + path, ContentLink: true})
		require.Error(t, err)
		assert.Equal(t, KindBlocked, KindOf(err), "%v", err)
		assert.Contains(t, err.Error(), "(redirected to http://")
	}
	assert.Zero(t, secretHits.Load())
	assert.Equal(t, int64(3), publicHits.Load())
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzLiteralAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "2130706434", "0177.0.0.2", "0x7f.1", "[::1]", "example.org", "1.2.3.4.5", "0x", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		ip, ok := literalAddr(host)
		if !ok {
			return
		}
		require.True(t, ip.IsValid())
		if std, err := netip.ParseAddr(host); err == nil {
			assert.Equal(t, std, ip)
		}
		_ = privateReason(ip)
	})
}

// BenchmarkGuard compares a trusted request with a guarded one (a content
// link, whose host here is declared public) over loopback keep-alive
// connections, and a guarded request that is refused before any dial.
func BenchmarkGuard(b *testing.B) {
	srv := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	c := newClient(b, Options{MaxRetries: -1, PerHostParallel: 4, blockedAddr: func(ip netip.Addr) string {
		if ip == netip.MustParseAddr("127.0.0.1") {
			return ""
		}
		return privateReason(ip)
	}})
	run := func(b *testing.B, req Request, wantErr bool) {
		for b.Loop() {
			_, err := c.Get(context.Background(), req)
			if (err != nil) != wantErr {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/request")
	}
	b.Run("trusted", func(b *testing.B) { run(b, Request{URL: srv.URL + "/a"}, false) })
	b.Run("guarded", func(b *testing.B) { run(b, Request{URL: srv.URL + "/a", ContentLink: true}, false) })
	b.Run("refused", func(b *testing.B) { run(b, Request{URL: "http://127.0.0.2:9/secret", ContentLink: true}, true) })
}

func TestTrusts(t *testing.T) {
	cases := []struct {
		trusted, hop string
		want         bool
	}{
		{"intranet:80", "http://intranet/a", true},
		{"intranet:80", "http://INTRANET.:80/a", true},
		{"intranet:80", "https://intranet/a", true},  // the server upgrading its own http URL
		{"intranet:443", "http://intranet/a", false}, // never a downgrade
		{"intranet:80", "https://intranet:8443/a", false},
		{"intranet:8080", "http://intranet:8081/a", false},
		{"intranet:80", "http://intranet2/a", false},
		{"127.0.0.1:80", "http://localhost/a", false},
		{"", "http://intranet/a", false},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.hop)
		require.NoError(t, err)
		assert.Equal(t, tc.want, trusts(withTrusted(context.Background(), tc.trusted), u), "%s → %s", tc.trusted, tc.hop)
	}
}

// TestGuardBehindProxy: with a proxy in the environment, a guarded hop's host
// is resolved and checked before the request is handed to the proxy (which
// would otherwise reach the private address for us); a public one goes
// through the proxy, itself on loopback.
func TestGuardBehindProxy(t *testing.T) {
	var proxied atomic.Int64
	proxy := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1) // a forward proxy receives the absolute URL
		_, _ = io.WriteString(w, "via proxy: "+r.URL.String())
	}))
	proxyURL, err := url.Parse(proxy.URL)
	require.NoError(t, err)
	c := newClient(t, Options{MaxRetries: -1, blockedAddr: func(ip netip.Addr) string {
		if ip == netip.MustParseAddr("127.0.0.3") {
			return "" // "public" for the test
		}
		return privateReason(ip)
	}})
	c.transport.proxy = func(*http.Request) (*url.URL, error) { return proxyURL, nil }

	for _, u := range []string{"http://localhost:9/secret", "http://127.0.0.2:9/secret", "http://2130706434:9/secret"} {
		_, err := c.Get(t.Context(), Request{URL: u, ContentLink: true})
		assert.Equal(t, KindBlocked, KindOf(err), "%s: %v", u, err)
	}
	assert.Zero(t, proxied.Load(), "nothing private was handed to the proxy")

	resp, err := c.Get(t.Context(), Request{URL: "http://127.0.0.3:9/page", ContentLink: true})
	require.NoError(t, err)
	assert.Equal(t, "via proxy: http://127.0.0.3:9/page", string(resp.Body))
	assert.Equal(t, int64(1), proxied.Load())
}
