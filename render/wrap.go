package render

import (
	"strings"

	"github.com/clipperhouse/displaywidth"
)

// Width is the number of terminal columns s takes: wide (CJK) and emoji
// graphemes count two, combining marks none.
func Width(s string) int { return displaywidth.String(s) }

// minWidth is the narrowest line Wrap lays out.
const minWidth = 20

// Wrap breaks s, whitespace collapsed, into lines of at most width display
// columns (20 at least), between words only: a word wider than the line (a
// long URL) stands alone on its line, whole.
func Wrap(s string, width int) []string {
	return pack(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ", width)
}

// WrapItems lays out items joined by sep (e.g. " · ") in lines of at most
// width columns, breaking only between items, so that "17 Nov 3" or
// "arxiv 12 (of 20 fetched)" is never split; a line break replaces sep.
func WrapItems(items []string, sep string, width int) []string {
	return pack(items, sep, width)
}

// Indent prefixes the first line with first and the others with rest (both
// plain text: their width is counted by the caller when wrapping) and joins
// them, each ending in a newline.
func Indent(lines []string, first, rest string) string {
	var b strings.Builder
	for i, l := range lines {
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(rest)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// WrapIndent wraps s to width columns with a hanging indent: first before the
// first line, rest before the others (e.g. "  - " and "    "). It is the
// wrapping of the text report, for other renderers (the digest) to share.
func WrapIndent(s string, width int, first, rest string) string {
	return Indent(Wrap(s, width-max(Width(first), Width(rest))), first, rest)
}

func pack(words []string, sep string, width int) []string {
	if width < minWidth {
		width = minWidth
	}
	sepW := Width(sep)
	var lines []string
	var cur strings.Builder
	n := 0
	for _, w := range words {
		if w == "" {
			continue
		}
		w = strings.ToValidUTF8(w, "\uFFFD")
		wl := Width(w)
		if wl > width && hasWide(w) {
			// CJK text breaks between characters (UAX #14): fill the line
			// grapheme by grapheme rather than leave it overflowing.
			if cur.Len() > 0 {
				if n+sepW+2 <= width {
					cur.WriteString(sep)
					n += sepW
				} else {
					lines = append(lines, cur.String())
					cur.Reset()
					n = 0
				}
			}
			g := displaywidth.StringGraphemes(w)
			for g.Next() {
				gw := g.Width()
				if cur.Len() > 0 && n+gw > width {
					lines = append(lines, cur.String())
					cur.Reset()
					n = 0
				}
				cur.WriteString(g.Value())
				n += gw
			}
			continue
		}
		if cur.Len() > 0 && n+sepW+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		if cur.Len() > 0 {
			cur.WriteString(sep)
			n += sepW
		}
		cur.WriteString(w)
		n += wl
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// hasWide reports whether s holds a wide (two-column) grapheme.
func hasWide(s string) bool {
	g := displaywidth.StringGraphemes(s)
	for g.Next() {
		if g.Width() > 1 {
			return true
		}
	}
	return false
}

// Truncate shortens s, whitespace collapsed, to width display columns, at a
// word boundary when one is near enough, and marks the cut with an ellipsis.
// It never splits a grapheme.
func Truncate(s string, width int) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if Width(s) <= width {
		return s
	}
	if width < 1 {
		return ""
	}
	cut := displaywidth.TruncateString(s, width, "…")
	// Back up to the last space when that loses less than a third of the line.
	body := strings.TrimSuffix(cut, "…")
	if len(body) < len(s) && s[len(body)] == ' ' {
		return strings.TrimRight(body, " ") + "…"
	}
	if i := strings.LastIndexByte(body, ' '); i > 0 && Width(body[:i]) >= width*2/3 {
		return strings.TrimRight(body[:i], " ,;:·-—") + "…"
	}
	return cut
}
