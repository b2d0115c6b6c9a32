package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/jobs"
	"github.com/research-cli/research/jobs/schedule"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/outbox"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/store"
)

// workerOptions are the flags of research worker.
type workerOptions struct {
	configPath string
	database   string
	deliverTo  string
	format     string
	always     bool
	logFormat  string
	wait       time.Duration
	jobs.Options
}

func newWorker(ios IO) *cobra.Command {
	o := &workerOptions{}
	cmd := &cobra.Command{
		Use:   "worker [flags]",
		Short: "Run the config's digest schedules and work the digest queue until stopped",
		Long: `worker is a long-running process that runs the digest schedules of the config
(digest.schedule, digest.groups[].schedule: a cron expression or an interval) and works the
queue of digest jobs: one job per digest and period, however many workers run, each
recorded in the digest store together with its completion, then delivered by a job of
its own that is retried with backoff.

The default database is the digest store's SQLite file: one command replaces cron on one
machine, with no service to install. --database postgres://… joins a shared queue: run as
many workers on as many machines as needed (after research migrate --database …).

SIGTERM or Ctrl-C: no new jobs are taken, running ones get --grace to finish, those still
running are handed back to the queue, and the worker exits 0. A worker that dies (kill -9,
power loss) has its jobs handed to the others after --rescue-after. Logs are structured
lines on stderr. See docs/scale-out.md.`,
		Example: `  research worker                                   # SQLite: the digest store's file
  research worker --database postgres://research@db/research --id "$(hostname)"
  research jobs                                     # what is scheduled, running, failed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWorkerCmd(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "YAML config `FILE` (default: the user's config file)")
	f.StringVar(&o.database, "database", "", "queue and store `URL`: postgres://… or a SQLite file (default: the digest store)")
	f.StringVar(&o.deliverTo, "deliver-to", "", "without digest.targets in the config: `DIR` that receives each digest as a file (default: digests/ beside the digest store)")
	f.StringVarP(&o.format, "format", "f", "markdown", "format of the --deliver-to files: text, markdown, html or json")
	f.BoolVar(&o.always, "always", false, "deliver a digest even when it lists nothing new")
	f.StringVar(&o.logFormat, "log-format", "text", "log lines on stderr: text or json")
	f.DurationVar(&o.wait, "wait", 0, "SQLite: wait up to `DURATION` for another worker or digest run on the store to finish (default: fail at once)")
	f.StringVar(&o.ID, "id", "", "this worker's name in the queue (default host-pid)")
	f.IntVar(&o.DigestWorkers, "digest-workers", 2, "digests run at once by this worker")
	f.DurationVar(&o.DigestTimeout, "digest-timeout", 90*time.Second, "deadline of one attempt at a digest")
	f.DurationVar(&o.DeliveryTimeout, "delivery-timeout", 60*time.Second, "deadline of one attempt at a delivery")
	f.DurationVar(&o.RescueAfter, "rescue-after", 0, "hand a dead worker's job to another after this (default: the longer timeout + 30s)")
	f.IntVar(&o.DigestAttempts, "digest-attempts", 5, "attempts at a digest before it is given up")
	f.IntVar(&o.DeliveryAttempts, "delivery-attempts", 10, "attempts at a delivery before it is given up")
	f.DurationVar(&o.Grace, "grace", 30*time.Second, "on SIGTERM, how long running jobs may finish before they are handed back")
	f.DurationVar(&o.PollInterval, "poll", time.Second, "how often an idle worker looks for jobs")
	return cmd
}

// newLogger writes structured lines to w.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: use text or json", format)}
}

// databaseOf is the --database flag, else the digest store's SQLite file.
func databaseOf(ios IO, flag string, cfg *config.Config) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return storePath(ios, "", cfg)
}

func runWorkerCmd(ctx context.Context, ios IO, o *workerOptions) error {
	format, err := render.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	log, err := newLogger(ios.Err, o.logFormat)
	if err != nil {
		return err
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return usageError{err}
	}
	plans, err := plansOf(cfg)
	if err != nil {
		return usageError{err}
	}
	database, err := databaseOf(ios, o.database, cfg)
	if err != nil {
		return err
	}
	dir := o.deliverTo
	if dir == "" {
		sp, err := storePath(ios, "", cfg)
		if err != nil {
			return err
		}
		dir = filepath.Join(filepath.Dir(sp), "digests")
	}
	targets, err := workerTargets(ios, cfg, dir, format)
	if err != nil {
		return err
	}
	byName := targetDeliverer{}
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		byName[t.Name()] = t
		names = append(names, t.Name())
	}
	db, err := jobs.Open(ctx, database, !jobs.IsPostgres(database), log)
	if err != nil {
		return err
	}
	defer db.Close()
	// On SQLite the worker holds the store's digest lease while it runs, like
	// a research digest run: a second worker or a research digest on the same
	// file is refused, naming this process, instead of delivering its pending
	// digests twice. A killed worker's lease is taken over at once on the same
	// host (its pid is gone), else when it expires.
	if st, ok := db.Store().(*store.Store); ok {
		lease, err := st.WaitLease(ctx, store.DigestLease, store.DefaultLeaseTTL, o.wait, 250*time.Millisecond)
		if err != nil {
			return err
		}
		var stop func()
		ctx, stop = heartbeat(ctx, st, lease, store.DefaultLeaseTTL)
		defer func() {
			stop()
			_ = st.ReleaseLease(context.WithoutCancel(ctx), lease)
		}()
	}
	if len(plans) == 0 {
		log.Warn("no schedule in the config (digest.schedule, digest.groups): this worker only works the queue")
	}
	opts := o.Options
	opts.Logger = log
	opts.Plans = plans
	opts.Builder = &jobBuilder{cfg: cfg, ios: ios, always: o.always, targets: names}
	opts.Deliverer = byName
	log.Info("delivering", "targets", names)
	if err := db.Run(ctx, opts); err != nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, store.ErrLeaseLost) {
		return fmt.Errorf("stopped: %w", cause)
	}
	return nil
}

// plansOf turns the config's schedules into the worker's plans.
func plansOf(cfg *config.Config) ([]jobs.Plan, error) {
	var plans []jobs.Plan
	add := func(name, spec string, topics []string, perTopic bool) error {
		s, err := schedule.Parse(spec)
		if err != nil {
			return fmt.Errorf("schedule of %s: %w", name, err)
		}
		topics = cleanTopics(topics)
		if len(topics) == 0 {
			return fmt.Errorf("digest %s has a schedule but no topics", name)
		}
		p := jobs.Plan{Name: name, Schedule: s}
		if perTopic {
			for _, t := range topics {
				p.Digests = append(p.Digests, jobs.Digest{Name: name + "/" + t, Topics: []string{t}})
			}
		} else {
			p.Digests = []jobs.Digest{{Name: name, Topics: topics}}
		}
		plans = append(plans, p)
		return nil
	}
	if cfg.Digest.Schedule != "" {
		if err := add(config.DefaultDigest, cfg.Digest.Schedule, cfg.Digest.Topics, cfg.Digest.PerTopic); err != nil {
			return nil, err
		}
	}
	for _, g := range cfg.Digest.Groups {
		if err := add(strings.TrimSpace(g.Name), g.Schedule, g.Topics, g.PerTopic); err != nil {
			return nil, err
		}
	}
	return plans, nil
}

// jobBuilder builds a digest job's digest with the code of research digest
// (outbox.Build over digestRun.topic), and makes it the outbox's pending
// digest for the worker's targets.
type jobBuilder struct {
	cfg     *config.Config
	ios     IO
	always  bool
	targets []string
}

// errNoSource fails an attempt whose every source failed, so that it is
// retried later rather than delivered as a digest of failures.
var errNoSource = errors.New("no source answered for any topic")

func (b *jobBuilder) Build(ctx context.Context, req jobs.BuildRequest) (*jobs.Built, error) {
	obs := &topicObserver{}
	p, err := newPipeline(b.cfg, pipelineOptions{observer: obs})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	// Progress never goes to a worker's stderr: its logs are structured.
	quiet := IO{In: b.ios.In, Out: io.Discard, Err: io.Discard, Getenv: b.ios.Getenv}
	run := &digestRun{ios: quiet, p: p, obs: obs, nsrc: len(b.cfg.Sources)}
	research := func(ctx context.Context, topic string) (*models.Result, error) {
		in, err := run.topic(ctx, topic)
		if err != nil {
			return nil, err
		}
		return in.Result, nil
	}
	built, err := outbox.Build(ctx, req.Store, research, outbox.BuildOptions{Topics: req.Args.Topics, MaxItems: b.cfg.Digest.MaxItems})
	if err != nil {
		return nil, err
	}
	d := built.Digest
	if !req.Final && noSourceAnswered(d) {
		return nil, errNoSource
	}
	recs := built.Records()
	out := &jobs.Built{New: d.New}
	if d.New == 0 && !b.always {
		for _, r := range recs {
			out.Runs = append(out.Runs, r.Run)
		}
		return out, nil
	}
	r, err := digest.Render(d)
	if err != nil {
		return nil, err
	}
	out.Pending = &store.PendingDigest{Key: digestKey(req.Args.Digest, req.Args.Period), Subject: d.Subject(), New: d.New,
		Bodies:  store.Bodies{Text: r.Text, Markdown: r.Markdown, HTML: r.HTML, JSON: r.JSON},
		Targets: b.targets, Records: recs}
	return out, nil
}

// digestKey identifies a digest of a period to its targets (Message-ID,
// Idempotency-Key, file name): the same for every attempt at that period,
// so a copy delivered twice is recognisable even across rebuilt attempts.
func digestKey(name string, period time.Time) string {
	h := sha256.Sum256([]byte(name + "\x00" + period.UTC().Format(time.RFC3339)))
	return hex.EncodeToString(h[:16])
}

func noSourceAnswered(d *digest.Digest) bool {
	for _, t := range d.Topics {
		if t.Sources == 0 || len(t.FailedSources) < t.Sources {
			return false
		}
	}
	return len(d.Topics) > 0
}

// targetDeliverer hands outbox digests to the config's targets by name.
type targetDeliverer map[string]deliver.Target

func (t targetDeliverer) Deliver(ctx context.Context, name string, d store.OutboxDigest) error {
	tg, ok := t[name]
	if !ok {
		return fmt.Errorf("target %q is not in this worker's config", name)
	}
	m := &deliver.Message{Key: d.Key, Subject: d.Subject, CreatedAt: d.CreatedAt, New: d.New,
		Text: d.Bodies.Text, Markdown: d.Bodies.Markdown, HTML: d.Bodies.HTML, JSON: d.Bodies.JSON}
	return tg.Deliver(ctx, m)
}

// workerTargets are the config's digest targets, or, when it has none, a
// file target into dir.
func workerTargets(ios IO, cfg *config.Config, dir string, format render.Format) ([]deliver.Target, error) {
	if len(cfg.Digest.Targets) > 0 {
		return deliver.FromConfig(cfg.Digest.Targets, deliver.Env(ios.env), "research/"+Version)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("delivery directory: %w", err)
	}
	return []deliver.Target{&deliver.File{TargetName: "files", Dir: dir, Format: string(format)}}, nil
}
