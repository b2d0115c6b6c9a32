// Command research gathers articles about a question from many sources at
// once, analyses them in an isolated child process and prints a report.
package main

import (
	"context"
	"os"

	"github.com/research-cli/research/cli"
)

func main() {
	// SIGINT exits 130 and SIGTERM 143, after the analyzer's process group is gone.
	ctx, stop := cli.SignalContext(context.Background())
	code := cli.Main(ctx, os.Args[1:], cli.SystemIO())
	stop()
	os.Exit(code)
}
