package analysis

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/research-cli/research/analysis/synth"
	"github.com/research-cli/research/models"
)

// BenchmarkAnalyze runs the whole analysis on synthetic requests. The
// narrow query ("kalo mine") makes about one article in a hundred relevant;
// the broad one (the request's two most common content words) makes most of
// them relevant, so the set's keyphrases pool candidates from every article.
func BenchmarkAnalyze(b *testing.B) {
	for _, shape := range []synth.Shape{synth.Zipf, synth.Uniform} {
		for _, n := range []int{1000, 10000} {
			req := synth.RequestShaped(n, 5000, 1, "kalo mine", shape)
			raw, err := json.Marshal(req)
			if err != nil {
				b.Fatal(err)
			}
			run := func(b *testing.B, req *models.AnalysisRequest) {
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					Analyze(req)
				}
				// CPU time is what a loaded machine distorts least (the wall
				// time includes waiting for a core).
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(n)/sec, "articles/s")
				b.ReportMetric(float64(len(raw))/1e6/sec, "MB/s")
			}
			b.Run(fmt.Sprintf("shape=%s/articles=%d", shape, n), func(b *testing.B) { run(b, req) })
			broad := *req
			broad.Query = broadQuery(req)
			b.Run(fmt.Sprintf("shape=%s/query=broad/articles=%d", shape, n), func(b *testing.B) {
				rep := Analyze(&broad)
				relevant := 0
				for _, r := range rep.Ranking {
					if r.Score > 0 {
						relevant++
					}
				}
				b.ReportMetric(float64(relevant), "relevant")
				run(b, &broad)
			})
		}
	}
}

// cpuTime is the process' user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// broadQuery returns the two most common words of five letters or more in
// the request's first 200 articles (synthetic topic and vocabulary words; the
// English function words are shorter or listed).
func broadQuery(req *models.AnalysisRequest) string {
	skip := map[string]bool{"which": true, "there": true, "would": true, "their": true, "where": true, "about": true}
	counts := map[string]int{}
	for _, a := range req.Articles[:min(200, len(req.Articles))] {
		for _, w := range strings.Fields(strings.ToLower(a.Content)) {
			w = strings.Trim(w, ".,")
			if len(w) >= 5 && !skip[w] {
				counts[w]++
			}
		}
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return strings.Join(words[:min(2, len(words))], " ")
}

// BenchmarkAnalyzeSmall is a request a person reads: the demo capture's first
// 10 articles and all 31 (real English text, so the keyphrase word kinds and
// the background table are used).
func BenchmarkAnalyzeSmall(b *testing.B) {
	raw, err := os.ReadFile("../testdata/analysis/demo-request.json")
	if err != nil {
		b.Fatal(err)
	}
	var req models.AnalysisRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10, len(req.Articles)} {
		r := req
		r.Articles = req.Articles[:n]
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) {
			for b.Loop() {
				Analyze(&r)
			}
		})
	}
}
