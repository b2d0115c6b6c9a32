package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/orchestrator/isolation"
	"github.com/research-cli/research/outbox"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/store"
)

// The store's filter is what the selection consults.
var _ digest.SeenFilter = (*store.Seen)(nil)

// digestOptions are the flags of research digest.
type digestOptions struct {
	q      queryOptions
	topics []string
	store  string
	dryRun bool
	since  time.Duration
	// deliver and noDeliver choose between the config's targets and stdout.
	deliver, noDeliver bool
	always             bool
	wait               time.Duration
	leaseTTL           time.Duration
}

func newDigest(ios IO) *cobra.Command {
	o := &digestOptions{}
	cmd := &cobra.Command{
		Use:   "digest [flags]",
		Short: "Research each digest topic and deliver only what is new since the last digest",
		Long: `digest researches every topic of the config's digest section (or each --topic) and lists,
per topic, only the articles not already sent in an earlier digest: recognised by canonical URL
and by normalised title, duplicates folded, the same story never twice in one digest, at most
--limit per topic in the analysis' ranking order. When a topic has nothing new, it says why.

The digest goes to the config's digest.targets (email over SMTP, a webhook, a directory), or to
stdout when there are none or with --no-deliver. It is recorded as pending in the store
(--store; default $XDG_DATA_HOME/research/digests.db) before it is delivered, and its articles
count as sent only once every target took it: a failed delivery is retried, unchanged, by the
next run. One digest run at a time per store (a lease; --wait). When nothing is new in any
topic, nothing is delivered (--always delivers anyway). See docs/digests.md.`,
		Example: `  research digest --topic "sparse attention" --topic "rust async runtimes"
  research digest --config digest.yaml               # deliver to the config's targets
  research digest --config digest.yaml --no-deliver --format html > digest.html
  research digest --dry-run            # show what is new without remembering it
  research digest test-delivery --config digest.yaml
  research digest history`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.deliver && o.noDeliver {
				return usageError{errors.New("--deliver and --no-deliver exclude each other")}
			}
			if cmd.Flags().Changed("wait") && o.wait < 0 {
				return usageError{fmt.Errorf("--wait %s: must not be negative", o.wait)}
			}
			return runDigest(cmd, ios, o)
		},
	}
	o.q.bindRun(cmd, ios, runFlagSpec{formats: []string{"text", "markdown", "html", "json"},
		limitUsage: "list `N` new articles per topic (default: digest.max_items, 10; 0: all)",
		timeout:    "`DURATION` limit of each topic's fetch stage (default 45s)"})
	f := cmd.Flags()
	f.StringArrayVarP(&o.topics, "topic", "t", nil, "a topic to research (repeatable; default: the config's digest.topics)")
	f.StringVar(&o.store, "store", "", "SQLite `FILE` of what was sent (default: digest.store, else $XDG_DATA_HOME/research/digests.db)")
	f.IntVar(&o.q.limit, "max-items", 0, "the old name of --limit")
	_ = f.MarkHidden("max-items")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the digest on stdout but remember and deliver nothing")
	durationVar(f, &o.since, "since", "", "ignore articles published longer ago than this `DURATION` (e.g. 48h, 2d, 1w)")
	f.BoolVar(&o.deliver, "deliver", false, "deliver to the config's digest.targets (the default when there are any)")
	f.BoolVar(&o.noDeliver, "no-deliver", false, "print the digest on stdout instead of delivering it to the targets")
	f.BoolVar(&o.always, "always", false, "deliver the digest even when nothing is new in any topic")
	f.DurationVar(&o.wait, "wait", 0, "wait up to `DURATION` for another digest run on the store to finish (default: fail at once)")
	f.DurationVar(&o.leaseTTL, "lease-ttl", store.DefaultLeaseTTL, "how long the run's lease outlives a run that stops renewing it")
	_ = f.MarkHidden("lease-ttl")
	cmd.AddCommand(newDigestHistory(ios), newTestDelivery(ios))
	return cmd
}

// storePath picks the store file: the flag, else the config, else the user's data directory.
func storePath(ios IO, flag string, cfg *config.Config) (string, error) {
	p := flag
	if p == "" && cfg != nil {
		p = cfg.Digest.Store
	}
	if p == "" {
		return store.DefaultPath(ios.env)
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, ok := ios.env("HOME"); ok && home != "" {
			p = filepath.Join(home, rest)
		}
	}
	return p, nil
}

