package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// KindBlocked is a request the client refused to send: a link taken from
// fetched content (an item's link, a page, a redirect) that resolves to a
// loopback, private, link-local or otherwise non-public address, or a hop
// whose scheme is not http(s). See docs/fetching.md, "Private addresses".
const KindBlocked ErrorKind = "blocked"

// BlockedError says why a hop was not fetched. It is the cause (Err) of a
// *Error of kind KindBlocked.
type BlockedError struct {
	// Addr is the address the hop resolved to, when the address was the reason.
	Addr netip.Addr
	// Reason is a short phrase: "a loopback address", "scheme \"file\" …".
	Reason string
}

func (e *BlockedError) Error() string {
	if e.Addr.IsValid() {
		return fmt.Sprintf("%s is %s, and links found in fetched content may not reach private networks "+
			"(http.allow_private_links allows it)", e.Addr, e.Reason)
	}
	return e.Reason
}

// nonPublic lists the IPv4 and IPv6 ranges no content link may reach, beyond
// what netip's predicates cover (RFC 6890 special-purpose registries).
var nonPublic = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
}

// embedsIPv4 are IPv6 ranges that carry an IPv4 address a gateway may reach
// (NAT64, 6to4, IPv4-compatible): the embedded address is judged too.
var embedsIPv4 = []struct {
	p   netip.Prefix
	off int // byte offset of the embedded IPv4 address
}{
	{netip.MustParsePrefix("64:ff9b::/96"), 12},
	{netip.MustParsePrefix("64:ff9b:1::/48"), 12},
	{netip.MustParsePrefix("2002::/16"), 2},
	{netip.MustParsePrefix("::/96"), 12},
}

// privateReason says why ip is not a public unicast address, or "" when it is.
func privateReason(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		if ip.Is4() {
			return "a private address"
		}
		return "a unique-local address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, r := range nonPublic {
		if r.p.Contains(ip) {
			return r.reason
		}
	}
	if ip.Is6() {
		for _, e := range embedsIPv4 {
			if e.p.Contains(ip) {
				b := ip.As16()
				v4 := netip.AddrFrom4([4]byte(b[e.off : e.off+4]))
				if why := privateReason(v4); why != "" {
					return why + " (embedded in " + ip.String() + ")"
				}
			}
		}
	}
	return ""
}

// literalAddr reads a host written as an IP address, including the forms
// inet_aton accepts and some resolvers honour (2130706434, 0177.0.0.1,
// 0x7f.1, 127.1): ok is false when host is a name.
func literalAddr(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, true
	}
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, 0, 32) // base prefix: 0x hex, 0 octal
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	// a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits), a (32 bits).
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (24 - 8*i)
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(4-len(vals)+1)) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// hostPort is a URL's host name (lower-cased, without a trailing dot) and its
// port (the scheme's default when absent): the identity of a trusted origin.
func hostPort(u *url.URL) string {
	if u == nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), port)
}

// trustKey carries, in a request's context, the host:port whose hops are
// trusted (may reach a private address). "" trusts no hop.
type trustKey struct{}

func withTrusted(ctx context.Context, hp string) context.Context {
	return context.WithValue(ctx, trustKey{}, hp)
}

// trusts says whether a hop to u may reach any address under the trusted
// host:port of ctx: the same host name and port, or the same host name
// upgraded from http (port 80) to https (port 443), as an intranet server
// redirecting its own http:// URL does.
func trusts(ctx context.Context, u *url.URL) bool {
	trusted, _ := ctx.Value(trustKey{}).(string)
	if trusted == "" {
		return false
	}
	hop := hostPort(u)
	if hop == trusted {
		return true
	}
	th, tp, err1 := net.SplitHostPort(trusted)
	hh, hp, err2 := net.SplitHostPort(hop)
	return err1 == nil && err2 == nil && th == hh && tp == "80" && hp == "443" && strings.EqualFold(u.Scheme, "https")
}

