// Command research-analyze reads one analysis request (contract v1) from
// stdin and writes one report to stdout. Logs go to stderr. Exit status: 0
// report written, 2 invalid request (stdout empty), 1 internal failure.
package main

import (
	"os"

	"github.com/research-cli/research/analysis/background"
	"github.com/research-cli/research/analysis/text"
)

func main() {
	applyMemoryLimit(os.Getenv(memoryLimitEnv), os.Stderr)
	// Build the text tables while the request is on its way (or, when the
	// analyzer was started ahead of it, while the run fetches).
	go func() {
		// What every request needs first; what only some need last.
		text.WarmStopWords()
		background.Embedded().Warm()
		text.Warm()
	}()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
