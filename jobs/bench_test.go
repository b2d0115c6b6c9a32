package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/internal/pgtest"
)

// BenchmarkDigestsPerMinute runs 1,000 per-topic digests (one loopback
// search source each, analysis in its child process, record, delivery to a
// file) with 1 and 3 worker processes on one PostgreSQL, from the workers'
// start to the last digest recorded.
//
//	go test -run '^$' -bench DigestsPerMinute -benchtime 1x ./jobs/
func BenchmarkDigestsPerMinute(b *testing.B) {
	for _, workers := range []int{1, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				pgURL := pgtest.URL(b)
				dir := b.TempDir()
				const n = 1000
				_, url := newTopicServer(b)
				cfg := writeConfig(b, dir, url, topicNames(n))
				if _, stderr, code := research(b, dir, "migrate", "--config", cfg, "--database", pgURL); code != 0 {
					b.Fatal(stderr)
				}
				ctx := context.Background()
				pool, err := pgxpool.New(ctx, pgURL)
				require.NoError(b, err)
				b.StartTimer()
				start := time.Now()
				var ws []*worker
				for i := range workers {
					ws = append(ws, startWorker(b, dir, fmt.Sprintf("w%d", i+1), "--config", cfg, "--database", pgURL,
						"--deliver-to", filepath.Join(dir, "out"), "--poll", "200ms"))
				}
				for {
					var c int
					_ = pool.QueryRow(ctx, `SELECT count(*) FROM research_runs`).Scan(&c)
					if c >= n {
						break
					}
					if time.Since(start) > 10*time.Minute {
						b.Fatalf("only %d of %d digests in 10 minutes", c, n)
					}
					time.Sleep(100 * time.Millisecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(n)/elapsed.Minutes(), "digests/min")
				b.ReportMetric(float64(elapsed.Milliseconds())/n, "ms/digest")
				for _, w := range ws {
					w.stop(b, time.Minute)
				}
				pool.Close()
			}
		})
	}
}

type noopArgs struct {
	N int `json:"n"`
}

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	done chan struct{}
}

func (w *noopWorker) Work(context.Context, *river.Job[noopArgs]) error {
	w.done <- struct{}{}
	return nil
}

// BenchmarkQueueOverheadPostgres is River's own cost per job on PostgreSQL:
// insert, fetch, work (nothing) and complete, in one process with two
// workers, the digest worker's settings.
//
//	go test -run '^$' -bench QueueOverhead -benchtime 2000x ./jobs/
func BenchmarkQueueOverheadPostgres(b *testing.B) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.URL(b))
	require.NoError(b, err)
	defer pool.Close()
	driver := riverpgxv5.New(pool)
	m, err := rivermigrate.New(driver, nil)
	require.NoError(b, err)
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(b, err)
	w := &noopWorker{done: make(chan struct{}, b.N)}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	c, err := river.NewClient[pgx.Tx](driver, &river.Config{Logger: slog.New(slog.DiscardHandler), Workers: workers,
		FetchPollInterval: 200 * time.Millisecond, FetchCooldown: 100 * time.Millisecond,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}})
	require.NoError(b, err)
	require.NoError(b, c.Start(ctx))
	defer c.Stop(ctx)
	b.ResetTimer()
	for i := range b.N {
		if _, err := c.Insert(ctx, noopArgs{N: i}, nil); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		<-w.done
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/job")
}
