package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/research-cli/research/analysis/synth"
)

// runSynth writes a synthetic analysis request, for benchmarks.
func runSynth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("articles", 1000, "number of articles")
	size := fs.Int("bytes", 5000, "content bytes per article")
	seed := fs.Uint64("seed", 1, "random seed")
	query := fs.String("query", "kalo mine", "the request's query")
	shapeName := fs.String("shape", "zipf", "word distribution: zipf (realistic) or uniform (worst case)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	shape, err := synth.ParseShape(*shapeName)
	if err != nil {
		fmt.Fprintf(stderr, "research-eval synth: %v\n", err)
		return 2
	}
	w := bufio.NewWriter(stdout)
	if err := json.NewEncoder(w).Encode(synth.RequestShaped(*n, *size, *seed, *query, shape)); err != nil {
		fmt.Fprintf(stderr, "research-eval synth: %v\n", err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "research-eval synth: %v\n", err)
		return 1
	}
	return 0
}
