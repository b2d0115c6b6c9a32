package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

// runFlags are the options that research QUESTION and research digest share,
// bound by one function so that they read the same in both.
type runFlags struct {
	configPath      string
	format          string
	analyzer        string
	analysisTimeout time.Duration
	timeout         time.Duration
	// limit is -n/--limit: how many articles are listed; 0 lists them all.
	limit        int
	only         []string
	keepOffTopic bool
	noPages      bool
	noCache      bool
	debug        bool
	verbose      bool
}

// runFlagSpec is what differs between the commands that share runFlags.
type runFlagSpec struct {
	formats    []string
	limit      int
	limitUsage string
	timeout    string
}

// bindRun binds the shared run flags on cmd, with their completions.
func (o *runFlags) bindRun(cmd *cobra.Command, ios IO, spec runFlagSpec) {
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "YAML config `FILE` (default: the user's config file, else built-in defaults)")
	f.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: "+strings.Join(spec.formats, ", "))
	f.StringVar(&o.analyzer, "analyzer", "", "`PATH` of research-analyze (default: next to research, then PATH)")
	durationVar(f, &o.analysisTimeout, "analysis-timeout", "", "hard `DURATION` limit of the analysis child (default 15s)")
	durationVar(f, &o.timeout, "timeout", "", spec.timeout)
	f.IntVarP(&o.limit, "limit", "n", spec.limit, spec.limitUsage)
	f.StringSliceVarP(&o.only, "source", "s", nil, "query only these sources (by `NAME`; repeatable)")
	f.BoolVar(&o.keepOffTopic, "keep-off-topic", false, "keep feed items that do not bear on the question")
	f.BoolVar(&o.noPages, "no-pages", false, "do not fetch full article pages")
	f.BoolVar(&o.noCache, "no-cache", false, "do not use the HTTP validator cache")
	f.BoolVar(&o.debug, "debug", false, "print diagnostics to stderr, including the analyzer's stderr")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print each source's progress to stderr")
	completeValues(cmd, "format", spec.formats...)
	completeConfig(cmd)
	_ = cmd.RegisterFlagCompletionFunc("source", completeSourceNames(ios, &o.configPath))
}

// check rejects flag values that are wrong whatever the config says.
func (o *runFlags) check(cmd *cobra.Command) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", o.timeout}, {"analysis-timeout", o.analysisTimeout}} {
		if cmd.Flags().Changed(d.name) && d.v <= 0 {
			return usageError{fmt.Errorf("--%s %s: must be positive (for example 10s)", d.name, d.v)}
		}
	}
	if err := checkLimit(o.limit); err != nil {
		return err
	}
	return nil
}

// renderLimit is --limit as render.Options reads it (negative: all).
func (o *runFlags) renderLimit() int {
	if o.limit == 0 {
		return -1
	}
	return o.limit
}

// queryOptions are the flags of a research run.
type queryOptions struct {
	runFlags
	question string
	noColor  bool
	explain  bool
	// session continues (or starts) a session (cli/chat.go).
	session string
}

var reportFormats = []string{"text", "json", "markdown", "html"}

func (o *queryOptions) bind(cmd *cobra.Command, ios IO) {
	o.bindRun(cmd, ios, runFlagSpec{formats: reportFormats, limit: 15,
		limitUsage: "list `N` articles in the text, Markdown and HTML reports (0: all)",
		timeout:    "`DURATION` limit of the whole fetch stage (default 45s)"})
	f := cmd.Flags()
	f.BoolVar(&o.noColor, "no-color", false, "never use colour")
	f.BoolVar(&o.explain, "explain", false, "show how each article's score was made (ranking terms, recency, centrality)")
	if f.Lookup("session") == nil { // research chat binds its own
		f.StringVar(&o.session, "session", "", "continue (or start) the session `ID`: a follow-up is researched in its context (see research chat)")
	}
}

// load builds the config: defaults < file < environment < flags, validated once.
func (o *runFlags) load(ios IO) (*config.Config, error) {
	return config.Build(o.configPath, ios.env, func(cfg *config.Config) error {
		if o.analyzer != "" {
			cfg.Analyzer.Path = o.analyzer
		}
		if o.analysisTimeout > 0 {
			cfg.Analyzer.Timeout = o.analysisTimeout
		}
		if o.timeout > 0 {
			cfg.Limits.FetchTimeout = o.timeout
		}
		if o.keepOffTopic {
			cfg.Feeds.KeepOffTopic = true
		}
		if o.noPages {
			cfg.Limits.EnrichPages = 0
		}
		if o.noCache {
			cfg.HTTP.Cache = "off"
		}
		if len(o.only) > 0 {
			var keep []models.Source
			for _, name := range o.only {
				found := false
				for _, s := range cfg.Sources {
					if s.Name == name {
						keep = append(keep, s)
						found = true
					}
				}
				if !found {
					return usageError{fmt.Errorf("--source %s: no such source (see research sources list)", name)}
				}
			}
			cfg.Sources = keep
		}
		return nil
	})
}

func runQuery(ctx context.Context, ios IO, o *queryOptions) error {
	format, err := render.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	cfg, err := o.load(ios)
	if err != nil {
		return err
	}
	if o.session != "" || cfg.LLM.On() { // sessions and model answers: cli/chat.go
		return runConversational(ctx, ios, o, cfg, format)
	}
	prog := newProgress(ios, o.verbose || o.debug, len(cfg.Sources))
	p, err := newPipeline(cfg, pipelineOptions{observer: prog, explain: o.explain, logger: warnLogger(ios, o.debug)})
	if err != nil {
		return err
	}
	defer p.Close()
	prog.begin()
	run, err := p.orch.Run(ctx, o.question)
	prog.end()
	if err != nil {
		return err
	}
	if o.debug {
		for _, st := range p.orch.PanicStacks() {
			fmt.Fprintf(ios.Err, "--- recovered panic in an agent ---\n%s\n", st)
		}
	}
	if o.debug && run.Analysis.StderrTail != "" {
		fmt.Fprintf(ios.Err, "--- research-analyze stderr (tail) ---\n%s\n---\n", textsafe.Strip(run.Analysis.StderrTail))
	}
	hint := ""
	if !o.debug {
		hint = "run with --debug for its stderr"
	}
	if err := render.Write(ios.Out, &run.Result, render.Options{Format: format, Color: !o.noColor && ios.colour(ios.OutTTY),
		Width: termWidth(ios), Limit: o.renderLimit(), DegradedHint: hint, Explain: o.explain}); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if run.Fetch.Sources > 0 && run.Fetch.Failed == run.Fetch.Sources {
		return runFailed{errors.New("no source answered; each source's error is in the report (research demo works offline)")}
	}
	return nil
}

// warnLogger shows the client's warnings (e.g. a cache that could not be
// opened) on stderr; with --debug, its debug messages too.
func warnLogger(ios IO, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(ios.Err, &slog.HandlerOptions{Level: level}))
}

// checkLimit is the one check of -n/--limit: 0 lists all, a negative number
// is a usage error.
func checkLimit(n int) error {
	if n < 0 {
		return usageError{fmt.Errorf("--limit %d: must be 0 (all) or more", n)}
	}
	return nil
}
