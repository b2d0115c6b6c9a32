// Command research-analyze reads one analysis request (contract v1) from
// stdin and writes one report to stdout. Logs go to stderr. Exit status: 0
// report written, 2 invalid request (stdout empty), 1 internal failure.
package main

import (
	"os"
)

func main() {
	applyMemoryLimit(os.Getenv(memoryLimitEnv), os.Stderr)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