// digestTargets are where this run delivers: the config's targets, or stdout
// in format when there are none or with --no-deliver. dropUnknown says
// whether a pending digest's target missing from them was removed from the
// config (and is given up) rather than merely not used by this run.
func digestTargets(ios IO, cfg *config.Config, o *digestOptions, format render.Format) (ts []deliver.Target, dropUnknown bool, err error) {
	if o.deliver && len(cfg.Digest.Targets) == 0 {
		return nil, false, usageError{errors.New("--deliver: the config lists no digest.targets (see docs/digests.md)")}
	}
	if o.noDeliver || len(cfg.Digest.Targets) == 0 {
		return []deliver.Target{&deliver.Writer{TargetName: "stdout", W: ios.Out, Format: string(format)}}, len(cfg.Digest.Targets) == 0, nil
	}
	ts, err = deliver.FromConfig(cfg.Digest.Targets, deliver.Env(ios.env), "research/"+Version)
	if err != nil {
		// A secret that is not set or a CA file that cannot be read is the
		// configuration's fault: exit 2, before anything is fetched.
		return nil, false, usageError{err}
	}
	return ts, true, nil
}

func runDigest(cmd *cobra.Command, ios IO, o *digestOptions) error {
	ctx := cmd.Context()
	format, err := render.ParseFormat(o.q.format)
	if err != nil {
		return usageError{err}
	}
	if err := o.q.check(cmd); err != nil {
		return err
	}
	if o.since < 0 {
		return usageError{fmt.Errorf("--since %s: must be positive", o.since)}
	}
	cfg, err := o.q.load(ios)
	if err != nil {
		return err
	}
	topics := cleanTopics(o.topics)
	if len(o.topics) == 0 {
		topics = cleanTopics(cfg.Digest.Topics)
	}
	if len(topics) == 0 {
		return usageError{errors.New("no topics: pass --topic \"…\" or list them under digest.topics in the config (see docs/digests.md)")}
	}
	maxItems := cfg.Digest.MaxItems
	if cmd.Flags().Changed("limit") || cmd.Flags().Changed("max-items") {
		maxItems = o.q.limit
		if maxItems == 0 {
			maxItems = math.MaxInt32
		}
	}
	path, err := storePath(ios, o.store, cfg)
	if err != nil {
		return err
	}
	var targets []deliver.Target
	dropUnknown := false
	if !o.dryRun {
		if targets, dropUnknown, err = digestTargets(ios, cfg, o, format); err != nil {
			return err
		}
	}
	verbose := o.q.verbose || o.q.debug

	// The store is opened, checked writable and leased before any fetching,
	// so a bad path, a read-only file or a concurrent run fails at once and
	// prints nothing. A dry run never creates it nor takes the lease.
	var st *store.Store
	if _, statErr := os.Stat(path); !o.dryRun || statErr == nil || !errors.Is(statErr, fs.ErrNotExist) {
		st, err = store.Open(ctx, path)
		if err != nil {
			return err
		}
		defer st.Close()
	}
	var lease *store.Lease
	if !o.dryRun {
		if err := st.CheckWritable(ctx); err != nil {
			return err
		}
		lease, err = st.WaitLease(ctx, store.DigestLease, o.leaseTTL, o.wait, 250*time.Millisecond)
		if err != nil {
			return err
		}
		var stopHeartbeat func()
		ctx, stopHeartbeat = heartbeat(ctx, st, lease, o.leaseTTL)
		defer func() {
			stopHeartbeat()
			_ = st.ReleaseLease(ctx, lease)
		}()

		// What an earlier run left pending goes first, unchanged; while a
		// delivery keeps failing, nothing new is built.
		rep, err := outbox.DeliverPending(ctx, st, lease, targets, outbox.DeliverOptions{DropUnknown: dropUnknown})
		reportDeliveries(ios, rep, verbose, "an earlier run's ")
		if err != nil {
			return digestErr(ctx, err)
		}
	}

	obs := &topicObserver{}
	p, err := newPipeline(cfg, pipelineOptions{observer: obs})
	if err != nil {
		return err
	}
	defer p.Close()
	run := &digestRun{ios: ios, p: p, obs: obs, nsrc: len(cfg.Sources), debug: o.q.debug, verbose: o.q.verbose}
	research := func(ctx context.Context, topic string) (*models.Result, error) {
		in, err := run.topic(ctx, topic)
		if err != nil {
			return nil, err
		}
		return in.Result, nil
	}
	var src outbox.Store
	if st != nil {
		src = st
	}
	built, err := outbox.Build(ctx, src, research, outbox.BuildOptions{Topics: topics, MaxItems: maxItems, Since: o.since})
	if err != nil {
		return digestErr(ctx, err)
	}
	d := built.Digest

	if o.dryRun {
		// Render fully before writing, so a rendering error prints nothing.
		var buf bytes.Buffer
		if err := digest.Write(&buf, d, format); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := ios.Out.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("write the digest: %w", err)
		}
		fmt.Fprintf(ios.Err, "research: dry run: %d new articles not recorded in %s\n", d.New, path)
		return failIfNoSourceAnswered(d)
	}

	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name()
	}
	rec, err := outbox.Record(ctx, st, lease, built, names, o.always)
	if err != nil {
		return digestErr(ctx, err)
	}
	if rec.ID == 0 {
		fmt.Fprintf(ios.Err, "research: nothing new in %s: nothing delivered (--always delivers the digest anyway)\n",
			plural(len(topics), "topic", "any of the %d topics"))
		return failIfNoSourceAnswered(d)
	}
	rep, err := outbox.DeliverPending(ctx, st, lease, targets, outbox.DeliverOptions{DropUnknown: dropUnknown})
	reportDeliveries(ios, rep, verbose, "")
	if err != nil {
		return digestErr(ctx, err)
	}
	if verbose {
		fmt.Fprintf(ios.Err, "research: %d new articles delivered; %d articles remembered as sent in %s\n", d.New, rec.Items, path)
	}
	return failIfNoSourceAnswered(d)
}