// checkScheme refuses any hop that is not http(s).
func checkScheme(u *url.URL) error {
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return &BlockedError{Reason: fmt.Sprintf("scheme %q is never fetched (only http and https)", u.Scheme)}
	}
	return nil
}

// router sends each hop of a request (the first and every redirect) through
// one of three transports:
//   - trusted: hops on the trusted host:port of the request (a configured
//     source, as written), or every hop when private links are allowed;
//   - guarded: every other hop, dialled only to public addresses, checked on
//     the IP actually dialled after resolution (so neither DNS rebinding nor a
//     redirect gets round it);
//   - proxied: a guarded hop that the environment sends through a proxy; the
//     target's addresses are resolved and checked before it is handed over.
//
// Connections are pooled per transport, so a connection opened for a trusted
// hop is never reused by a guarded one.
type router struct {
	allowPrivate bool
	trusted      *http.Transport
	guarded      *http.Transport
	proxied      *http.Transport
	proxy        func(*http.Request) (*url.URL, error)
	// blocked says why an address may not be dialled by a guarded hop ("" =
	// it may); privateReason unless a test replaces it.
	blocked  func(netip.Addr) string
	resolver *net.Resolver
}

func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req.URL); err != nil {
		return nil, err
	}
	if r.allowPrivate || trusts(req.Context(), req.URL) {
		return r.trusted.RoundTrip(req)
	}
	host := req.URL.Hostname()
	if ip, ok := literalAddr(host); ok {
		if why := r.blocked(ip.Unmap()); why != "" {
			return nil, &BlockedError{Addr: ip.Unmap(), Reason: why}
		}
	}
	if p, err := r.proxy(req); err == nil && p != nil {
		ips, err := r.resolver.LookupNetIP(req.Context(), "ip", host)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if why := r.blocked(ip.Unmap()); why != "" {
				return nil, &BlockedError{Addr: ip.Unmap(), Reason: why}
			}
		}
		return r.proxied.RoundTrip(req)
	}
	return r.guarded.RoundTrip(req)
}

// guardDial is the guarded dialer's Control hook: it runs once the address is
// resolved, for every address tried, before the connection is made.
func (r *router) guardDial(_ context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Reason: fmt.Sprintf("unreadable address %q", address)}
	}
	if why := r.blocked(ap.Addr().Unmap()); why != "" {
		return &BlockedError{Addr: ap.Addr().Unmap(), Reason: why}
	}
	return nil
}

func (r *router) CloseIdleConnections() {
	r.trusted.CloseIdleConnections()
	r.guarded.CloseIdleConnections()
	r.proxied.CloseIdleConnections()
}

// newRouter builds the client's three transports (see router), sharing one
// configuration; only the guarded one checks the addresses it dials.
func (c *Client) newRouter(opts Options) *router {
	r := &router{
		allowPrivate: opts.AllowPrivateLinks,
		proxy:        http.ProxyFromEnvironment,
		blocked:      privateReason,
		resolver:     net.DefaultResolver,
	}
	if opts.blockedAddr != nil {
		r.blocked = opts.blockedAddr
	}
	plain := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	checked := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second, ControlContext: r.guardDial}
	build := func(d *net.Dialer, proxy func(*http.Request) (*url.URL, error)) *http.Transport {
		return &http.Transport{
			Proxy: proxy,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &countingConn{Conn: conn, n: &c.stats.wire}, nil
			},
			ForceAttemptHTTP2:   true,
			TLSHandshakeTimeout: opts.TLSTimeout,
			// The response-header timeout is the client's own, per request (attempt).
			ExpectContinueTimeout:  time.Second,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    opts.PerHostParallel,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: 1 << 20,
			// We send Accept-Encoding ourselves and decode with our own caps.
			DisableCompression: true,
		}
	}
	proxy := func(req *http.Request) (*url.URL, error) { return r.proxy(req) }
	r.trusted = build(plain, proxy)
	r.guarded = build(checked, nil) // proxied hops go to r.proxied
	r.proxied = build(plain, proxy)
	return r
}
