// Package urlcanon is the project's one URL canonicaliser: the agents give
// articles canonical URLs (and ids derived from them) with URL, and the
// analysis compares articles for exact duplicates with Key, built on the same
// rules. It imports only the standard library, so that every part of the
// project, the isolated analyzer included, may use it.
package urlcanon

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
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

// IsTracking says whether a query parameter only tracks a click (utm_*, fbclid, …).
func IsTracking(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// arxivHosts are arXiv's names for its abstract pages; they all become arxiv.org.
var arxivHosts = map[string]bool{"arxiv.org": true, "www.arxiv.org": true, "export.arxiv.org": true}

// arxivPath returns an arXiv abstract or PDF path without its version and
// its ".pdf": /abs/2611.09902v1 → /abs/2611.09902, /pdf/2611.09902v2.pdf
// and /pdf/2611.09902.pdf → /pdf/2611.09902, and (on arXiv's own hosts,
// oldStyle) the old form /abs/hep-th/9901001v3 → /abs/hep-th/9901001. The
// new-style id (YYMM.NNNN[N]) is specific enough to be recognised on any
// host (mirrors, the offline fixtures). It matches by hand what the regular
// expressions in the tests (the reference) match: compiling them was a
// third of the analyzer's package initialisation.
func arxivPath(path string, oldStyle bool) (string, bool) {
	if strings.IndexByte(path, '\n') >= 0 {
		return "", false // the references' "." does not match a newline
	}
	if g, ok := cutVersion(path); ok && hasNewID(g, true) {
		return g, true
	}
	if g, ok := strings.CutSuffix(path, ".pdf"); ok && hasNewID(g, false) {
		return g, true
	}
	if g, ok := cutVersion(path); ok && oldStyle && isOldID(g) {
		return g, true
	}
	return "", false
}

// cutVersion removes "v<digits>" and an optional ".pdf" from the end of p.
func cutVersion(p string) (string, bool) {
	p = strings.TrimSuffix(p, ".pdf")
	d := trailingDigits(p)
	if d == 0 || len(p) == d || p[len(p)-d-1] != 'v' {
		return "", false
	}
	return p[:len(p)-d-1], true
}

// hasNewID reports whether p ends with /pdf/YYMM.NNNN[N] (or /abs/…, when abs).
func hasNewID(p string, abs bool) bool {
	d := trailingDigits(p)
	if d != 4 && d != 5 || len(p) < d+1 || p[len(p)-d-1] != '.' {
		return false
	}
	p = p[:len(p)-d-1]
	if trailingDigits(p) != 4 {
		return false
	}
	p = p[:len(p)-4]
	return strings.HasSuffix(p, "/pdf/") || abs && strings.HasSuffix(p, "/abs/")
}

// isOldID reports whether p is /abs/<archive>/NNNNNNN or /pdf/…, the
// archive [a-z][a-z.-]*.
func isOldID(p string) bool {
	if !strings.HasPrefix(p, "/abs/") && !strings.HasPrefix(p, "/pdf/") {
		return false
	}
	p = p[len("/abs/"):]
	if trailingDigits(p) != 7 || len(p) < 8 || p[len(p)-8] != '/' {
		return false
	}
	archive := p[:len(p)-8]
	if archive == "" || archive[0] < 'a' || archive[0] > 'z' {
		return false
	}
	for i := 1; i < len(archive); i++ {
		if c := archive[i]; !(c >= 'a' && c <= 'z' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// trailingDigits is the number of ASCII digits at the end of s.
func trailingDigits(s string) int {
	n := 0
	for n < len(s) && s[len(s)-1-n] >= '0' && s[len(s)-1-n] <= '9' {
		n++
	}
	return n
}

// URL returns the canonical form of an absolute http(s) URL:
//   - scheme and host lower-cased, a trailing dot of the host, the default port,
//     user info and the fragment dropped;
//   - in the path, percent-encoded characters that need no encoding there
//     (letters, digits, -._~ and !$'()*,:@) decoded, other escapes upper-cased,
//     so Rust_%28programming_language%29 and Rust_(programming_language) meet;
//     a trailing slash removed from any path but the root, which is always "/";
//   - tracking parameters (utm_*, fbclid, gclid, ref, …) removed, the remaining
//     query parameters sorted by key, keeping their encoding (but for escaped
//     unreserved characters, decoded) and, for equal keys, their order;
//   - arXiv abstract and PDF links without their version (/abs/2611.09902v1 →
//     /abs/2611.09902), and arXiv's own hosts as https://arxiv.org.
//
// Anything that is not an absolute http(s) URL is returned trimmed but
// otherwise unchanged (see HTTP to tell them apart). URL is idempotent.
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
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if host == "" {
		return raw
	}
	arxiv := arxivHosts[host] && port == ""
	if arxiv {
		u.Scheme, host = "https", "arxiv.org"
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.User = nil
	u.Fragment, u.RawFragment = "", ""

	path := normalizeEscapes(u.EscapedPath(), pathSafe)
	if path == "" {
		path = "/"
	}
	for len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	if p, ok := arxivPath(path, arxiv); ok {
		path = p
	}
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
	}

	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String()
}

// HTTP returns the canonical form of raw when it is an absolute http(s) URL
// with a host, else "": what an agent keeps as an article's link, so that a
// javascript:, data: or file: link never becomes one.
func HTTP(raw string) string {
	c := URL(raw)
	u, err := url.Parse(c)
	if err != nil || !(strings.HasPrefix(c, "http://") || strings.HasPrefix(c, "https://")) ||
		strings.TrimRight(u.Hostname(), ".") == "" || u.Opaque != "" {
		return ""
	}
	return c
}

// Key is the comparison key of a URL for duplicate detection: its canonical
// form without the scheme and without a leading "www.", so the http and https,
// www and bare forms of one page meet. It is "" for anything that is not an
// absolute http(s) URL.
func Key(raw string) string {
	c := HTTP(raw)
	if c == "" {
		return ""
	}
	c = c[strings.Index(c, "://")+3:]
	c = strings.TrimPrefix(c, "www.")
	if host, rest, ok := strings.Cut(c, "/"); ok && (rest == "" || strings.HasPrefix(rest, "?")) {
		c = host + rest // the root's slash adds nothing to a key
	}
	return c
}

// pathSafe are the characters a path segment may hold literally and whose
// percent-encoded form means the same (RFC 3986 unreserved, and the
// sub-delimiters no server gives a meaning to within a segment).
func pathSafe(c byte) bool {
	return unreserved(c) || strings.IndexByte("!$'()*,:@", c) >= 0
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// normalizeEscapes decodes %XX escapes of the characters safe says need no
// escaping and upper-cases the hex digits of the others. A '%' not followed by
// two hex digits is left as it is.
func normalizeEscapes(s string, safe func(byte) bool) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if safe(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(s[i+1 : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// canonicalQuery filters and sorts the raw query without re-encoding it, so
// that an unusual but meaningful encoding survives; only escaped unreserved
// characters are decoded.
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
		if strings.TrimSpace(key) == "" || IsTracking(key) {
			continue
		}
		kept = append(kept, normalizeEscapes(p, unreserved))
	}
	slices.SortStableFunc(kept, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "=")
		kb, _, _ := strings.Cut(b, "=")
		return strings.Compare(ka, kb)
	})
	// URL trims its input: a query ending in spaces would not be a fixed point.
	return strings.TrimRightFunc(strings.Join(kept, "&"), unicode.IsSpace)
}
