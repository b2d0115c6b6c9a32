package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/research-cli/research/jobs/schedule"
	"github.com/research-cli/research/store"
)

// Digest is one digest a schedule runs.
type Digest struct {
	Name   string
	Topics []string
}

// Plan is one schedule and the digests it runs on each slot.
type Plan struct {
	// Name identifies the schedule across workers (the config's digest or group name).
	Name     string
	Schedule schedule.Schedule
	Digests  []Digest
}

// Builder researches and renders one digest; the CLI implements it with the
// code of `research digest`, so the job and the one-shot command are one.
type Builder interface {
	Build(ctx context.Context, req BuildRequest) (*Built, error)
}

// BuildRequest is one attempt at one digest.
type BuildRequest struct {
	Args DigestArgs
	// Store is read for what was already sent; the job writes the records.
	Store store.Digests
	// Final is true on the last attempt: a digest whose sources all failed is
	// then built and sent as such rather than failing again.
	Final bool
}

// Built is a digest ready to record: the outbox's pending digest (its
// bodies, targets, runs and items), or only the runs when nothing is new.
type Built struct {
	// Pending is nil when there is nothing to deliver (nothing new).
	Pending *store.PendingDigest
	// Runs are recorded when Pending is nil.
	Runs []store.Run
	// New counts the articles listed.
	New int
}

// Deliverer hands an outbox digest to one of its targets. It is retried with
// backoff on error; a target recognises a repeat by the digest's key
// (Message-ID, Idempotency-Key, file name).
type Deliverer interface {
	Deliver(ctx context.Context, target string, d store.OutboxDigest) error
}

// Options configure a worker.
type Options struct {
	// ID names this worker in the queue (default host-pid).
	ID     string
	Logger *slog.Logger
	Plans  []Plan

	Builder   Builder
	Deliverer Deliverer

	// DigestWorkers is how many digests run at once in this process (default 2).
	DigestWorkers int
	// DeliveryWorkers is how many deliveries run at once (default 4).
	DeliveryWorkers int
	// DigestTimeout bounds one attempt at a digest (default 90 s).
	DigestTimeout time.Duration
	// DeliveryTimeout bounds one attempt at a delivery (default 60 s).
	DeliveryTimeout time.Duration
	// RescueAfter is when a job still running (its worker died) is handed to
	// another worker; at least both timeouts (default: the longer timeout + 30 s).
	RescueAfter time.Duration
	// DigestAttempts and DeliveryAttempts bound the attempts (default 5 and 10).
	DigestAttempts, DeliveryAttempts int
	// Grace is how long a stopping worker lets running jobs finish before
	// cancelling them, which hands them back to the queue (default 30 s).
	Grace time.Duration
	// PollInterval is how often an idle worker looks for jobs (default 1 s).
	PollInterval time.Duration
	// RetryDelay, when set, replaces River's attempt⁴ s backoff (tests).
	RetryDelay func(attempt int) time.Duration
}

