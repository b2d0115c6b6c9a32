// Command research gathers articles about a question from many sources at
// once, analyses them in an isolated child process and prints a report.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/research-cli/research/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.SystemIO())
	stop()
	os.Exit(code)
}
