package isolation

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/models"
)

// A child started ahead of its request runs (and has its limits) before
// Analyze, then answers the request as Run's child would.
func TestStartThenAnalyze(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	c := Start(context.Background(), helperConfig(t, "pidfile-echo", pidFileEnv+"="+pidFile))
	defer c.Close()
	// The child is up and waiting on its stdin before it has a request.
	pid := readPidFile(t, pidFile, patience)
	assert.Equal(t, c.PID(), pid)
	assert.True(t, processAlive(pid))
	req := request(10, 500)
	out := c.Analyze(context.Background(), req)
	require.Nil(t, out.Degraded, "%+v stderr=%s", out.Degraded, out.StderrTail)
	require.Len(t, out.Report.Ranking, 10)
	assert.Equal(t, encodedSize(t, req), out.RequestBytes)
	assert.False(t, processAlive(pid))
	require.NoError(t, c.Close(), "Close after Analyze is harmless")

	again := c.Analyze(context.Background(), req)
	requireDegraded(t, again, models.ReasonStartFailed)
}

// A run that ends without analysis: Close kills and reaps the waiting child,
// and leaves no process, goroutine or file descriptor behind.
func TestStartClosedWithoutAnalysis(t *testing.T) {
	before := openFDs(t)
	for _, how := range []string{"close", "cancel then close"} {
		t.Run(how, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := Start(ctx, helperConfig(t, "pidfile-echo", pidFileEnv+"="+pidFile))
			pid := readPidFile(t, pidFile, patience)
			if how == "cancel then close" {
				cancel()
				assert.True(t, waitGone(pid, patience), "the run's context ended the child")
				out := c.Analyze(context.Background(), request(1, 10))
				requireDegraded(t, out, models.ReasonCancelled)
			}
			require.NoError(t, c.Close())
			assert.False(t, processAlive(pid), "child %d survived Close", pid)
			require.NoError(t, c.Close(), "Close twice is harmless")
		})
	}
	goleak.VerifyNone(t)
	assert.Equal(t, before, openFDs(t), "file descriptors leaked")
}

// The wall-clock timeout runs from Analyze, not from Start: a child that sat
// idle longer than its timeout (the fetch stage) still analyses.
func TestStartIdleLongerThanTimeout(t *testing.T) {
	cfg := helperConfig(t, "echo")
	cfg.Timeout = 2 * time.Second
	c := Start(context.Background(), cfg)
	defer c.Close()
	time.Sleep(cfg.Timeout + 500*time.Millisecond)
	out := c.Analyze(context.Background(), request(3, 100))
	require.Nil(t, out.Degraded, "%+v", out.Degraded)
	assert.Len(t, out.Report.Ranking, 3)
}

// A request that cannot be encoded starts nothing it cannot take back: the
// child is killed before it sees a complete request, and the outcome says why.
func TestStartRequestNotEncodable(t *testing.T) {
	req := request(3, 100)
	req.Articles[1].Published = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // beyond RFC 3339
	out := Run(context.Background(), helperConfig(t, "echo"), req)
	requireDegraded(t, out, models.ReasonStartFailed)
	assert.Contains(t, out.Degraded.Detail, `could not encode the analysis request: articles[1] (id "a1")`)
	assert.False(t, processAlive(out.PID))
}

// writeRequest writes what json.Marshal would, without building it whole.
func TestWriteRequestMatchesMarshal(t *testing.T) {
	three := 3
	tests := []struct {
		name string
		req  *models.AnalysisRequest
	}{
		{"articles", request(5, 300)},
		{"options", func() *models.AnalysisRequest {
			r := request(2, 50)
			r.Query = `<b>"quoted" & 'odd'</b> é \u2028`
			r.Options = &models.AnalysisOptions{MaxKeywords: &three, Explain: true}
			return r
		}()},
		{"no articles", &models.AnalysisRequest{Version: 1, Query: "q", Articles: []models.Article{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.req)
			require.NoError(t, err)
			var got bytes.Buffer
			require.NoError(t, writeRequest(&got, tc.req))
			assert.Equal(t, string(want), got.String())
		})
	}
	var got bytes.Buffer
	require.NoError(t, writeRequest(&got, &models.AnalysisRequest{Version: 1}))
	assert.JSONEq(t, `{"version":1,"query":"","articles":[]}`, got.String(), "a nil list is written as []")
}