func (o *Options) defaults() error {
	if o.ID == "" {
		host, _ := os.Hostname()
		o.ID = fmt.Sprintf("%s-%d", sanitizeID(host), os.Getpid())
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DigestWorkers <= 0 {
		o.DigestWorkers = 2
	}
	if o.DeliveryWorkers <= 0 {
		o.DeliveryWorkers = 4
	}
	if o.DigestTimeout <= 0 {
		o.DigestTimeout = 90 * time.Second
	}
	if o.DeliveryTimeout <= 0 {
		o.DeliveryTimeout = 60 * time.Second
	}
	longest := max(o.DigestTimeout, o.DeliveryTimeout)
	if o.RescueAfter <= 0 {
		o.RescueAfter = longest + 30*time.Second
	}
	if o.RescueAfter < longest {
		return fmt.Errorf("the rescue delay %s is shorter than a job's timeout %s: a slow job would run twice", o.RescueAfter, longest)
	}
	if o.DigestAttempts <= 0 {
		o.DigestAttempts = 5
	}
	if o.DeliveryAttempts <= 0 {
		o.DeliveryAttempts = 10
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Builder == nil || o.Deliverer == nil {
		return errors.New("a worker needs a builder and a deliverer")
	}
	names := map[string]bool{}
	for _, p := range o.Plans {
		if names[p.Name] {
			return fmt.Errorf("schedule %q is defined twice", p.Name)
		}
		names[p.Name] = true
	}
	return nil
}

func sanitizeID(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

// backend is one database holding River's tables and the digest store, with
// what the generic job code cannot spell itself.
type backend[TTx any] struct {
	kind   string // "sqlite" or "postgres"
	where  string // the file or the redacted URL, for messages
	driver riverdriver.Driver[TTx]
	store  store.Digests
	begin  func(ctx context.Context) (TTx, error)
	commit func(ctx context.Context, tx TTx) error
	undo   func(ctx context.Context, tx TTx) error
	// The store's writes inside the queue's transactions.
	recordPending func(ctx context.Context, tx TTx, d store.PendingDigest) (int64, error)
	recordRuns    func(ctx context.Context, tx TTx, runs []store.Run) error
	markDelivered func(ctx context.Context, tx TTx, digestID int64, target string) (bool, error)
	close         func() error
}

// inTx runs fn in a transaction and commits it.
func (b *backend[TTx]) inTx(ctx context.Context, fn func(tx TTx) error) error {
	tx, err := b.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = b.undo(context.WithoutCancel(ctx), tx)
		return err
	}
	return b.commit(ctx, tx)
}

func (b *backend[TTx]) migrate(ctx context.Context, log *slog.Logger) error {
	m, err := rivermigrate.New(b.driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("migrate the job queue in %s: %w", b.where, err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate the job queue in %s: %w", b.where, err)
	}
	for _, v := range res.Versions {
		log.Info("queue migration applied", "version", v.Version, "name", v.Name, "database", b.where)
	}
	return nil
}

func (b *backend[TTx]) validate(ctx context.Context) error {
	m, err := rivermigrate.New(b.driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("the job queue in %s: %w (run: research migrate --database …)", b.where, err)
	}
	if !res.OK {
		return fmt.Errorf("the job queue in %s %w (run: research migrate --database …): %s", b.where, errNotMigrated, strings.Join(res.Messages, "; "))
	}
	return nil
}

var errNotMigrated = errors.New("is not migrated")

// runWorker starts a River client with the digest workers and the
// schedules, and runs it until ctx is done; then it stops fetching, lets the
// running jobs finish for o.Grace, cancels those still running (River hands
// them back to the queue without counting the attempt), and returns nil.
func runWorker[TTx any](ctx context.Context, b *backend[TTx], o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	log := o.Logger.With("worker", o.ID)
	client, err := newClient(b, o, log)
	if err != nil {
		return err
	}
	// Start with a context that outlives ctx: the stop below needs the client.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the worker on %s: %w", b.where, err)
	}
	log.Info("worker started", "database", b.kind, "where", b.where, "schedules", len(o.Plans),
		"digest_workers", o.DigestWorkers, "digest_timeout", o.DigestTimeout, "rescue_after", o.RescueAfter)
	select {
	case <-ctx.Done():
	case <-client.Stopped():
		return errors.New("the worker stopped by itself")
	}
	log.Info("stopping: no new jobs; running ones get a grace period", "grace", o.Grace)
	soft, cancel := context.WithTimeout(context.Background(), o.Grace)
	defer cancel()
	if err := client.Stop(soft); err == nil {
		log.Info("worker stopped")
		return nil
	}
	log.Warn("grace period over: cancelling running jobs, which go back to the queue")
	hard, cancel2 := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel2()
	if err := client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("stop the worker: %w", err)
	}
	log.Info("worker stopped")
	return nil
}

func newClient[TTx any](b *backend[TTx], o Options, log *slog.Logger) (*river.Client[TTx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &digestWorker[TTx]{b: b, o: o, log: log}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &deliveryWorker[TTx]{b: b, o: o, log: log}); err != nil {
		return nil, err
	}
	plans := map[string]Plan{}
	var periodic []*river.PeriodicJob
	retention := 24 * time.Hour
	for _, p := range o.Plans {
		plans[p.Name] = p
		p := p
		// The fan-out runs on start too, so that a new leader fires the
		// current slot at once; uniqueness makes the repeat harmless.
		periodic = append(periodic, river.NewPeriodicJob(p.Schedule, func() (river.JobArgs, *river.InsertOpts) {
			return ScheduleArgs{Schedule: p.Name, Slot: firingSlot(p.Schedule, time.Now())}, &river.InsertOpts{
				Queue: QueueSchedule, MaxAttempts: o.DigestAttempts,
				UniqueOpts: river.UniqueOpts{ByArgs: true},
			}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "schedule:" + p.Name}))
		// A finished job's row keeps its period unique: keep it for longer
		// than the period, or a worker starting late in a long period would
		// run that period's digest again.
		retention = max(retention, p.Schedule.Longest(time.Now())+time.Hour)
	}
	if err := river.AddWorkerSafely(workers, &scheduleWorker[TTx]{b: b, o: o, plans: plans, log: log}); err != nil {
		return nil, err
	}
	cfg := &river.Config{
		ID:                          o.ID,
		Logger:                      slog.New(minLevel{log.With("component", "river").Handler(), slog.LevelWarn}),
		Workers:                     workers,
		PeriodicJobs:                periodic,
		JobTimeout:                  max(o.DigestTimeout, o.DeliveryTimeout),
		RescueStuckJobsAfter:        o.RescueAfter,
		MaxAttempts:                 o.DigestAttempts,
		CompletedJobRetentionPeriod: retention,
		FetchPollInterval:           o.PollInterval,
		FetchCooldown:               min(10*time.Millisecond, o.PollInterval),
		Queues: map[string]river.QueueConfig{
			QueueSchedule: {MaxWorkers: 1},
			QueueDigest:   {MaxWorkers: o.DigestWorkers},
			QueueDelivery: {MaxWorkers: o.DeliveryWorkers},
		},
	}
	if o.RetryDelay != nil {
		cfg.RetryPolicy = retryPolicy(o.RetryDelay)
	}
	c, err := river.NewClient(b.driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("configure the worker: %w", err)
	}
	return c, nil
}

type retryPolicy func(int) time.Duration

func (r retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(r(job.Attempt))
}

// digestWorker runs one digest of one period. Its records, its deliveries
// and its own completion commit in one transaction: either the digest is
// remembered, queued for delivery and done, or none of it.
type digestWorker[TTx any] struct {
	river.WorkerDefaults[DigestArgs]
	b   *backend[TTx]
	o   Options
	log *slog.Logger
}

func (w *digestWorker[TTx]) Timeout(*river.Job[DigestArgs]) time.Duration { return w.o.DigestTimeout }

func (w *digestWorker[TTx]) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	a := job.Args
	log := w.log.With("job", job.ID, "kind", KindDigest, "digest", a.Digest, "period", a.Period.UTC().Format(time.RFC3339), "attempt", job.Attempt)
	log.Info("digest started", "topics", len(a.Topics))
	start := time.Now()
	built, err := w.o.Builder.Build(ctx, BuildRequest{Args: a, Store: w.b.store, Final: job.Attempt >= job.MaxAttempts})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // a build that returned after its deadline is not trusted
	}
	if err != nil {
		log.Warn("digest failed", "error", err, "took", time.Since(start).Round(time.Millisecond))
		return err
	}
	client := river.ClientFromContext[TTx](ctx)
	var digestID int64
	targets := 0
	err = w.b.inTx(ctx, func(tx TTx) error {
		if built.Pending == nil {
			if err := w.b.recordRuns(ctx, tx, built.Runs); err != nil {
				return err
			}
		} else {
			id, err := w.b.recordPending(ctx, tx, *built.Pending)
			if err != nil {
				return err
			}
			digestID, targets = id, len(built.Pending.Targets)
			if targets > 0 {
				params := make([]river.InsertManyParams, 0, targets)
				for _, t := range built.Pending.Targets {
					params = append(params, river.InsertManyParams{
						Args: DeliveryArgs{DigestID: id, Target: t, Digest: a.Digest, Period: a.Period.UTC(), Key: built.Pending.Key},
						InsertOpts: &river.InsertOpts{Queue: QueueDelivery, MaxAttempts: w.o.DeliveryAttempts,
							UniqueOpts: river.UniqueOpts{ByArgs: true}},
					})
				}
				if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
					return fmt.Errorf("queue the deliveries: %w", err)
				}
			}
		}
		_, err := river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, tx, job)
		return err
	})
	if err != nil {
		log.Warn("digest not recorded", "error", err)
		return fmt.Errorf("record digest %s: %w", a.Digest, err)
	}
	if built.Pending == nil {
		log.Info("digest done: nothing new, nothing to deliver", "took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	log.Info("digest done", "new", built.New, "outbox_id", digestID, "deliveries", targets, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// deliveryWorker hands one document to one target.
type deliveryWorker[TTx any] struct {
	river.WorkerDefaults[DeliveryArgs]
	b   *backend[TTx]
	o   Options
	log *slog.Logger
}

func (w *deliveryWorker[TTx]) Timeout(*river.Job[DeliveryArgs]) time.Duration {
	return w.o.DeliveryTimeout
}

func (w *deliveryWorker[TTx]) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	a := job.Args
	log := w.log.With("job", job.ID, "kind", KindDelivery, "digest", a.Digest, "period", a.Period.UTC().Format(time.RFC3339),
		"target", a.Target, "outbox_id", a.DigestID, "attempt", job.Attempt)
	d, err := w.b.store.OutboxDigest(ctx, a.DigestID)
	if err != nil {
		return err
	}
	pending := false
	for _, dl := range d.Deliveries {
		if dl.Target == a.Target && dl.State == store.DeliveryPending {
			pending = true
		}
	}
	if !pending {
		// Delivered (or dropped) already: a repeat of a job whose completion was lost.
		log.Info("already delivered")
		return nil
	}
	if err := w.o.Deliverer.Deliver(ctx, a.Target, d); err != nil {
		log.Warn("delivery failed", "error", err)
		if merr := w.b.store.MarkFailed(context.WithoutCancel(ctx), nil, a.DigestID, a.Target, err.Error()); merr != nil {
			log.Warn("could not record the failed delivery", "error", merr)
		}
		return err
	}
	// The target has it: the one window where it could get it twice is a
	// crash before this transaction commits (the key makes the copy recognisable).
	var done bool
	err = w.b.inTx(context.WithoutCancel(ctx), func(tx TTx) error {
		var err error
		if done, err = w.b.markDelivered(ctx, tx, a.DigestID, a.Target); err != nil {
			return err
		}
		_, err = river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, tx, job)
		return err
	})
	if err != nil {
		log.Warn("delivered, but not recorded", "error", err)
		return err
	}
	log.Info("delivered", "new", d.New, "digest_delivered", done)
	return nil
}

