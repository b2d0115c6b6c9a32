// Package orchestrator runs a research question through the pipeline: fan-out
// to every source at once, each with its own deadline; merge and de-duplicate;
// enrich the best candidates with their full pages; then analyse the articles
// in an isolated child process. A failing source or stage is data in the
// result, never a reason to stop.
package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/research-cli/research/agents"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator/isolation"
)

// Options wire the orchestrator. The function fields are the seams that the
// command fills with the real agents, filter, page enricher and isolation
// runner, and that tests fill with fakes.
type Options struct {
	Sources []models.Source
	// SourceTimeout is the deadline of a source that sets none of its own.
	SourceTimeout time.Duration
	// StageTimeout is the deadline of the whole fetch stage.
	StageTimeout time.Duration
	// Parallel caps the sources fetched at once; default DefaultParallel.
	Parallel int
	// KeepOffTopic keeps feed items that do not bear on the question.
	KeepOffTopic bool
	// EnrichPages is how many candidates get their full page fetched.
	EnrichPages int
	// PageTimeout bounds the enrichment stage.
	PageTimeout time.Duration

	// NewAgent builds the agent of a source.
	NewAgent func(models.Source) (agents.Agent, error)
	// OnTopic builds, once per question, the test of whether a feed item bears
	// on it; nil keeps every item.
	OnTopic func(query string) func(models.Article) bool
	// Enrich fetches full pages for the chosen articles, in place; nil disables.
	Enrich func(ctx context.Context, arts []*models.Article)
	// Analyze runs the analysis; nil skips the stage (analysis stays null).
	Analyze func(ctx context.Context, req *models.AnalysisRequest) isolation.Outcome
	// StartAnalysis, when set, starts the analyzer as the run starts, so that
	// its start-up overlaps the fetch (an isolation.Child waits on its stdin);
	// the run hands it the request, or closes it when the run ends without
	// analysis. It takes precedence over Analyze.
	StartAnalysis func(ctx context.Context) PendingAnalysis
	// AnalysisOptions are passed to the analyzer.
	AnalysisOptions *models.AnalysisOptions

	// Observer hears about progress; nil is silent.
	Observer Observer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// PendingAnalysis is an analyzer started ahead of its request (an
// *isolation.Child): Analyze once, Close always.
type PendingAnalysis interface {
	Analyze(ctx context.Context, req *models.AnalysisRequest) isolation.Outcome
	Close() error
}

// Observer is told what happens, as it happens, from any goroutine.
type Observer interface {
	SourceStarted(src models.Source)
	SourceFinished(res models.SourceResult)
	FetchFinished(stats FetchStats)
	EnrichFinished(tried, improved int, elapsed time.Duration)
	AnalysisStarted(articles int)
	AnalysisFinished(out isolation.Outcome)
}

// FetchStats describe the fetch stage as a whole.
type FetchStats struct {
	Elapsed time.Duration
	// Sequential is the sum of every source's time: what one-after-another would have cost.
	Sequential time.Duration
	Sources    int
	Failed     int
	Articles   int
}

// DefaultParallel is the default cap on sources fetched at once: above any
// typical source list, so all start together and the stage takes as long as
// its slowest source. The HTTP client's per-host limit is what protects each host.
const DefaultParallel = 64

// Run is a finished run: the contract result and what it cost.
type Run struct {
	Result   models.Result
	Fetch    FetchStats
	Analysis isolation.Outcome
}

// Orchestrator runs questions; build it with New.
type Orchestrator struct {
	opts Options

	mu     sync.Mutex
	panics []string // stacks of agent panics, for --debug
}

// New checks the options and returns an Orchestrator.
func New(opts Options) (*Orchestrator, error) {
	if opts.NewAgent == nil {
		return nil, errors.New("orchestrator: NewAgent is required")
	}
	if opts.Parallel < 1 {
		opts.Parallel = DefaultParallel
	}
	if opts.SourceTimeout <= 0 {
		opts.SourceTimeout = 10 * time.Second
	}
	if opts.StageTimeout <= 0 {
		opts.StageTimeout = 30 * time.Second
	}
	if opts.PageTimeout <= 0 {
		opts.PageTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Orchestrator{opts: opts}, nil
}

// Run answers one question. It returns an error only when ctx was cancelled
// (the user interrupted); everything else that fails is recorded in the result.
func (o *Orchestrator) Run(ctx context.Context, query string) (*Run, error) {
	run := &Run{}
	analyze := o.opts.Analyze
	if o.opts.StartAnalysis != nil {
		pending := o.opts.StartAnalysis(ctx)
		// Reaps the child however the run ends (a no-op after Analyze).
		defer pending.Close()
		analyze = pending.Analyze
	}
	var keep func(models.Article) bool
	if o.opts.OnTopic != nil && !o.opts.KeepOffTopic {
		keep = o.opts.OnTopic(query)
	}
	results, perSource, fs := o.fetch(ctx, query, keep)
	run.Fetch = fs
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	arts := merge(results, perSource)
	run.Fetch.Articles = len(arts)

	if o.opts.Enrich != nil && o.opts.EnrichPages > 0 {
		o.enrich(ctx, arts)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("enrich: %w", err)
		}
	}

	run.Result = models.Result{
		Query:       query,
		GeneratedAt: o.opts.Now().UTC().Truncate(time.Second),
		Sources:     results,
		Articles:    arts,
	}
	if analyze != nil {
		req := &models.AnalysisRequest{
			Version:  models.ContractVersion,
			Query:    query,
			Articles: analysisArticles(arts),
			Options:  o.opts.AnalysisOptions,
		}
		o.opts.Observer.AnalysisStarted(len(arts))
		out := analyze(ctx, req)
		o.opts.Observer.AnalysisFinished(out)
		run.Analysis = out
		if out.Degraded != nil && out.Degraded.Reason == models.ReasonCancelled && ctx.Err() != nil {
			return nil, fmt.Errorf("analysis: %w", ctx.Err())
		}
		run.Result.Analysis = out.Report
		run.Result.Degraded = out.Degraded
	}
	orderArticles(&run.Result)
	return run, nil
}

// fetch queries every source at once, bounded by Parallel, each under its own
// deadline and all under the stage deadline.
func (o *Orchestrator) fetch(ctx context.Context, query string, keep func(models.Article) bool) ([]models.SourceResult, [][]models.Article, FetchStats) {
	start := time.Now()
	stageCtx, cancel := context.WithTimeout(ctx, o.opts.StageTimeout)
	defer cancel()

	n := len(o.opts.Sources)
	results := make([]models.SourceResult, n)
	perSource := make([][]models.Article, n)
	sem := make(chan struct{}, o.opts.Parallel)
	var wg sync.WaitGroup
	for i, src := range o.opts.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-stageCtx.Done():
				results[i] = models.SourceResult{Name: src.Name, Kind: string(src.Kind), URL: src.URL,
					Error: "not started: the fetch stage deadline passed first", ErrorKind: "timeout"}
				o.opts.Observer.SourceFinished(results[i])
				return
			}
			defer func() { <-sem }()
			o.opts.Observer.SourceStarted(src)
			res, arts := o.fetchOne(stageCtx, query, keep, src, time.Since(start))
			results[i], perSource[i] = res, arts
			o.opts.Observer.SourceFinished(res)
		}()
	}
	wg.Wait()

	fs := FetchStats{Elapsed: time.Since(start), Sources: n}
	for _, r := range results {
		fs.Sequential += time.Duration(r.ElapsedMS) * time.Millisecond
		if r.Error != "" {
			fs.Failed++
		}
	}
	o.opts.Observer.FetchFinished(fs)
	return results, perSource, fs
}