// failIfNoSourceAnswered is the run's failure (exit 1, as for a query) when
// no source of any topic answered (noSourceAnswered, cli/worker.go): the
// digest was still printed or delivered, saying so per topic.
func failIfNoSourceAnswered(d *digest.Digest) error {
	if noSourceAnswered(d) {
		return runFailed{errors.New("no source answered for any topic; each topic says why")}
	}
	return nil
}

// plural says "the topic" for one topic, else the formatted phrase.
func plural(n int, one, many string) string {
	if n == 1 {
		return "the " + one
	}
	return fmt.Sprintf(many, n)
}

// digestErr is err, or the interruption when ctx ended: an interrupted run
// reports being interrupted, whatever step noticed it.
func digestErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// reportDeliveries says on stderr what happened to each digest: every
// failure always, every success when verbose.
func reportDeliveries(ios IO, rep outbox.Report, verbose bool, whose string) {
	for _, d := range rep {
		for _, r := range d.Results {
			switch {
			case r.Err != nil:
				fmt.Fprintf(ios.Err, "research: %sdigest %d (%s): not delivered to %s: %s\n", whose, d.ID,
					render.Plural(d.New, "new article"), r.Target, textsafe.Line(r.Err.Error()))
			case r.Dropped && verbose:
				fmt.Fprintf(ios.Err, "research: %sdigest %d: target %s is no longer configured: given up\n", whose, d.ID, r.Target)
			case verbose && r.Target != "stdout":
				fmt.Fprintf(ios.Err, "research: %sdigest %d (%s) delivered to %s\n", whose, d.ID, render.Plural(d.New, "new article"), r.Target)
			}
		}
		if d.Delivered && whose != "" {
			fmt.Fprintf(ios.Err, "research: %sdigest %d (%s) is now delivered to every target\n", whose, d.ID, render.Plural(d.New, "new article"))
		}
	}
}

