package textsafe

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

var stripCases = []struct{ name, in, want string }{
	{"clear screen CSI", "Breaking\u001b[2J news", "Breaking news"},
	{"SGR colour", "\u001b[31mred\u001b[0m text", "red text"},
	{"OSC title BEL", "title\u001b]0;pwned\u0007 here", "title here"},
	{"OSC 8 hyperlink", "\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007", "click"},
	{"C1 CSI", "a\u009b2Jb", "ab"},
	{"C1 OSC", "a\u009d0;pwned\u009cb", "ab"},
	{"DEL NUL BEL", "a\u007fb\u0000c\u0007d", "abcd"},
	{"unterminated OSC keeps text", "a\u001b]0;rest", "a0;rest"},
	{"tab and newline kept", "a\tb\nc", "a\tb\nc"},
	{"CR LF", "a\r\nb\rc", "a\nb\nc"},
	{"invalid UTF-8", "a\x9b2Jb", "a\uFFFD2Jb"},
	{"bidi override", "invoice\u202Egpj.exe", "invoicegpj.exe"},
	{"bidi isolates and marks", "\u2066a\u2069\u200Eb\u200F\u061Cc", "abc"},
	{"non-ASCII kept", "Zürich — 東京 ›", "Zürich — 東京 ›"},
	{"plain", "nothing to do", "nothing to do"},
}

func TestStrip(t *testing.T) {
	for _, tc := range stripCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Strip(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, Strip(got), "a fixed point")
		})
	}
}

func TestLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "A title", "A title"},
		{"LF makes no new line", "Title\n■ fake topic", "Title ■ fake topic"},
		{"CR", "a\rb", "a b"},
		{"CRLF and tabs", "a\r\n\tb", "a b"},
		{"VT FF", "a\vb\fc", "a b c"},
		{"NEL", "a\u0085b", "a b"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c"},
		{"runs of spaces", "  a   b  ", "a b"},
		{"escape then break", "x\u001b[2J\ny", "x y"},
		{"bidi", "a\u202Eb", "ab"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Line(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, Line(got), "a fixed point")
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 10, "abc"},
		{"exact", "abcdef", 6, "abcdef"},
		{"ascii", "abcdefgh", 6, "abc…"},
		{"never splits a rune", "ééééé", 7, "éé…"},
		{"cjk", "東京東京", 8, "東…"},
		{"too small", "abcdef", 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Cut(tc.in, tc.max)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, len(got), max(tc.max, len(tc.in)*0))
		})
	}
}

func TestWebURL(t *testing.T) {
	tests := []struct {
		u    string
		want bool
	}{
		{"https://example.org/a?b=c#d", true},
		{"http://example.org", true},
		{"HTTPS://EXAMPLE.ORG/", true},
		{"javascript:alert(1)", false},
		{"JavaScript:alert(1)", false},
		{" javascript:alert(1)", false},
		{"data:text/html,<script>", false},
		{"vbscript:msgbox", false},
		{"file:///etc/passwd", false},
		{"//example.org/relative", false},
		{"/relative", false},
		{"https://", false},
		{"https://example.org/a b", true}, // renderers escape the space
		{"https://example.org/a\tb", false},
		{"https://example.org/\nfake", false},
		{"https://example.org/)](javascript:x)", true}, // a valid URL; renderers escape ( and )
		{"https://example.org/<x>", false},
		{"https:example.org", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.u, func(t *testing.T) { assert.Equal(t, tc.want, WebURL(tc.u)) })
	}
}

func FuzzLine(f *testing.F) {
	for _, tc := range stripCases {
		f.Add(tc.in)
	}
	f.Add("a\u2028b\r\n\u0085c")
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Line(%q) = %q: invalid UTF-8", s, got)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return IsControl(r) || isBreak(r) }) {
			t.Fatalf("Line(%q) = %q still has a control or a break", s, got)
		}
		if Line(got) != got {
			t.Fatalf("Line is not idempotent on %q", s)
		}
		st := Strip(s)
		if strings.ContainsFunc(st, IsControl) || Strip(st) != st {
			t.Fatalf("Strip(%q) = %q", s, st)
		}
		for _, n := range []int{0, 3, 4, 5, 17} {
			c := Cut(s, n)
			if len(c) > max(n, 0) && len(s) > n || utf8.ValidString(s) && !utf8.ValidString(c) {
				t.Fatalf("Cut(%q, %d) = %q", s, n, c)
			}
		}
	})
}

func BenchmarkLineClean(b *testing.B) {
	s := strings.Repeat("An ordinary title about sparse attention ", 4)
	for b.Loop() {
		Line(s)
	}
}
