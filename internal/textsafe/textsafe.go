// Package textsafe is the project's one sanitiser for text read off the
// network (titles, authors, URLs, error messages, feed names) on its way to a
// terminal, a document or a log line. It imports nothing of the project, so
// every package may use it: the agents at ingest, the renderers, the digest,
// the CLI's progress lines and `sources check`.
//
// Two strengths:
//   - Strip keeps line breaks (for multi-paragraph text) and removes
//     everything that can drive a terminal or reorder what is read: escape
//     sequences whole, C0 controls but tab and newline, DEL, C1 controls, and
//     the Unicode bidirectional controls; a CR becomes a newline; invalid
//     UTF-8 becomes U+FFFD.
//   - Line does the same and then folds every line break and tab into one
//     space, for text that must stay on its line (a title, an author, a URL).
//
// Neither ever splits a UTF-8 sequence; Cut shortens text on a rune boundary.
package textsafe

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Strip removes from s everything that lets text read off the network drive a
// terminal or disguise itself: escape sequences whole (CSI "ESC [ … final",
// the strings OSC "ESC ] … BEL", DCS, SOS, PM and APC up to their terminator,
// and the two-byte ESC forms), their 8-bit C1 forms (U+009B, U+009D, …), then
// every remaining C0 control but tab and newline, DEL (U+007F), C1 control
// (U+0080–U+009F) and Unicode bidi control (U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069). A carriage return becomes a newline (CR LF
// one newline); invalid UTF-8 becomes U+FFFD, so that no stray 0x9B byte
// survives either.
//
// Sequences are dropped whole rather than only their ESC so that a title does
// not read "[2Jpwned": the text around them is kept as it was. A string
// sequence with no terminator loses only its introducer, so a stray ESC ]
// cannot swallow the rest of an article.
func Strip(s string) string {
	if clean(s, false) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x1b:
			i += escLen(s[i:])
			continue
		case r == 0x9b: // C1 CSI
			i += n + csiLen(s[i+n:])
			continue
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // C1 DCS, SOS, OSC, PM, APC
			i += n + stringLen(s[i+n:])
			continue
		case r == '\r':
			if i+1 >= len(s) || s[i+1] != '\n' {
				b.WriteByte('\n')
			}
		case IsControl(r):
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Line is Strip, then every line break (LF, VT, FF, NEL, U+2028, U+2029) and
// tab becomes a space and runs of spaces become one, the ends trimmed: text
// that can neither start a new line nor drive a terminal.
func Line(s string) string {
	if clean(s, true) && !strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	// VT, FF and NEL are controls Strip would drop: make them breaks first,
	// so that the words on either side stay apart.
	s = Strip(strings.Map(func(r rune) rune {
		if r == '\v' || r == '\f' || r == 0x85 {
			return '\n'
		}
		return r
	}, s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isBreak(r) || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Cut shortens s to at most max bytes, on a rune boundary, ending it with "…"
// when it was cut (the ellipsis counts towards max). It never splits a UTF-8
// sequence; max < 4 returns "" for any string that needs cutting.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ell = "…"
	end := max - len(ell)
	if end < 0 {
		return ""
	}
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + ell
}

// WebURL reports whether u may become a link: an absolute http or https URL
// with a host and nothing that could end a link's destination early or start
// a new line (controls, line breaks, angle brackets, double quotes, backticks;
// a space is left to each renderer to escape). Everything else
// (javascript:, data:, vbscript:, file:, relative URLs) is text at most.
func WebURL(u string) bool {
	if u == "" || len(u) > 8192 || strings.ContainsAny(u, "<>\"`") || !clean(u, true) {
		return false
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Opaque != "" {
		return false
	}
	s := strings.ToLower(p.Scheme)
	return s == "http" || s == "https"
}

// IsControl reports the single characters Strip drops: C0 controls but tab
// and newline, DEL, C1 controls, and the Unicode bidi controls.
func IsControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || IsBidi(r)
}

// IsBidi reports the Unicode bidirectional formatting characters, which can
// make a terminal or a mail client show text in another order than it is
// (the "Trojan Source" trick): ALM, LRM, RLM, the embeddings and overrides
// LRE RLE PDF LRO RLO, and the isolates LRI RLI FSI PDI.
func IsBidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// isBreak reports what Line folds into a space.
func isBreak(r rune) bool {
	return r == '\n' || r == '\t' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// clean reports whether s is valid UTF-8 without anything Strip (and, with
// oneLine, Line) would change, so that the common case allocates nothing.
func clean(s string, oneLine bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && (oneLine || c != '\t' && c != '\n') || c == 0x7f {
			return false
		}
		switch c {
		case 0xc2: // C1 controls are C2 80–C2 9F (NEL, C2 85, among them)
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
				return false
			}
		case 0xd8: // U+061C is D8 9C
			if i+1 < len(s) && s[i+1] == 0x9c {
				return false
			}
		case 0xe2: // U+200E/F are E2 80 8E/8F, U+2028–U+202E E2 80 A8–AE, U+2066–9 E2 81 A6–A9
			if i+2 < len(s) {
				c1, c2 := s[i+1], s[i+2]
				if c1 == 0x80 && (c2 == 0x8e || c2 == 0x8f || c2 >= 0xa8 && c2 <= 0xae) ||
					c1 == 0x81 && c2 >= 0xa6 && c2 <= 0xa9 {
					return false
				}
			}
		}
	}
	return utf8.ValidString(s)
}

// escLen is the length of the escape sequence at the start of s (s[0] is ESC).
func escLen(s string) int {
	if len(s) < 2 {
		return 1
	}
	switch c := s[1]; {
	case c == '[':
		return 2 + csiLen(s[2:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return 2 + stringLen(s[2:])
	case c >= 0x20 && c <= 0x2f: // nF: intermediates, then one final byte
		j := 1
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
			j++
		}
		if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e {
			j++
		}
		return j
	case c >= 0x30 && c <= 0x7e: // Fp, Fe, Fs: one byte after ESC
		return 2
	}
	return 1
}

// csiLen is the length of a CSI sequence's body in s (after "ESC [" or
// U+009B): parameter bytes, intermediate bytes, and the final byte. It stops
// at the first byte that cannot belong to it, which stays text.
func csiLen(s string) int {
	j := 0
	for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f {
		j++
	}
	for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
		j++
	}
	if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e {
		j++
	}
	return j
}

// stringLen is the length of a control string's body in s, its terminator
// (BEL, ESC \ or U+009C) included; 0 when it has none.
func stringLen(s string) int {
	for j := 0; j < len(s); j++ {
		switch {
		case s[j] == 0x07:
			return j + 1
		case s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\':
			return j + 2
		case s[j] == 0xc2 && j+1 < len(s) && s[j+1] == 0x9c:
			return j + 2
		}
	}
	return 0
}
