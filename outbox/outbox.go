// Package outbox runs a digest the way a scheduler needs it: reusable steps
// that a cron-driven `research digest` and a job queue's worker call alike.
//
//	DeliverPending  deliver every digest still pending, per target, before
//	                anything new is built (retried unchanged)
//	Build           research each topic and choose what is new
//	Record          render the digest and record it with its items as
//	                pending, in one transaction (or only the runs, when
//	                there is nothing new)
//	DeliverPending  deliver it; mark it delivered per target; its items are
//	                sent once every target took it
//
// Exactly once: an item is sent when the transaction that marks the last
// target delivered commits. The one window where a target can see a digest
// twice is a crash after the target accepted it and before that mark: the
// next run delivers it again with the same key (Idempotency-Key, Message-ID,
// file name), so the copy is recognisable. With a lease, every write is fenced
// by it, so a run that lost its lease writes nothing.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/store"
)

// Store is what the outbox needs of the digest store; *store.Store is one.
type Store interface {
	SeenFilter(ctx context.Context, topic string) (*store.Seen, error)
	LastRun(ctx context.Context, topic string) (store.Run, bool, error)
	RecordPending(ctx context.Context, l *store.Lease, d store.PendingDigest) (int64, error)
	RecordRuns(ctx context.Context, l *store.Lease, runs []store.Run) error
	PendingDigests(ctx context.Context) ([]store.OutboxDigest, error)
	MarkDelivered(ctx context.Context, l *store.Lease, digestID int64, target string) (bool, error)
	MarkFailed(ctx context.Context, l *store.Lease, digestID int64, target, why string) error
	DropDelivery(ctx context.Context, l *store.Lease, digestID int64, target, why string) (bool, error)
}

var _ Store = (*store.Store)(nil)

// Researcher runs the research pipeline for one topic.
type Researcher func(ctx context.Context, topic string) (*models.Result, error)

