package canon

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// hostile are the strings a review found passing through to the terminal.
var hostile = []struct{ name, in, want string }{
	{"clear screen CSI", "Breaking\u001b[2J news", "Breaking news"},
	{"cursor home and erase", "a\u001b[H\u001b[2Jb", "ab"},
	{"SGR colour", "\u001b[31mred\u001b[0m text", "red text"},
	{"OSC title BEL", "title\u001b]0;pwned\u0007 here", "title here"},
	{"OSC title ST", "x\u001b]2;pwned\u001b\\y", "xy"},
	{"OSC 8 hyperlink", "\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007", "click"},
	{"C1 CSI", "a\u009b2Jb", "ab"},
	{"C1 CSI alone", "\u009b", ""},
	{"C1 CSI before non-ASCII", "a\u009bé", "aé"},
	{"C1 OSC", "a\u009d0;pwned\u009cb", "ab"},
	{"lone C1 controls", "a\u0085b\u009fc", "abc"},
	{"DEL", "del\u007fete", "delete"},
	{"NUL and BEL", "a\u0000b\u0007c", "abc"},
	{"backspace fake", "safe\u0008\u0008\u0008\u0008evil", "safeevil"},
	{"two-byte ESC", "a\u001bcb", "ab"},
	{"charset ESC ( B", "a\u001b(Bb", "ab"},
	{"unterminated OSC keeps text", "a\u001b]0;rest of the article", "a0;rest of the article"},
	{"trailing ESC", "abc\u001b", "abc"},
	{"tab and newline kept", "a\tb\nc", "a\tb\nc"},
	{"CR LF", "a\r\nb\rc", "a\nb\nc"},
	{"invalid UTF-8 byte 0x9b", "a\x9b2Jb", "a\uFFFD2Jb"},
	{"non-ASCII kept", "Zürich — 東京 ›", "Zürich — 東京 ›"},
	{"plain", "nothing to do", "nothing to do"},
}

func TestStripControls(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			got := StripControls(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, StripControls(got), "must be a fixed point")
			assertNoControls(t, got)
		})
	}
}

// Text and Collapse (and so every agent's titles, authors and summaries) run
// the same strings through StripControls.
func TestTextAndCollapseStripControls(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ESC in HTML title", "<b>Big</b>\u001b[2J news", "Big news"},
		{"OSC in paragraph", "<p>one\u001b]0;pwned\u0007</p><p>two</p>", "one\n\ntwo"},
		{"C1 CSI in text", "plain \u009b31m text", "plain text"},
		{"DEL in entity text", "Fish &amp; chips\u007f", "Fish & chips"},
		{"entity decoding to ESC", "a&#27;[2Jb", "ab"},
		{"entity decoding to BEL", "a&#7;b &#x1b;[0mc", "ab c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Text(tc.in)
			assert.Equal(t, tc.want, got)
			assertNoControls(t, got)
		})
	}
	for _, tc := range hostile {
		t.Run("collapse/"+tc.name, func(t *testing.T) {
			assertNoControls(t, Collapse(tc.in))
			assertNoControls(t, Text(tc.in))
		})
	}
}

func assertNoControls(t *testing.T, s string) {
	t.Helper()
	assert.True(t, utf8.ValidString(s), "invalid UTF-8 in %q", s)
	for _, r := range s {
		if isControl(r) {
			t.Errorf("control %U left in %q", r, s)
		}
	}
	assert.NotContains(t, s, "\u001b")
}

func FuzzStripControls(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := StripControls(s)
		if again := StripControls(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if !utf8.ValidString(got) || strings.ContainsFunc(got, isControl) {
			t.Fatalf("StripControls(%q) = %q still has controls", s, got)
		}
	})
}
