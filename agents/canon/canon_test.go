package canon

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"already canonical", "https://example.org/post", "https://example.org/post"},
		{"case of scheme and host", "HTTPS://Example.ORG/Post", "https://example.org/Post"},
		{"default https port", "https://example.org:443/a", "https://example.org/a"},
		{"default http port", "http://example.org:80/a", "http://example.org/a"},
		{"other port kept", "http://127.0.0.1:8080/a/", "http://127.0.0.1:8080/a"},
		{"fragment dropped", "https://example.org/a#comments", "https://example.org/a"},
		{"trailing slash", "https://example.org/a/b/", "https://example.org/a/b"},
		{"root gets a slash", "https://example.org", "https://example.org/"},
		{"root slash kept", "https://example.org/", "https://example.org/"},
		{"utm removed", "https://example.org/a?utm_source=hn&utm_medium=rss", "https://example.org/a"},
		{"tracking mixed", "https://example.org/a?id=3&fbclid=xyz&gclid=1&ref=hn", "https://example.org/a?id=3"},
		{"query sorted", "https://example.org/a?b=2&a=1&c=3", "https://example.org/a?a=1&b=2&c=3"},
		{"equal keys keep order", "https://example.org/a?t=2&t=1", "https://example.org/a?t=2&t=1"},
		{"encoding kept", "https://example.org/search?q=a%20b&UTM_Campaign=x", "https://example.org/search?q=a%20b"},
		{"escaped path kept", "https://example.org/wiki/C%2B%2B/", "https://example.org/wiki/C%2B%2B"},
		{"user info dropped", "https://bob:pw@example.org/x", "https://example.org/x"},
		{"empty query", "https://example.org/x?", "https://example.org/x"},
		{"not http", "mailto:someone@example.org", "mailto:someone@example.org"},
		{"relative", "/just/a/path", "/just/a/path"},
		{"garbage", "  ht tp://%zz  ", "ht tp://%zz"},
		{"ipv6", "http://[::1]:80/x", "http://[::1]/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := URL(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, URL(got), "canonical form must be a fixed point")
		})
	}
}

func TestURLDuplicatesMeet(t *testing.T) {
	a := URL("https://Blog.Example.org:443/2026/11/sparse-attention/?utm_source=hackernews#top")
	b := URL("https://blog.example.org/2026/11/sparse-attention")
	assert.Equal(t, a, b)
	assert.Equal(t, ID(a), ID(b))
}

func TestID(t *testing.T) {
	assert.Len(t, ID("x"), 16)
	assert.Equal(t, ID("a", "b"), ID("a", "b"))
	assert.NotEqual(t, ID("ab"), ID("a", "b"), "parts are separated")
	assert.NotEqual(t, ID("a"), ID("b"))
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "  hello \n  world ", "hello world"},
		{"plain paragraphs", "one\n\n\ntwo  three", "one\n\ntwo three"},
		{"entities", "Fish &amp; chips&nbsp;today &lt;3", "Fish & chips today <3"},
		{"paragraphs", "<p>First <b>bold</b> para.</p><p>Second\n para.</p>", "First bold para.\n\nSecond para."},
		{"script dropped", "<p>keep</p><script>alert(1)</script><style>p{}</style>", "keep"},
		{"double br", "line one<br>still one<br/><br/>two", "line one still one\n\ntwo"},
		{"lists", "<ul><li>a</li><li>b</li></ul>tail", "a\n\nb\n\ntail"},
		{"inline only", "a <a href='x'>link</a> b", "a link b"},
		{"empty", "", ""},
		{"only tags", "<div><p></p></div>", ""},
		{"unclosed", "<p>broken <i>markup", "broken markup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Text(tc.in))
		})
	}
}

func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://example.org/a?utm_source=x&b=1#f", "http://[::1]:80/", "%", "https://a/b/../c/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		if again := URL(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"<p>a</p><p>b</p>", "a<br><br>b", "&nbsp;&amp;", "<script>x</script>y", "plain\n\n\ntext"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if strings.Contains(got, "\n\n\n") || strings.TrimSpace(got) != got {
			t.Fatalf("Text(%q) = %q: not collapsed", s, got)
		}
	})
}
