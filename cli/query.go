package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

// queryOptions are the flags of a research run.
type queryOptions struct {
	question        string
	configPath      string
	format          string
	analyzer        string
	analysisTimeout time.Duration
	timeout         time.Duration
	limit           int
	only            []string
	keepOffTopic    bool
	noPages         bool
	noCache         bool
	debug           bool
	verbose         bool
	noColor         bool
	explain         bool
	// session continues (or starts) a session (cli/chat.go).
	session string
}

func (o *queryOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "YAML config `FILE` (default: the user's config file, else built-in defaults)")
	f.StringVarP(&o.format, "format", "f", "text", "output `format`: text, json, markdown or html")
	f.StringVar(&o.analyzer, "analyzer", "", "`PATH` of research-analyze (default: next to research, then PATH)")
	f.DurationVar(&o.analysisTimeout, "analysis-timeout", 0, "hard timeout of the analysis child (default 15s)")
	f.DurationVar(&o.timeout, "timeout", 0, "deadline of the whole fetch stage (default 30s)")
	f.IntVarP(&o.limit, "limit", "n", 15, "articles listed in the text, Markdown and HTML reports")
	f.StringSliceVarP(&o.only, "source", "s", nil, "query only these sources (by name; repeatable)")
	f.BoolVar(&o.keepOffTopic, "keep-off-topic", false, "keep feed items that do not bear on the question")
	f.BoolVar(&o.noPages, "no-pages", false, "do not fetch full article pages")
	f.BoolVar(&o.noCache, "no-cache", false, "do not use the HTTP validator cache")
	f.BoolVar(&o.debug, "debug", false, "print diagnostics to stderr, including the analyzer's stderr")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print each source's progress to stderr")
	f.BoolVar(&o.noColor, "no-color", false, "never use colour")
	f.BoolVar(&o.explain, "explain", false, "ask the analyzer to explain each article's score (JSON output)")
	if cmd.Flags().Lookup("session") == nil { // research chat has its own
		f.StringVar(&o.session, "session", "", "continue (or start) the session `ID`: a follow-up is researched in its context (see research chat)")
	}
}

// load builds the config: defaults < file < environment < flags.
func (o *queryOptions) load(ios IO) (*config.Config, error) {
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return nil, usageError{err}
	}
	if err := cfg.ApplyEnv(ios.env); err != nil {
		return nil, usageError{err}
	}
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
				return nil, usageError{fmt.Errorf("--source %s: no such source (see research sources list)", name)}
			}
		}
		cfg.Sources = keep
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
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
		fmt.Fprintf(ios.Err, "--- research-analyze stderr (tail) ---\n%s\n---\n", run.Analysis.StderrTail)
	}
	hint := ""
	if !o.debug {
		hint = "run with --debug for its stderr"
	}
	if err := render.Write(ios.Out, &run.Result, render.Options{Format: format, Color: !o.noColor && ios.colour(ios.OutTTY),
		Width: termWidth(ios), Limit: o.limit, DegradedHint: hint}); err != nil {
		return err
	}
	if run.Fetch.Sources > 0 && run.Fetch.Failed == run.Fetch.Sources {
		fmt.Fprintln(ios.Err, "research: no source answered; see each source's error in the report (research demo works offline)")
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