func (o *Orchestrator) fetchOne(stageCtx context.Context, query string, keep func(models.Article) bool, src models.Source, offset time.Duration) (res models.SourceResult, arts []models.Article) {
	res = models.SourceResult{Name: src.Name, Kind: string(src.Kind), URL: src.URL, StartedMS: offset.Milliseconds()}
	timeout := src.Timeout
	if timeout <= 0 {
		timeout = o.opts.SourceTimeout
	}
	ctx, cancel := context.WithTimeout(stageCtx, timeout)
	defer cancel()
	start := time.Now()
	defer func() {
		res.ElapsedMS = time.Since(start).Milliseconds()
		if p := recover(); p != nil {
			// A bug in one agent must not take the run down.
			res.Error = fmt.Sprintf("internal error in the %s agent: %v", src.Kind, p)
			res.ErrorKind = "internal"
			arts = nil
			o.mu.Lock()
			o.panics = append(o.panics, fmt.Sprintf("source %s: %v\n%s", src.Name, p, debug.Stack()))
			o.mu.Unlock()
		}
	}()

	agent, err := o.opts.NewAgent(src)
	if err == nil {
		arts, err = agent.Search(ctx, query)
	}
	if err != nil {
		res.Error, res.ErrorKind = describe(err, src, ctx, stageCtx, timeout, o.opts.StageTimeout)
		return res, nil
	}
	res.Fetched = len(arts)
	if sk, ok := agent.(agents.Skipper); ok {
		res.Skipped = sk.Skipped()
	}
	kept := arts[:0:0]
	for _, a := range arts {
		a.Source = src.Name
		if a.Kind == "" {
			a.Kind = string(src.Kind)
		}
		if src.Kind == models.KindFeed && keep != nil && !keep(a) {
			res.OffTopic++
			continue
		}
		kept = append(kept, a)
	}
	return res, kept
}

// PanicStacks returns the stacks of the agent panics recovered so far, for --debug.
func (o *Orchestrator) PanicStacks() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.panics...)
}

// describe turns a source's error into one line and a kind. The line does not
// repeat the source's name (the report prints it) and names the URL on a timeout.
func describe(err error, src models.Source, srcCtx, stageCtx context.Context, timeout, stageTimeout time.Duration) (string, string) {
	kind := errorKind(err)
	msg := oneLine(err.Error()) // agents do not prefix their errors with the source's name
	var fe *fetch.Error
	throttled := errors.As(err, &fe) && (fe.Status == 429 || fe.Status == 503)
	switch {
	case throttled:
		// A service that throttled the source says more than its deadline did.
	case errors.Is(stageCtx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("cut off at the fetch stage deadline (%s) (%s)", stageTimeout, src.URL), "timeout"
	case errors.Is(srcCtx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("timeout after %s (%s)", timeout, src.URL), "timeout"
	}
	return msg, kind
}

// errorKind classifies a source's error for the result's error_kind.
func errorKind(err error) string { return string(fetch.KindOf(err)) }

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

type nopObserver struct{}

func (nopObserver) SourceStarted(models.Source)            {}
func (nopObserver) SourceFinished(models.SourceResult)     {}
func (nopObserver) FetchFinished(FetchStats)               {}
func (nopObserver) EnrichFinished(int, int, time.Duration) {}
func (nopObserver) AnalysisStarted(int)                    {}
func (nopObserver) AnalysisFinished(isolation.Outcome)     {}

// DisableAnalysis makes Run stop after fetching (research sources check).
func (o *Orchestrator) DisableAnalysis() { o.opts.Analyze, o.opts.StartAnalysis = nil, nil }
