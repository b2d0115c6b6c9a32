// Package canon gives articles their canonical forms: a canonical URL, so the
// same page reached through different links compares equal; a stable id
// derived from it; and plain text from the HTML that sources put in titles,
// summaries and content.
package canon

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// trackingParams are query parameters that only say where a click came from.
// The list is deliberately short: dropping a parameter that selects content
// would merge different pages, which is worse than missing a duplicate.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"igshid": true, "mc_cid": true, "mc_eid": true, "_hsenc": true, "_hsmi": true,
	"ref": true, "ref_src": true, "ref_url": true,
	"oly_anon_id": true, "oly_enc_id": true, "vero_id": true, "wt.mc_id": true, "wt_mc": true, "wt_zmc": true,
	"__s": true, "s_cid": true, "mkt_tok": true,
}

func isTracking(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// URL returns the canonical form of an absolute http(s) URL: scheme and host
// lower-cased, the default port dropped, the fragment dropped, tracking
// parameters (utm_*, fbclid, gclid, ref, …) removed, the remaining query
// parameters sorted by key (keeping their original encoding and, for equal
// keys, their order), and a trailing slash removed from any path but the root,
// which is always "/". Anything that is not an absolute http(s) URL is returned
// trimmed but otherwise unchanged.
func URL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return raw
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return raw
	}
	u.Scheme = scheme
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = strings.TrimSuffix(host, ".")
	if u.Hostname() == "" {
		return raw
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""

	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	for len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
	}

	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String()
}

// canonicalQuery filters and sorts the raw query without re-encoding it, so
// that an unusual but meaningful encoding survives.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' })
	kept := parts[:0]
	for _, p := range parts {
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if key == "" || isTracking(key) {
			continue
		}
		kept = append(kept, p)
	}
	slices.SortStableFunc(kept, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "=")
		kb, _, _ := strings.Cut(b, "=")
		return strings.Compare(ka, kb)
	})
	return strings.Join(kept, "&")
}

// ID returns a short stable identifier for the given parts (typically the
// canonical URL, or the source name and a GUID when there is no URL): the
// first 16 hex digits of the SHA-256 of the parts joined by NUL bytes.
func ID(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
