package canon

import (
	"strings"
	"unicode/utf8"
)

// StripControls removes from s everything that lets text read off the network
// drive a terminal: escape sequences whole (CSI "ESC [ … final", the strings
// OSC "ESC ] … BEL", DCS, SOS, PM and APC up to their terminator, and the
// two-byte ESC forms), their 8-bit C1 forms (U+009B, U+009D, …), and then
// every remaining C0 control but tab and newline, DEL (U+007F) and C1 control
// (U+0080–U+009F). A carriage return becomes a newline (CR LF one newline);
// invalid UTF-8 becomes U+FFFD, so that no stray 0x9B byte survives either.
//
// Sequences are dropped whole rather than only their ESC so that a title does
// not read "[2Jpwned": the text around them is kept as it was. A string
// sequence with no terminator loses only its introducer, so a stray ESC ]
// cannot swallow the rest of an article.
func StripControls(s string) string {
	if clean(s) {
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
		case isControl(r):
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isControl reports the characters StripControls drops: C0 but tab and
// newline, DEL, and C1.
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f
}

// clean reports whether s is valid UTF-8 without anything StripControls would
// change, so that the common case allocates nothing.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			// C1 controls are encoded C2 80–C2 9F; anything else non-ASCII
			// needs a full validity check.
			if c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
				return false
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
