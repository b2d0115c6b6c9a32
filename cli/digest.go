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
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/orchestrator/isolation"
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
}

func newDigest(ios IO) *cobra.Command {
	o := &digestOptions{}
	cmd := &cobra.Command{
		Use:   "digest [flags]",
		Short: "Research each digest topic and list only what is new since the last digest",
		Long: `digest researches every topic of the config's digest section (or each --topic) and lists,
per topic, only the articles not already sent in an earlier digest: recognised by canonical URL
and by normalised title, duplicates folded, the same story never twice in one digest, at most
--max-items per topic in the analysis' ranking order. When a topic has nothing new, it says why.

What was sent is remembered in a SQLite file (--store; default
$XDG_DATA_HOME/research/digests.db), written only after the digest was printed. Run it from cron
or a systemd timer and mail the Markdown or HTML; see docs/digests.md.`,
		Example: `  research digest --topic "sparse attention" --topic "rust async runtimes"
  research digest --config digest.yaml --format html > digest.html
  research digest --dry-run            # show what is new without remembering it
  research digest history`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDigest(cmd, ios, o)
		},
	}
	o.q.bindRun(cmd, ios, runFlagSpec{formats: []string{"text", "markdown", "html", "json"},
		limitUsage: "new articles listed per topic (default: digest.max_items, 10; 0: all)",
		timeout:    "`DURATION` limit of each topic's fetch stage (default 45s)"})
	f := cmd.Flags()
	f.StringArrayVarP(&o.topics, "topic", "t", nil, "a topic to research (repeatable; default: the config's digest.topics)")
	f.StringVar(&o.store, "store", "", "SQLite `FILE` of what was sent (default: digest.store, else $XDG_DATA_HOME/research/digests.db)")
	f.IntVar(&o.q.limit, "max-items", 0, "the old name of --limit")
	_ = f.MarkHidden("max-items")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the digest but remember nothing")
	durationVar(f, &o.since, "since", "", "ignore articles published longer ago than this `DURATION` (e.g. 48h, 2d, 1w)")
	cmd.AddCommand(newDigestHistory(ios))
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

	// The store is opened before any fetching, so a bad path fails at once.
	// A dry run never creates it: a missing store means nothing was sent yet.
	var st *store.Store
	if _, statErr := os.Stat(path); !o.dryRun || statErr == nil || !errors.Is(statErr, fs.ErrNotExist) {
		st, err = store.Open(ctx, path)
		if err != nil {
			return err
		}
		defer st.Close()
	}

	obs := &topicObserver{}
	p, err := newPipeline(cfg, pipelineOptions{observer: obs})
	if err != nil {
		return err
	}
	defer p.Close()

	run := &digestRun{ios: ios, p: p, obs: obs, nsrc: len(cfg.Sources), debug: o.q.debug, verbose: o.q.verbose}
	if st != nil {
		run.st = st
	}
	inputs, err := run.research(ctx, topics)
	if err != nil {
		return err
	}

	d := digest.Build(inputs, digest.Options{MaxItems: maxItems, Since: o.since, Now: time.Now()})
	// Render fully before writing, so a rendering error prints nothing; and
	// remember only once the document was written.
	var buf bytes.Buffer
	if err := digest.Write(&buf, d, format); err != nil {
		return err
	}
	if _, err := ios.Out.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write the digest: %w", err)
	}
	if o.dryRun {
		fmt.Fprintf(ios.Err, "research: dry run: %d new articles not recorded in %s\n", d.New, path)
		return nil
	}
	recs, remembered := digestRecords(d, inputs)
	if _, err := st.Commit(ctx, recs); err != nil {
		return err
	}
	if o.q.verbose || o.q.debug {
		fmt.Fprintf(ios.Err, "research: %d new articles listed; %d articles remembered as sent in %s\n", d.New, remembered, path)
	}
	return nil
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
	if _, err := os.Stat(path); err == nil {
		st, err := store.Open(ctx, path)
		if err != nil {
			return err
		}
		defer st.Close()
		if runs, err = st.Runs(ctx, strings.TrimSpace(o.topic), o.limit); err != nil {
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
	return tw.Flush()
}
