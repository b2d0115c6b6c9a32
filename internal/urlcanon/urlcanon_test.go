package urlcanon

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
		{"default ports", "http://example.org:80/a", "http://example.org/a"},
		{"other port kept", "http://127.0.0.1:8080/a/", "http://127.0.0.1:8080/a"},
		{"trailing dot of the host", "https://example.org./a", "https://example.org/a"},
		{"fragment dropped", "https://example.org/a#comments", "https://example.org/a"},
		{"root gets a slash", "https://example.org", "https://example.org/"},
		{"tracking removed, rest sorted", "https://example.org/a?utm_source=x&b=2&fbclid=1&a=1", "https://example.org/a?a=1&b=2"},
		{"percent-encoded parentheses", "https://en.wikipedia.org/wiki/Rust_%28programming_language%29", "https://en.wikipedia.org/wiki/Rust_(programming_language)"},
		{"literal parentheses", "https://en.wikipedia.org/wiki/Rust_(programming_language)", "https://en.wikipedia.org/wiki/Rust_(programming_language)"},
		{"escaped unreserved letters", "https://example.org/%7Euser/%41bc", "https://example.org/~user/Abc"},
		{"escapes that matter are kept, upper-cased", "https://example.org/wiki/C%2b%2b/a%2fb", "https://example.org/wiki/C%2B%2B/a%2Fb"},
		{"space stays escaped", "https://example.org/a%20b", "https://example.org/a%20b"},
		{"non-ASCII escaped", "https://de.wikipedia.org/wiki/Zürich", "https://de.wikipedia.org/wiki/Z%C3%BCrich"},
		{"non-ASCII already escaped", "https://de.wikipedia.org/wiki/Z%c3%bcrich", "https://de.wikipedia.org/wiki/Z%C3%BCrich"},
		{"query keeps its encoding", "https://example.org/s?q=a%20b&x=%7E", "https://example.org/s?q=a%20b&x=~"},
		{"arXiv API abstract link", "http://arxiv.org/abs/2611.09902v1", "https://arxiv.org/abs/2611.09902"},
		{"arXiv RSS abstract link", "https://arxiv.org/abs/2611.09902", "https://arxiv.org/abs/2611.09902"},
		{"arXiv export host", "https://export.arxiv.org/abs/2611.09902v3", "https://arxiv.org/abs/2611.09902"},
		{"arXiv PDF", "http://arxiv.org/pdf/2611.09902v2", "https://arxiv.org/pdf/2611.09902"},
		{"arXiv PDF with extension", "https://arxiv.org/pdf/2611.09902v2.pdf", "https://arxiv.org/pdf/2611.09902"},
		{"arXiv old-style id", "http://arxiv.org/abs/hep-th/9901001v3", "https://arxiv.org/abs/hep-th/9901001"},
		{"arXiv five-digit id", "https://arxiv.org/abs/2611.10234v12", "https://arxiv.org/abs/2611.10234"},
		{"arXiv id on a mirror", "http://127.0.0.1:8080/arxiv/abs/2611.04817v1", "http://127.0.0.1:8080/arxiv/abs/2611.04817"},
		{"other site's /abs/ path", "https://example.org/abs/hep-th/9901001v3", "https://example.org/abs/hep-th/9901001v3"},
		{"user info dropped", "https://bob:pw@example.org/x", "https://example.org/x"},
		{"not http", "mailto:someone@example.org", "mailto:someone@example.org"},
		{"javascript", "javascript:alert(1)", "javascript:alert(1)"},
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

func TestHTTP(t *testing.T) {
	for in, want := range map[string]string{
		"https://Example.org/a/":              "https://example.org/a",
		"javascript:alert(document.cookie)":   "",
		"JavaScript:alert(1)":                 "",
		"data:text/html,<script>x</script>":   "",
		"file:///etc/passwd":                  "",
		"ftp://example.org/x":                 "",
		"//example.org/protocol-relative":     "",
		"/relative":                           "",
		"http://":                             "",
		"":                                    "",
		" https://example.org/x?utm_source=a": "https://example.org/x",
	} {
		assert.Equal(t, want, HTTP(in), in)
	}
}

func TestKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://www.Example.org/a/b/?utm_source=x&id=3#frag", "example.org/a/b?id=3"},
		{"http://example.org/a/b", "example.org/a/b"},
		{"https://example.org:8443/x?b=2&a=1", "example.org:8443/x?a=1&b=2"},
		{"https://example.org/", "example.org"},
		{"https://example.org/?p=1", "example.org?p=1"},
		{"http://arxiv.org/abs/2611.09902v1", "arxiv.org/abs/2611.09902"},
		{"not a url", ""},
		{"javascript:alert(1)", ""},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, Key(tc.in))
		})
	}
	assert.Equal(t, Key("http://www.example.org/p"), Key("https://example.org/p/"), "scheme and www do not matter")
}

func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://example.org/a?utm_source=x&b=1#f", "http://[::1]:80/", "%", "https://a/b/../c/",
		"https://en.wikipedia.org/wiki/Rust_%28programming_language%29", "http://arxiv.org/pdf/2611.09902v2.pdf", "https://x/%7e?a=%7E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		if again := URL(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if h := HTTP(s); h != "" && !strings.HasPrefix(h, "http") {
			t.Fatalf("HTTP(%q) = %q", s, h)
		}
		if k := Key(s); k != Key(got) {
			t.Fatalf("Key differs between %q and its canonical form: %q vs %q", s, k, Key(got))
		}
	})
}

func BenchmarkURL(b *testing.B) {
	urls := []string{
		"https://Blog.Example.org:443/2026/11/sparse-attention/?utm_source=hackernews&id=3#top",
		"https://en.wikipedia.org/wiki/Rust_%28programming_language%29",
		"http://arxiv.org/abs/2611.09902v1",
		"https://example.org/",
	}
	for b.Loop() {
		for _, u := range urls {
			_ = URL(u)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(urls)), "ns/url")
}
