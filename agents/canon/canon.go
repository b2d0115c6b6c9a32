// Package canon gives articles their canonical forms: a canonical URL, so the
// same page reached through different links compares equal; a stable id
// derived from it; and plain text from the HTML that sources put in titles,
// summaries and content.
package canon

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/research-cli/research/internal/urlcanon"
)

// URL returns the canonical form of an absolute http(s) URL (see
// urlcanon.URL, the project's one canonicaliser); anything else is returned
// trimmed but otherwise unchanged.
func URL(raw string) string { return urlcanon.URL(raw) }

// HTTPURL returns the canonical form of raw when it is an absolute http(s)
// URL, else "": agents keep only such links, so that a javascript:, data: or
// file: link never becomes an article's URL.
func HTTPURL(raw string) string { return urlcanon.HTTP(raw) }

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