// heartbeat renews the lease every third of its TTL until stopped; when the
// lease is lost (another run took it over after it lapsed) the returned
// context is cancelled, so the run stops before writing anything more.
func heartbeat(ctx context.Context, st *store.Store, l *store.Lease, ttl time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(ttl/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := st.RenewLease(ctx, l, ttl); errors.Is(err, store.ErrLeaseLost) {
					cancel(err)
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// cleanTopics trims topics and drops empty and repeated ones, keeping the order.
func cleanTopics(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.Join(strings.Fields(t), " ")
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// topicObserver forwards the orchestrator's events to the current topic's progress.
type topicObserver struct {
	mu  sync.Mutex
	cur *progress
}

func (t *topicObserver) set(p *progress) {
	t.mu.Lock()
	t.cur = p
	t.mu.Unlock()
}

func (t *topicObserver) get() *progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur
}

func (t *topicObserver) SourceStarted(src models.Source)         { t.get().SourceStarted(src) }
func (t *topicObserver) SourceFinished(r models.SourceResult)    { t.get().SourceFinished(r) }
func (t *topicObserver) FetchFinished(s orchestrator.FetchStats) { t.get().FetchFinished(s) }
func (t *topicObserver) EnrichFinished(tried, improved int, elapsed time.Duration) {
	t.get().EnrichFinished(tried, improved, elapsed)
}
func (t *topicObserver) AnalysisStarted(articles int) {
	t.get().AnalysisStarted(articles)
}
func (t *topicObserver) AnalysisFinished(out isolation.Outcome) { t.get().AnalysisFinished(out) }

type historyOptions struct {
	configPath string
	store      string
	topic      string
	limit      int
	format     string
}

func newDigestHistory(ios IO) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List past digest runs, newest first",
		Example: `  research digest history
  research digest history --topic "sparse attention" -n 5
  research digest history --format json | jq '.[0]'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDigestHistory(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "YAML config `FILE` (for digest.store)")
	f.StringVar(&o.store, "store", "", "SQLite `FILE` of the digests (default: digest.store, else $XDG_DATA_HOME/research/digests.db)")
	f.StringVarP(&o.topic, "topic", "t", "", "only this topic's runs")
	f.IntVarP(&o.limit, "limit", "n", 20, "runs listed (0: all)")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	return cmd
}

func runDigestHistory(ctx context.Context, ios IO, o *historyOptions) error {
	if err := checkLimit(o.limit); err != nil {
		return err
	}
	if o.format != "text" && o.format != "json" {
		return usageError{fmt.Errorf("unknown format %q: use text or json", o.format)}
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return usageError{err}
	}
	path, err := storePath(ios, o.store, cfg)
	if err != nil {
		return err
	}
	var runs []store.Run
	var pending []store.OutboxDigest
	if _, err := os.Stat(path); err == nil {
		st, err := store.Open(ctx, path)
		if err != nil {
			return err
		}
		defer st.Close()
		if runs, err = st.Runs(ctx, strings.TrimSpace(o.topic), o.limit); err != nil {
			return err
		}
		if pending, err = st.PendingDigests(ctx); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("digest store %s: %w", path, err)
	}
	if o.format == "json" {
		type row struct {
			Topic         string    `json:"topic"`
			StartedAt     time.Time `json:"started_at"`
			FinishedAt    time.Time `json:"finished_at"`
			Fetched       int       `json:"fetched"`
			New           int       `json:"new"`
			Sources       int       `json:"sources"`
			SourcesFailed int       `json:"sources_failed"`
			Degraded      string    `json:"degraded"`
		}
		rows := make([]row, 0, len(runs))
		for _, r := range runs {
			rows = append(rows, row{r.Topic, r.StartedAt, r.FinishedAt, r.Fetched, r.New, r.Sources, r.SourcesFailed, r.Degraded})
		}
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(runs) == 0 {
		fmt.Fprintf(ios.Err, "research: no digest runs recorded in %s\n", path)
		return nil
	}
	tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED (UTC)\tTOOK\tTOPIC\tFETCHED\tNEW\tSOURCES FAILED\tANALYSIS")
	for _, r := range runs {
		analysis := "ok"
		if r.Degraded != "" {
			analysis = r.Degraded
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d of %d\t%s\n", r.StartedAt.UTC().Format("2006-01-02 15:04"),
			r.FinishedAt.Sub(r.StartedAt).Round(100*time.Millisecond), r.Topic, r.Fetched, r.New, r.SourcesFailed, r.Sources, analysis)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// What the next run will retry first.
	for _, d := range pending {
		for _, dl := range d.Deliveries {
			if dl.State != store.DeliveryPending {
				continue
			}
			why := "not tried yet"
			if dl.Attempts > 0 {
				why = fmt.Sprintf("%s, last: %s", render.Plural(dl.Attempts, "failed attempt"), textsafe.Line(dl.LastError))
			}
			fmt.Fprintf(ios.Out, "pending: digest %d of %s (%s) for %s: %s\n", d.ID, d.CreatedAt.UTC().Format("2006-01-02 15:04"),
				render.Plural(d.New, "new article"), dl.Target, why)
		}
	}
	return nil
}

func newTestDelivery(ios IO) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:     "test-delivery",
		Short:   "Send a one-line test message to each digest target and report each result",
		Example: `  research digest test-delivery --config ~/.config/research/digest.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTestDelivery(cmd.Context(), ios, configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML config `FILE` (for digest.targets)")
	return cmd
}

// ErrTestDelivery is returned when a target did not take the test message.
var ErrTestDelivery = errors.New("test delivery failed")

func runTestDelivery(ctx context.Context, ios IO, configPath string) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return usageError{err}
	}
	if len(cfg.Digest.Targets) == 0 {
		return usageError{errors.New("the config lists no digest.targets: digests go to stdout (see docs/digests.md)")}
	}
	targets, err := deliver.FromConfig(cfg.Digest.Targets, deliver.Env(ios.env), "research/"+Version)
	if err != nil {
		return usageError{err}
	}
	host, _ := os.Hostname()
	now := time.Now()
	msg := deliver.TestMessage(fmt.Sprintf("research: test delivery from %s at %s", host, digest.FormatWhen(now)), now)
	failed := 0
	for i, t := range targets {
		err := t.Deliver(ctx, msg)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			failed++
			fmt.Fprintf(ios.Out, "✗ %s (%s): %s\n", t.Name(), cfg.Digest.Targets[i].Kind, textsafe.Line(err.Error()))
			continue
		}
		fmt.Fprintf(ios.Out, "✓ %s (%s): delivered\n", t.Name(), cfg.Digest.Targets[i].Kind)
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d targets", ErrTestDelivery, failed, len(targets))
	}
	return nil
}
