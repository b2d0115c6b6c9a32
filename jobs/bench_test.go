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
				cfg := writeConfig(b, dir, url, topicNames(n), true)
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
// insert (one at a time, as the schedule's fan-out does in one transaction),
// then fetch, work (nothing) and complete, in one process with 10 workers and
// the worker's 10 ms fetch cooldown. It reports the two halves.
//
//	go test -run '^$' -bench QueueOverhead -benchtime 5000x ./jobs/
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
		FetchPollInterval: 200 * time.Millisecond, FetchCooldown: 10 * time.Millisecond,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}})
	require.NoError(b, err)
	b.ResetTimer()
	start := time.Now()
	params := make([]river.InsertManyParams, b.N)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{N: i}, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	for i := 0; i < len(params); i += 500 {
		if _, err := c.InsertMany(ctx, params[i:min(i+500, len(params))]); err != nil {
			b.Fatal(err)
		}
	}
	inserted := time.Since(start)
	require.NoError(b, c.Start(ctx))
	defer c.Stop(ctx)
	for range b.N {
		<-w.done
	}
	worked := time.Since(start) - inserted
	b.StopTimer()
	b.ReportMetric(float64(inserted.Microseconds())/float64(b.N), "µs/insert")
	b.ReportMetric(float64(worked.Microseconds())/float64(b.N), "µs/work")
	b.ReportMetric(0, "ns/op")
}
