package page

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzExtractHTML feeds arbitrary bytes to the extractor: it must never
// panic, must answer each input within a bounded time, and whatever it
// returns must be well formed.
func FuzzExtractHTML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pages", "*.html"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"",
		"<",
		"<html><body><p>" + strings.Repeat("a ", 300) + "</p></body></html>",
		"<article><p>" + strings.Repeat("<div>", 500) + "deep" + "</p></article>",
		`<script type="application/ld+json">{"@graph":[[[[[{"@type":["Article"],"author":[[{"name":1}]]}]]]]]}</script><p>x</p>`,
		`<time datetime="99999-99-99">x</time><meta property="article:published_time" content="yesterday">`,
		strings.Repeat("<div>", 600) + "<p>too deep</p>",
		"<pre>\n\n\t</pre><br><br><table><tr><td>a<td>b</table>",
		"\xff\xfe<\x00p\x00>\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		if len(page) > 1<<20 {
			return // the client caps bodies; a megabyte is plenty to explore the parser
		}
		start := time.Now()
		ex, err := ExtractHTML(page, "https://fuzz.example/a/b.html")
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("extraction took %v on %d bytes", d, len(page))
		}
		if err != nil {
			if ex != nil {
				t.Fatalf("error %v with a non-nil result", err)
			}
			if !errors.Is(err, ErrNoArticle) && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if len(ex.Text) > MaxTextBytes {
			t.Fatalf("text of %d bytes exceeds the cap", len(ex.Text))
		}
		if utf8.ValidString(string(page)) && !utf8.ValidString(ex.Text) {
			t.Fatalf("valid UTF-8 in, invalid text out: %q", ex.Text)
		}
		if strings.Contains(ex.Text, "\n\n\n") || ex.Text != strings.TrimSpace(ex.Text) {
			t.Fatalf("text is not in paragraphs: %q", ex.Text)
		}
		if ex.LinkDensity < 0 || ex.LinkDensity > 1 {
			t.Fatalf("link density %v", ex.LinkDensity)
		}
	})
}
