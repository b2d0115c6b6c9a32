package analysis

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/research-cli/research/analysis/synth"
)

func BenchmarkAnalyze(b *testing.B) {
	for _, shape := range []synth.Shape{synth.Zipf, synth.Uniform} {
		for _, n := range []int{1000, 10000} {
			req := synth.RequestShaped(n, 5000, 1, "kalo mine", shape)
			raw, err := json.Marshal(req)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("shape=%s/articles=%d", shape, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Analyze(req)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(n)/sec, "articles/s")
				b.ReportMetric(float64(len(raw))/1e6/sec, "MB/s")
			})
		}
	}
}
