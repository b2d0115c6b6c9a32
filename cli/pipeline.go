package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/research-cli/research/agents"
	"github.com/research-cli/research/agents/arxiv"
	"github.com/research-cli/research/agents/feed"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/agents/hackernews"
	"github.com/research-cli/research/agents/page"
	"github.com/research-cli/research/agents/topic"
	"github.com/research-cli/research/agents/wikipedia"
	"github.com/research-cli/research/config"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/orchestrator/isolation"
)

// pipeline is the wired pipeline of one run: the shared HTTP client and the orchestrator.
type pipeline struct {
	client *fetch.Client
	orch   *orchestrator.Orchestrator
	iso    isolation.Config
}

type pipelineOptions struct {
	observer orchestrator.Observer
	explain  bool
	// analyzerArgs and analyzerPath override the analyzer (the demo's --inject).
	analyzerPath string
	analyzerArgs []string
	extraEnv     []string
	// logger receives the client's warnings (a broken cache); nil discards them.
	logger *slog.Logger
	// noAnalysis skips the analysis stage (sources check).
	noAnalysis bool
}

func newClient(cfg *config.Config, logger *slog.Logger) (*fetch.Client, error) {
	cache := cfg.HTTP.Cache
	switch cache {
	case "off", "none", "false":
		cache = ""
	case "":
		if p, err := fetch.DefaultCachePath(); err == nil {
			cache = p
		}
	}
	retries := cfg.HTTP.Retries
	if retries == 0 {
		retries = -1 // the client reads 0 as "default"; the user asked for none
	}
	userAgent := cfg.HTTP.UserAgent
	if userAgent == "" {
		userAgent = fetch.UserAgentFor(Version, cfg.HTTP.Contact)
	}
	c, err := fetch.New(fetch.Options{
		UserAgent:       userAgent,
		MaxBodyBytes:    cfg.HTTP.MaxBodyMB << 20,
		PerHostParallel: cfg.HTTP.PerHostParallel,
		PerHostInterval: cfg.HTTP.PerHostInterval,
		MaxRetries:      retries,
		Logger:          logger,
		CachePath:       cache,

		AllowPrivateLinks: cfg.HTTP.AllowPrivateLinks,
		// Each request is bounded by its source's or the page stage's deadline;
		// the client's own must not cut a longer one (arXiv's).
		RequestTimeout: max(cfg.Limits.FetchTimeout, cfg.Limits.PageTimeout),
	})
	if err != nil {
		return nil, fmt.Errorf("http client: %w", err)
	}
	return c, nil
}

// newAgent builds the agent for one source.
func newAgent(client *fetch.Client, maxResults int) func(models.Source) (agents.Agent, error) {
	return func(src models.Source) (agents.Agent, error) {
		// limits.max_results is what a search API is asked for; a feed keeps
		// its own default cap (its newest items) unless the source sets one.
		if src.MaxResults == 0 && src.Kind != models.KindFeed {
			src.MaxResults = maxResults
		}
		switch src.Kind {
		case models.KindFeed:
			return feed.New(src, client), nil
		case models.KindHackerNews:
			return hackernews.New(src, client), nil
		case models.KindWikipedia:
			return wikipedia.New(src, client), nil
		case models.KindArxiv:
			return arxiv.New(src, client), nil
		}
		return nil, fmt.Errorf("source %s: unknown kind %q", src.Name, src.Kind)
	}
}

func newPipeline(cfg *config.Config, po pipelineOptions) (*pipeline, error) {
	client, err := newClient(cfg, po.logger)
	if err != nil {
		return nil, err
	}
	iso := isolation.Config{
		Path:        cfg.Analyzer.Path,
		Timeout:     cfg.Analyzer.Timeout,
		MemoryLimit: cfg.Analyzer.MemoryLimitMB << 20,
		ExtraEnv:    po.extraEnv,
	}
	if po.analyzerPath != "" {
		iso.Path, iso.Args = po.analyzerPath, po.analyzerArgs
	}
	maxKW, maxSum := cfg.Analyzer.MaxKeywords, cfg.Analyzer.MaxSummary
	orch, err := orchestrator.New(orchestrator.Options{
		Sources:       cfg.ResolvedSources(), // each with its own deadline (limits.kind_timeouts)
		SourceTimeout: cfg.Limits.SourceTimeout,
		StageTimeout:  cfg.Limits.FetchTimeout,
		Parallel:      cfg.Limits.Parallel,
		KeepOffTopic:  cfg.Feeds.KeepOffTopic,
		EnrichPages:   cfg.Limits.EnrichPages,
		PageTimeout:   cfg.Limits.PageTimeout,
		NewAgent:      newAgent(client, cfg.Limits.MaxResults),
		OnTopic:       func(q string) func(models.Article) bool { return topic.New(q).Keep },
		Enrich: func(ctx context.Context, arts []*models.Article) {
			page.EnrichAllFrom(ctx, client, arts, 4, sourceURLs(cfg.Sources))
		},
		// The analyzer starts with the run and waits on its stdin, so its
		// start-up hides behind the fetch (issue 12).
		StartAnalysis: func(ctx context.Context) orchestrator.PendingAnalysis {
			return isolation.Start(ctx, iso)
		},
		AnalysisOptions: &models.AnalysisOptions{MaxKeywords: &maxKW, MaxSummarySentences: &maxSum, Explain: po.explain},
		Observer:        po.observer,
	})
	if err != nil {
		client.Close()
		return nil, err
	}
	if po.noAnalysis {
		orch.DisableAnalysis()
	}
	return &pipeline{client: client, orch: orch, iso: iso}, nil
}

func (p *pipeline) Close() error { return p.client.Close() }

// sourceURLs gives the URL of the configured source an article came from, so
// that its links on that source's own host and port are trusted (fetch.Request.Origin).
func sourceURLs(sources []models.Source) func(*models.Article) string {
	byName := make(map[string]string, len(sources))
	for _, s := range sources {
		byName[s.Name] = s.URL
	}
	return func(a *models.Article) string { return byName[a.Source] }
}

// termWidth is the report's width: $COLUMNS when set (as shells export it,
// and to lay out a piped report for a given width), else the terminal's
// width, else 100 columns; between 40 and 140.
func termWidth(ios IO) int {
	if v, ok := ios.env("COLUMNS"); ok {
		if w, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && w > 0 {
			return min(max(w, 40), 140)
		}
	}
	if !ios.OutTTY {
		return 100
	}
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w >= 40 {
		return min(w, 140)
	}
	return 100
}
