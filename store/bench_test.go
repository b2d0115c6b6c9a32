package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/research-cli/research/store"
)

// BenchmarkSeenFilter loads the keys of a topic with 10,000 sent items: what
// every digest run pays per topic after a few years of daily digests.
func BenchmarkSeenFilter(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for batch := range 100 {
		items := make([]store.Item, 100)
		for i := range items {
			n := batch*100 + i
			items[i] = store.Item{CanonicalURL: fmt.Sprintf("https://example.com/articles/%d", n), TitleKey: fmt.Sprintf("title of article number %d", n)}
		}
		if err := s.MarkSent(ctx, "topic", items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		f, err := s.SeenFilter(ctx, "topic")
		if err != nil || f.Len() != 20000 {
			b.Fatal(err, f.Len())
		}
	}
}

// BenchmarkCommit records one digest: three topics, ten items each, in one
// transaction (with WAL and synchronous=NORMAL, no fsync per commit).
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		var recs []store.Record
		for tp := range 3 {
			rec := store.Record{Run: store.Run{Topic: fmt.Sprint(tp), StartedAt: time.Now(), FinishedAt: time.Now()}}
			for range 10 {
				n++
				rec.Items = append(rec.Items, store.Item{CanonicalURL: fmt.Sprintf("https://example.com/%d", n), TitleKey: fmt.Sprint(n)})
			}
			recs = append(recs, rec)
		}
		if _, err := s.Commit(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutbox is the store's share of one delivered digest: record it
// pending (3 topics × 10 items, bodies of ~20 KB), mark two targets
// delivered (the second also marks its 30 items sent), under a lease.
func BenchmarkOutbox(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l, err := s.AcquireLease(ctx, store.DigestLease, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	body := string(make([]byte, 20_000))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		var recs []store.Record
		for topic := range 3 {
			rec := store.Record{Run: store.Run{Topic: fmt.Sprintf("topic %d", topic), StartedAt: time.Now(), FinishedAt: time.Now()}}
			for i := range 10 {
				rec.Items = append(rec.Items, store.Item{CanonicalURL: fmt.Sprintf("https://example.com/%d/%d/%d", n, topic, i)})
			}
			recs = append(recs, rec)
		}
		id, err := s.RecordPending(ctx, l, store.PendingDigest{Key: fmt.Sprintf("k%d", n), Subject: "s", New: 30,
			Bodies: store.Bodies{Text: body, Markdown: body, HTML: body, JSON: body}, Targets: []string{"mail", "hook"}, Records: recs})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.MarkDelivered(ctx, l, id, "mail"); err != nil {
			b.Fatal(err)
		}
		if done, err := s.MarkDelivered(ctx, l, id, "hook"); err != nil || !done {
			b.Fatal(err, done)
		}
	}
}
