package text

import (
	"testing"

	"github.com/research-cli/research/analysis/synth"
)

func BenchmarkTokenize(b *testing.B) {
	req := synth.Request(500, 5000, 1, "")
	total := 0
	for _, a := range req.Articles {
		total += len(a.Content)
	}
	b.SetBytes(int64(total))
	for b.Loop() {
		an := NewAnalyzer()
		var buf []Token
		for _, a := range req.Articles {
			buf = an.Tokenize(English, a.Content, buf[:0])
		}
	}
}

// BenchmarkTokenizeSmallCold is a small request's tokenizing: a new
// Analyzer (cold caches) over 10 articles of ~5 KB, every field.
func BenchmarkTokenizeSmallCold(b *testing.B) {
	req := synth.Request(10, 5000, 1, "")
	total := 0
	for _, a := range req.Articles {
		total += len(a.Title) + len(a.Summary) + len(a.Content)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	var buf []Token
	for b.Loop() {
		an := NewAnalyzer()
		for _, a := range req.Articles {
			for _, s := range []string{a.Title, a.Summary, a.Content} {
				buf = an.Tokenize(English, s, buf[:0])
			}
		}
	}
}