// scheduleWorker fans one schedule's slot out into its digest jobs.
type scheduleWorker[TTx any] struct {
	river.WorkerDefaults[ScheduleArgs]
	b     *backend[TTx]
	o     Options
	plans map[string]Plan
	log   *slog.Logger
}

func (w *scheduleWorker[TTx]) Timeout(*river.Job[ScheduleArgs]) time.Duration { return time.Minute }

func (w *scheduleWorker[TTx]) Work(ctx context.Context, job *river.Job[ScheduleArgs]) error {
	a := job.Args
	log := w.log.With("job", job.ID, "kind", KindSchedule, "schedule", a.Schedule, "slot", a.Slot.UTC().Format(time.RFC3339))
	p, ok := w.plans[a.Schedule]
	if !ok {
		// Another worker's config has a schedule this one lacks.
		return river.JobCancel(fmt.Errorf("schedule %q is not in this worker's config", a.Schedule))
	}
	client := river.ClientFromContext[TTx](ctx)
	inserted, skipped := 0, 0
	err := w.b.inTx(ctx, func(tx TTx) error {
		res, err := client.InsertManyTx(ctx, tx, digestParams(p, a.Slot, w.o.DigestAttempts))
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.UniqueSkippedAsDuplicate {
				skipped++
			} else {
				inserted++
			}
		}
		_, err = river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, tx, job)
		return err
	})
	if err != nil {
		return fmt.Errorf("schedule %s: %w", a.Schedule, err)
	}
	log.Info("schedule fired", "digests", inserted, "already_queued", skipped)
	return nil
}

// firingMargin covers River firing a periodic job up to 100 ms before its
// time: without it, a firing just before 07:00 would name the previous
// period (already done, so skipped as a duplicate) and the new one would be
// missed.
const firingMargin = time.Second

// firingSlot is the period a schedule firing at now is for.
func firingSlot(s schedule.Schedule, now time.Time) time.Time {
	return s.Slot(now.Add(firingMargin))
}

// digestParams are the digest jobs of one slot of p: scheduled at the slot,
// unique by (digest, period).
func digestParams(p Plan, slot time.Time, attempts int) []river.InsertManyParams {
	slot = slot.UTC()
	out := make([]river.InsertManyParams, 0, len(p.Digests))
	for _, d := range p.Digests {
		out = append(out, river.InsertManyParams{
			Args: DigestArgs{Digest: d.Name, Topics: d.Topics, Period: slot},
			InsertOpts: &river.InsertOpts{Queue: QueueDigest, MaxAttempts: attempts, ScheduledAt: slot,
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: p.Schedule.UniquePeriod()}},
		})
	}
	return out
}

// minLevel drops records below level: River reports every maintenance run
// at info, which would drown the worker's own lines.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}
