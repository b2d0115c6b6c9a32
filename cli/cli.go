// Package cli is the research command: flags, subcommands, wiring of the
// pipeline, signal-aware exit codes. cmd/research's main only calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Version is the research command's version.
const Version = "0.1.0"

// Exit codes.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// IO is where the command reads and writes; tests capture it.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	OutTTY bool
	ErrTTY bool
	// Getenv reads the environment; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
}

// SystemIO is the process's own standard streams.
func SystemIO() IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())), ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.LookupEnv}
}

func (s IO) env(k string) (string, bool) {
	if s.Getenv == nil {
		return os.LookupEnv(k)
	}
	return s.Getenv(k)
}

// colour is allowed on a terminal unless NO_COLOR is set.
func (s IO) colour(tty bool) bool {
	if v, _ := s.env("NO_COLOR"); v != "" { // no-color.org: only a non-empty value disables colour
		return false
	}
	if v, _ := s.env("TERM"); v == "dumb" {
		return false
	}
	return tty
}

// usageError marks errors that are the user's invocation's fault (exit 2).
type usageError struct{ error }

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, ios IO) int {
	root := newRoot(ios)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.Err)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(ios.Err, "research: interrupted")
		return ExitInterrupted
	}
	fmt.Fprintf(ios.Err, "research: %s\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitError
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown command", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func newRoot(ios IO) *cobra.Command {
	opts := &queryOptions{}
	root := &cobra.Command{
		Use:   "research [flags] QUESTION",
		Short: "Research a question across feeds, Hacker News, Wikipedia and arXiv",
		Long: `research gathers articles about a question from many sources at once, analyses them in an
isolated process, and prints a report: the most relevant articles first, keyphrases, a short
summary whose every sentence cites its article, duplicates folded together, per-source counts.

Try it offline first:  research demo`,
		Example: `  research "rust async runtimes"
  research --format markdown "sparse attention for long documents" > report.md
  research --config sources.yaml --format json "vector databases"`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("a question is required, e.g. research \"rust async runtimes\" (or try: research demo)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range []struct {
				name string
				v    time.Duration
			}{{"timeout", opts.timeout}, {"analysis-timeout", opts.analysisTimeout}} {
				if cmd.Flags().Changed(d.name) && d.v <= 0 {
					return usageError{fmt.Errorf("--%s %s: must be positive (for example 10s)", d.name, d.v)}
				}
			}
			opts.question = strings.TrimSpace(strings.Join(args, " "))
			if opts.question == "" {
				return usageError{errors.New("the question is empty")}
			}
			return runQuery(cmd.Context(), ios, opts)
		},
	}
	opts.bind(root)
	root.AddCommand(newDemo(ios), newExtract(ios), newSources(ios), newConfigCmd(ios), newMisbehave(ios))
	root.AddCommand(newDigest(ios))
	root.AddCommand(newChat(ios), newSessions(ios))
	root.SetVersionTemplate("research {{.Version}}\n")
	return root
}
