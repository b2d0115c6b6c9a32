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
