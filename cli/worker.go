package cli

import (
	"bytes"
	"context"
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
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/jobs"
	"github.com/research-cli/research/jobs/schedule"
	"github.com/research-cli/research/render"
)

// workerOptions are the flags of research worker.
type workerOptions struct {
	configPath string
	database   string
	deliverTo  string
	format     string
	always     bool
	logFormat  string
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
	f.StringVar(&o.deliverTo, "deliver-to", "", "`DIR` that receives each digest as a file (default: digests/ beside the digest store)")
	f.StringVarP(&o.format, "format", "f", "markdown", "delivered digest `format`: text, markdown, html or json")
	f.BoolVar(&o.always, "always", false, "deliver a digest even when it lists nothing new")
	f.StringVar(&o.logFormat, "log-format", "text", "log lines on stderr: text or json")
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("delivery directory: %w", err)
	}
	db, err := jobs.Open(ctx, database, !jobs.IsPostgres(database), log)
	if err != nil {
		return err
	}
	defer db.Close()
	if len(plans) == 0 {
		log.Warn("no schedule in the config (digest.schedule, digest.groups): this worker only works the queue")
	}
	opts := o.Options
	opts.Logger = log
	opts.Plans = plans
	opts.Builder = &jobBuilder{cfg: cfg, ios: ios, format: format, always: o.always, targets: []string{"file:" + dir}}
	opts.Deliverer = fileDeliverer{log: log}
	return db.Run(ctx, opts)
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

// jobBuilder builds a digest job's digest with the code of research digest.
type jobBuilder struct {
	cfg     *config.Config
	ios     IO
	format  render.Format
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
	run := &digestRun{ios: quiet, p: p, obs: obs, st: req.Store, nsrc: len(b.cfg.Sources)}
	inputs, err := run.research(ctx, req.Args.Topics)
	if err != nil {
		return nil, err
	}
	d := digest.Build(inputs, digest.Options{MaxItems: b.cfg.Digest.MaxItems, Now: time.Now()})
	if !req.Final && noSourceAnswered(d) {
		return nil, errNoSource
	}
	recs, _ := digestRecords(d, inputs)
	out := &jobs.Built{Records: recs, New: d.New}
	if d.New == 0 && !b.always {
		return out, nil
	}
	var buf bytes.Buffer
	if err := digest.Write(&buf, d, b.format); err != nil {
		return nil, err
	}
	for _, t := range b.targets {
		out.Deliveries = append(out.Deliveries, jobs.Delivery{Target: t, Format: string(b.format), Document: buf.Bytes()})
	}
	return out, nil
}

func noSourceAnswered(d *digest.Digest) bool {
	for _, t := range d.Topics {
		if t.Sources == 0 || len(t.FailedSources) < t.Sources {
			return false
		}
	}
	return len(d.Topics) > 0
}

// fileDeliverer writes each digest into a directory, one file per digest and
// period, exactly once: the file appears whole (temp file, then a hard link
// that fails if the name exists), and a repeat finds it there.
type fileDeliverer struct{ log *slog.Logger }

func (f fileDeliverer) Deliver(ctx context.Context, a jobs.DeliveryArgs) error {
	dir, ok := strings.CutPrefix(a.Target, "file:")
	if !ok {
		return fmt.Errorf("target %q: this worker delivers to file: targets only", a.Target)
	}
	if a.Name == "" || filepath.Base(a.Name) != a.Name || strings.HasPrefix(a.Name, ".") {
		return fmt.Errorf("target %s: bad file name %q", dir, a.Name)
	}
	final := filepath.Join(dir, a.Name)
	if _, err := os.Stat(final); err == nil {
		f.log.Info("already delivered", "file", final)
		return nil
	}
	tmp, err := os.CreateTemp(dir, ".delivery-*")
	if err != nil {
		return fmt.Errorf("deliver to %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(a.Document); err != nil {
		tmp.Close()
		return fmt.Errorf("deliver to %s: %w", dir, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("deliver to %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("deliver to %s: %w", dir, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, os.ErrExist) {
			f.log.Info("already delivered", "file", final)
			return nil
		}
		return fmt.Errorf("deliver to %s: %w", dir, err)
	}
	return nil
}
