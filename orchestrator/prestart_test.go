package orchestrator

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator/isolation"
)

// shellReport is a valid report for articles hn-0 and hn-1, printed by a
// /bin/sh analyzer once it has read the whole request.
const shellReport = `{"version":1,"query":"q","stats":{"articles":2,"words":0,"by_source":{},"by_day":{},"duplicates":0},` +
	`"ranking":[{"id":"hn-1","score":2,"keywords":[],"duplicate_of":""},{"id":"hn-0","score":1,"keywords":[],"duplicate_of":""}],` +
	`"keywords":[],"summary":[],"groups":[]}`

// childRecorder starts real isolated children and remembers them.
type childRecorder struct {
	cfg      isolation.Config
	children []*isolation.Child
	started  atomic.Bool
}

func (c *childRecorder) start(ctx context.Context) PendingAnalysis {
	ch := isolation.Start(ctx, c.cfg)
	c.children = append(c.children, ch)
	c.started.Store(true)
	return ch
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

func fdCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// The analyzer is started when the run starts, before any source answers,
// and is handed the request once the articles are in.
func TestAnalyzerStartsWithTheRun(t *testing.T) {
	rec := &childRecorder{cfg: isolation.Config{Path: "/bin/sh", Args: []string{"-c", "cat >/dev/null; printf '%s' '" + shellReport + "'"}}}
	var startedFirst atomic.Bool
	o := newOrch(t, map[string]fakeAgent{"hn": func(ctx context.Context, q string) ([]models.Article, error) {
		startedFirst.Store(rec.started.Load())
		return articles("hn", "https://a/1", "https://a/2"), nil
	}}, []string{"hn"}, func(o *Options) { o.StartAnalysis = rec.start })
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	assert.True(t, startedFirst.Load(), "the analyzer was started before the sources were fetched")
	require.Nil(t, run.Result.Degraded, "%+v %s", run.Result.Degraded, run.Analysis.StderrTail)
	require.NotNil(t, run.Result.Analysis)
	assert.Equal(t, "hn-1", run.Result.Articles[0].ID, "ordered by the child's ranking")
	require.Len(t, rec.children, 1)
	assert.False(t, alive(rec.children[0].PID()))
}

// A run that ends without analysis (cancelled during the fetch, or with
// analysis disabled) reaps the waiting child: no process, goroutine or file
// descriptor is left.
func TestRunWithoutAnalysisReapsTheChild(t *testing.T) {
	before := fdCount(t)
	rec := &childRecorder{cfg: isolation.Config{Path: "/bin/sh", Args: []string{"-c", "exec cat >/dev/null"}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := newOrch(t, map[string]fakeAgent{"a": func(ctx context.Context, q string) ([]models.Article, error) {
		cancel() // the user presses Ctrl-C while the sources are fetched
		<-ctx.Done()
		return nil, ctx.Err()
	}}, []string{"a"}, func(o *Options) { o.SourceTimeout = time.Hour; o.StartAnalysis = rec.start })
	_, err := o.Run(ctx, "q")
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, rec.children, 1)
	pid := rec.children[0].PID()
	assert.Positive(t, pid)
	assert.False(t, alive(pid), "the waiting analyzer %d was reaped", pid)

	// Analysis disabled after New: no child at all.
	o = newOrch(t, map[string]fakeAgent{"b": sleepy(0, articles("b", "https://b/1"))}, []string{"b"},
		func(o *Options) { o.StartAnalysis = rec.start })
	o.DisableAnalysis()
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	assert.Nil(t, run.Result.Analysis)
	assert.Len(t, rec.children, 1, "no analyzer started")

	goleak.VerifyNone(t)
	assert.Equal(t, before, fdCount(t), "file descriptors leaked")
}