// BuildOptions tune Build.
type BuildOptions struct {
	Topics   []string
	MaxItems int
	Since    time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Built is a digest and the runs it came from.
type Built struct {
	Digest *digest.Digest
	Inputs []digest.Input
}

// Build researches every topic in order (what was sent or is pending for it
// loaded from st first) and chooses what is new. It stops with ctx's error as
// soon as ctx ends.
func Build(ctx context.Context, st Store, research Researcher, opts BuildOptions) (*Built, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	inputs := make([]digest.Input, 0, len(opts.Topics))
	for _, topic := range opts.Topics {
		in := digest.Input{Topic: topic}
		if st != nil {
			last, ok, err := st.LastRun(ctx, topic)
			if err != nil {
				return nil, err
			}
			if ok {
				in.LastRun = last.StartedAt
			}
			if in.Seen, err = st.SeenFilter(ctx, topic); err != nil {
				return nil, err
			}
		}
		in.StartedAt = now()
		res, err := research(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("topic %q: %w", topic, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in.FinishedAt = now()
		in.Result = res
		inputs = append(inputs, in)
	}
	d, err := digest.BuildContext(ctx, inputs, digest.Options{MaxItems: opts.MaxItems, Since: opts.Since, Now: now()})
	if err != nil {
		return nil, err
	}
	return &Built{Digest: d, Inputs: inputs}, nil
}

// Records are the store's records of a built digest: each topic's run and the
// items to mark sent once it is delivered.
func (b *Built) Records() []store.Record {
	recs := make([]store.Record, 0, len(b.Digest.Topics))
	for i, t := range b.Digest.Topics {
		in := b.Inputs[i]
		rec := store.Record{Run: store.Run{Topic: t.Topic, StartedAt: in.StartedAt, FinishedAt: in.FinishedAt,
			Fetched: t.Fetched, New: len(t.Items), Sources: t.Sources, SourcesFailed: len(t.FailedSources)}}
		if t.Degraded != nil {
			rec.Run.Degraded = t.Degraded.Reason
		}
		for _, it := range t.Remember {
			rec.Items = append(rec.Items, store.Item{CanonicalURL: it.CanonicalURL, TitleKey: it.TitleKey,
				ArticleID: it.ID, Title: it.Title, Source: it.Source})
		}
		recs = append(recs, rec)
	}
	return recs
}

// Recorded says what Record did.
type Recorded struct {
	// ID and Key identify the pending digest; 0 and "" when nothing new was
	// recorded (only the runs).
	ID  int64
	Key string
	// Items counts the items that will be sent with it.
	Items int
}

// Record renders the digest and records it as pending for targets, with its
// runs and items, in one transaction. When nothing is new in any topic and
// always is false, only the runs are recorded and Recorded.ID is 0.
func Record(ctx context.Context, st Store, l *store.Lease, b *Built, targets []string, always bool) (Recorded, error) {
	recs := b.Records()
	if b.Digest.New == 0 && !always {
		runs := make([]store.Run, len(recs))
		for i, r := range recs {
			runs[i] = r.Run
		}
		return Recorded{}, st.RecordRuns(ctx, l, runs)
	}
	r, err := digest.Render(b.Digest)
	if err != nil {
		return Recorded{}, err
	}
	items := 0
	for _, rec := range recs {
		items += len(rec.Items)
	}
	key := deliver.NewKey()
	id, err := st.RecordPending(ctx, l, store.PendingDigest{Key: key, Subject: b.Digest.Subject(), New: b.Digest.New,
		Bodies: store.Bodies{Text: r.Text, Markdown: r.Markdown, HTML: r.HTML, JSON: r.JSON}, Targets: targets, Records: recs})
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{ID: id, Key: key, Items: items}, nil
}

// TargetResult is one target's outcome for one digest.
type TargetResult struct {
	Target string
	// Err is why the delivery failed; nil when it succeeded or was dropped.
	Err error
	// Dropped is true when the target is no longer configured: the digest
	// is no longer owed to it.
	Dropped bool
}

// DigestResult is what DeliverPending did with one digest.
type DigestResult struct {
	ID      int64
	Key     string
	Subject string
	New     int
	Items   int
	Results []TargetResult
	// Delivered is true once every target has it: its items are sent.
	Delivered bool
}

// Report is DeliverPending's account, one entry per pending digest, oldest first.
type Report []DigestResult

// Failed lists the failed deliveries.
func (r Report) Failed() []string {
	var out []string
	for _, d := range r {
		for _, t := range d.Results {
			if t.Err != nil {
				out = append(out, fmt.Sprintf("digest %d: %v", d.ID, t.Err))
			}
		}
	}
	return out
}

// ErrDelivery is wrapped by DeliveryError.
var ErrDelivery = errors.New("delivery failed")

// DeliveryError says which deliveries failed; the digests stay pending.
type DeliveryError struct {
	Report Report
}

func (e *DeliveryError) Error() string {
	f := e.Report.Failed()
	return fmt.Sprintf("%d delivery failed, the digest stays pending and the next run retries it: %s",
		len(f), strings.Join(f, "; "))
}

// Unwrap makes errors.Is(err, ErrDelivery) true.
func (e *DeliveryError) Unwrap() error { return ErrDelivery }

// DeliverOptions tune DeliverPending.
type DeliverOptions struct {
	// DropUnknown gives up, for a pending digest, a target that is not among
	// the targets (it was removed from the config); without it such a
	// delivery is left pending for a run that has the target.
	DropUnknown bool
}

// DeliverPending delivers every pending digest, oldest first, to each of its
// targets still pending, and marks each success at once. It returns a
// *DeliveryError when any delivery failed (each failure is recorded; the
// digest stays pending), ctx's error when interrupted (nothing more is
// marked), or a store error.
func DeliverPending(ctx context.Context, st Store, l *store.Lease, targets []deliver.Target, opts DeliverOptions) (Report, error) {
	pending, err := st.PendingDigests(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]deliver.Target{}
	for _, t := range targets {
		byName[t.Name()] = t
	}
	var rep Report
	failed := false
	// A target that failed is not tried again for later digests in this call:
	// digests reach it in order, and a broken server is not hammered.
	broken := map[string]bool{}
	for _, pd := range pending {
		dr := DigestResult{ID: pd.ID, Key: pd.Key, Subject: pd.Subject, New: pd.New, Items: pd.Items}
		m := &deliver.Message{Key: pd.Key, Subject: pd.Subject, CreatedAt: pd.CreatedAt, New: pd.New,
			Text: pd.Bodies.Text, Markdown: pd.Bodies.Markdown, HTML: pd.Bodies.HTML, JSON: pd.Bodies.JSON}
		for _, dl := range pd.Deliveries {
			if dl.State != store.DeliveryPending {
				continue
			}
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			t, ok := byName[dl.Target]
			if (!ok && !opts.DropUnknown) || broken[dl.Target] {
				continue
			}
			if !ok {
				why := fmt.Sprintf("target %q is no longer configured", dl.Target)
				done, err := st.DropDelivery(ctx, l, pd.ID, dl.Target, why)
				if err != nil {
					return rep, err
				}
				dr.Results = append(dr.Results, TargetResult{Target: dl.Target, Dropped: true})
				dr.Delivered = dr.Delivered || done
				continue
			}
			if derr := t.Deliver(ctx, m); derr != nil {
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
				failed = true
				broken[dl.Target] = true
				dr.Results = append(dr.Results, TargetResult{Target: dl.Target, Err: derr})
				if err := st.MarkFailed(ctx, l, pd.ID, dl.Target, derr.Error()); err != nil {
					return rep, err
				}
				continue
			}
			// Delivered: the crash window is between here and the commit below.
			done, err := st.MarkDelivered(context.WithoutCancel(ctx), l, pd.ID, dl.Target)
			if err != nil {
				return rep, err
			}
			dr.Results = append(dr.Results, TargetResult{Target: dl.Target})
			dr.Delivered = dr.Delivered || done
		}
		rep = append(rep, dr)
	}
	if failed {
		return rep, &DeliveryError{Report: rep}
	}
	return rep, nil
}
