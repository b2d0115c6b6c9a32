// Command research-eval measures the analyzer on public benchmark data
// (../shared/corpus): keyphrases on Inspec, summaries on BBC News, ranking on
// Cranfield; and writes synthetic requests for performance measurements.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "synth" {
		return runSynth(args[1:], stdout, stderr)
	}
	return runEval(args, stdout, stderr)
}

func runEval(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "research-eval: evaluation not built yet")
	return 1
}
