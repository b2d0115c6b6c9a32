package store

import "context"

// Digests is what digest runs need of a store, whatever its database: the
// SQLite file (*Store) or PostgreSQL (package store/pgstore). The same tests
// (package store/storetest) run against both.
type Digests interface {
	// SeenFilter loads the keys of every article already sent for topic.
	SeenFilter(ctx context.Context, topic string) (*Seen, error)
	// LastRun is the most recent run of topic; ok is false when there was none.
	LastRun(ctx context.Context, topic string) (r Run, ok bool, err error)
	// Runs lists runs newest first, of one topic or all ("").
	Runs(ctx context.Context, topic string, limit int) ([]Run, error)
	// Sent lists the items sent for topic, oldest first.
	Sent(ctx context.Context, topic string) ([]SentItem, error)
	// Commit stores a whole digest's runs and items in one transaction.
	Commit(ctx context.Context, recs []Record) ([]int64, error)
	// MarkSent records items as sent for topic, outside any run.
	MarkSent(ctx context.Context, topic string, items []Item) error
	// The outbox (see outbox.go): a digest recorded pending with its items
	// and one delivery per target; its items are sent once every target took
	// it. The SQLite store fences these writes with a lease when one is
	// given; the PostgreSQL store takes none (nil).
	RecordPending(ctx context.Context, l *Lease, d PendingDigest) (int64, error)
	RecordRuns(ctx context.Context, l *Lease, runs []Run) error
	PendingDigests(ctx context.Context) ([]OutboxDigest, error)
	OutboxDigest(ctx context.Context, id int64) (OutboxDigest, error)
	MarkDelivered(ctx context.Context, l *Lease, digestID int64, target string) (bool, error)
	MarkFailed(ctx context.Context, l *Lease, digestID int64, target, why string) error
	DropDelivery(ctx context.Context, l *Lease, digestID int64, target, why string) (bool, error)
	// Version is the schema version.
	Version(ctx context.Context) (int, error)
	Close() error
}

var _ Digests = (*Store)(nil)

// NewSeen builds a filter from parallel lists of canonical URLs and title
// keys (empty ones are ignored).
func NewSeen(urls, titles []string) *Seen {
	f := &Seen{urls: map[string]bool{}, titles: map[string]bool{}}
	for _, u := range urls {
		if u != "" {
			f.urls[u] = true
		}
	}
	for _, t := range titles {
		if t != "" {
			f.titles[t] = true
		}
	}
	return f
}
