package orchestrator

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents"
	"github.com/research-cli/research/agents/feed"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/config"
	"github.com/research-cli/research/models"
)

const benchFeed = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://x/</link>
<item><title>rust async runtimes compared</title><link>http://%s/post</link><description>tokio and async-std</description></item>
</channel></rss>`

// slowFeeds starts n feed servers, each on its own loopback address (so the
// client's per-host politeness does not serialise them), each answering after delay.
func slowFeeds(tb testing.TB, n int, delay time.Duration) []models.Source {
	tb.Helper()
	var srcs []models.Source
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i+2))
		require.NoError(tb, err)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, benchFeed, r.Host)
		}))
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		tb.Cleanup(srv.Close)
		srcs = append(srcs, models.Source{Name: fmt.Sprintf("feed%d", i), Kind: models.KindFeed, URL: srv.URL + "/feed.xml"})
	}
	return srcs
}

// BenchmarkFanOut40 runs 40 real feeds over loopback, each 400 ms away, with
// the configuration's defaults (limits.parallel, timeouts, the HTTP client's
// per-host cap and retries), and reports the whole run's wall time (target
// ≤ 0.6 s: one round of 400 ms plus overhead) and the fetch stage as a
// multiple of the slowest source.
func BenchmarkFanOut40(b *testing.B) {
	const delay = 400 * time.Millisecond
	srcs := slowFeeds(b, 40, delay)
	def := config.Default()
	client, err := fetch.New(fetch.Options{PerHostParallel: def.HTTP.PerHostParallel, MaxRetries: def.HTTP.Retries})
	require.NoError(b, err)
	defer client.Close()
	o, err := New(Options{
		Sources: srcs, Parallel: def.Limits.Parallel, SourceTimeout: def.Limits.SourceTimeout, StageTimeout: def.Limits.FetchTimeout,
		NewAgent: func(s models.Source) (agents.Agent, error) { return feed.New(s, client), nil },
	})
	require.NoError(b, err)
	var worst, worstRun float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		began := time.Now()
		run, err := o.Run(context.Background(), "rust async runtimes")
		took := time.Since(began)
		require.NoError(b, err)
		require.Zero(b, run.Fetch.Failed)
		var slowest int64
		for _, s := range run.Result.Sources {
			slowest = max(slowest, s.ElapsedMS)
		}
		ratio := float64(run.Fetch.Elapsed.Milliseconds()) / float64(slowest)
		worst = max(worst, ratio)
		worstRun = max(worstRun, took.Seconds())
		b.ReportMetric(float64(run.Fetch.Sequential.Milliseconds())/float64(run.Fetch.Elapsed.Milliseconds()), "x_speedup_vs_sequential")
	}
	b.ReportMetric(worst, "x_slowest_source")
	b.ReportMetric(worstRun, "run-s")
	b.ReportMetric(worstRun/0.6, "x_target_0.6s")
}
