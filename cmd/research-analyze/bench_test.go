package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/research-cli/research/analysis/synth"
)

// BenchmarkRun measures the whole program minus the process: decode,
// validate, analyse, encode.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		raw, err := json.Marshal(synth.Request(n, 5000, 1, "kalo mine"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) {
			for b.Loop() {
				if code := run(nil, bytes.NewReader(raw), io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(len(raw))/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s")
		})
	}
}
