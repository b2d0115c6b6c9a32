// Package cli is the research command: flags, subcommands, wiring of the
// pipeline, signal-aware exit codes. cmd/research's main only calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/internal/textsafe"
)

// Version is the research command's version.
const Version = "0.1.0"

// Exit codes: one map for every command (documented in --help and the README).
const (
	// ExitOK: the run succeeded, even if some sources failed (the report says which).
	ExitOK = 0
	// ExitError: the run failed: no source answered, the store or the delivery failed, an I/O error.
	ExitError = 1
	// ExitUsage: the command line or the configuration is wrong.
	ExitUsage = 2
	// ExitInterrupted: SIGINT (Ctrl-C), 128+2.
	ExitInterrupted = 130
	// ExitTerminated: SIGTERM, 128+15.
	ExitTerminated = 143
)

const exitCodesHelp = `Exit status:
  0    success (some sources may have failed: the report says which)
  1    the run failed: no source answered, a store or delivery failure, an I/O error
  2    usage or configuration error
  130  interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM)`

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

func (e usageError) Unwrap() error { return e.error }

// runFailed marks a run that produced its report but failed as a whole, such
// as when no source answered (exit 1, the report is still printed).
type runFailed struct{ error }

func (e runFailed) Unwrap() error { return e.error }

// SignalError is the cause a context is cancelled with when a signal arrives.
type SignalError struct{ Signal os.Signal }

func (e SignalError) Error() string { return "received " + e.Signal.String() }

// SignalContext is cancelled, with a SignalError as its cause, on the first
// SIGINT or SIGTERM. Later signals are caught too, until stop, so that the
// run always gets to take the analyzer's process group down with it.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(SignalError{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, ios IO) int {
	root := newRoot(ios)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.Err)
	err := root.ExecuteContext(ctx)
	code := ExitCode(ctx, err)
	switch code {
	case ExitOK:
	case ExitInterrupted, ExitTerminated:
		fmt.Fprintf(ios.Err, "research: %s\n", interruptedMessage(ctx))
	default:
		// Errors quote URLs, server messages and file contents: the last
		// guard before the terminal strips what could drive it.
		fmt.Fprintf(ios.Err, "research: %s\n", textsafe.Strip(err.Error()))
	}
	return code
}

// ExitCode is the one place that maps an outcome to an exit status.
func ExitCode(ctx context.Context, err error) int {
	var sig SignalError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(context.Cause(ctx), &sig) && sig.Signal == syscall.SIGTERM:
		return ExitTerminated
	case ctx.Err() != nil:
		return ExitInterrupted
	case errors.As(err, new(usageError)), errors.Is(err, config.ErrConfig):
		return ExitUsage
	}
	return ExitError
}

func interruptedMessage(ctx context.Context) string {
	var sig SignalError
	if errors.As(context.Cause(ctx), &sig) && sig.Signal == syscall.SIGTERM {
		return "terminated"
	}
	return "interrupted"
}

// markUsage makes every argument-validation error of every command a usage
// error, by type: cobra's validators return plain errors.
func markUsage(cmd *cobra.Command) {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		markUsage(c)
	}
}

// group is a command that only holds subcommands: without one it shows its
// help; with an unknown one it is a usage error (cobra would print the help
// and exit 0).
func group(use, short, example string) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if cmd.SuggestionsMinimumDistance <= 0 {
				cmd.SuggestionsMinimumDistance = 2
			}
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return usageError{fmt.Errorf("%s (commands: %s)", msg, strings.Join(names, ", "))}
		},
	}
}

func newRoot(ios IO) *cobra.Command {
	opts := &queryOptions{}
	root := &cobra.Command{
		Use:   "research [flags] QUESTION",
		Short: "Research a question across feeds, Hacker News, Wikipedia and arXiv",
		Long: `research gathers articles about a question from many sources at once, analyses them in an
isolated process, and prints a report: the most relevant articles first, keyphrases, a short
summary whose every sentence cites its article, duplicates folded together, per-source counts.

Try it offline first:  research demo

` + exitCodesHelp,
		Example: `  research "rust async runtimes"
  research --format markdown "sparse attention for long documents" > report.md
  research --config sources.yaml --format json "vector databases"
  research -n 30 --source hn --source arxiv "retrieval augmented generation"
  research --format html "sparse attention" > report.html`,
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
			if err := opts.check(cmd); err != nil {
				return err
			}
			opts.question = strings.TrimSpace(strings.Join(args, " "))
			if opts.question == "" {
				return usageError{errors.New("the question is empty")}
			}
			return runQuery(cmd.Context(), ios, opts)
		},
	}
	opts.bind(root, ios)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("research {{.Version}}\n")

	// Commands. Register new ones here, one per line.
	root.AddCommand(newDemo(ios))
	root.AddCommand(newExtract(ios))
	root.AddCommand(newSources(ios))
	root.AddCommand(newConfigCmd(ios))
	root.AddCommand(newMisbehave(ios))
	root.AddCommand(newDigest(ios))
	root.AddCommand(newWorker(ios), newMigrate(ios), newJobs(ios)) // issue 9: digests as jobs
	root.AddCommand(newChat(ios), newSessions(ios))                // issue 14: sessions
	_ = root.RegisterFlagCompletionFunc("session", completeSessionIDs(ios, new(string), &opts.configPath))

	markUsage(root)
	return root
}
