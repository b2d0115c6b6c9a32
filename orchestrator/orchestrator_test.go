package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/agents"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator/isolation"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAgent is an agent whose behaviour is a function.
type fakeAgent func(ctx context.Context, query string) ([]models.Article, error)

func (f fakeAgent) Search(ctx context.Context, q string) ([]models.Article, error) { return f(ctx, q) }

func articles(src string, urls ...string) []models.Article {
	var out []models.Article
	for i, u := range urls {
		out = append(out, models.Article{ID: fmt.Sprintf("%s-%d", src, i), URL: u, Title: "t " + u,
			Published: time.Date(2026, 11, 1+i, 0, 0, 0, 0, time.UTC)})
	}
	return out
}

func sleepy(d time.Duration, arts []models.Article) fakeAgent {
	return func(ctx context.Context, _ string) ([]models.Article, error) {
		select {
		case <-time.After(d):
			return arts, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func newOrch(t *testing.T, srcs map[string]fakeAgent, order []string, mut func(*Options)) *Orchestrator {
	t.Helper()
	var sources []models.Source
	for _, n := range order {
		kind := models.KindHackerNews
		if strings.HasPrefix(n, "feed") {
			kind = models.KindFeed
		}
		sources = append(sources, models.Source{Name: n, Kind: kind, URL: "http://127.0.0.1/" + n})
	}
	opts := Options{
		Sources:       sources,
		SourceTimeout: time.Second,
		StageTimeout:  5 * time.Second,
		Parallel:      8,
		NewAgent: func(s models.Source) (agents.Agent, error) {
			a, ok := srcs[s.Name]
			if !ok {
				return nil, errors.New("no agent")
			}
			return a, nil
		},
	}
	if mut != nil {
		mut(&opts)
	}
	o, err := New(opts)
	require.NoError(t, err)
	return o
}

func TestFanOutKeepsHealthySourcesAndNamesBrokenOnes(t *testing.T) {
	o := newOrch(t, map[string]fakeAgent{
		"hn":   sleepy(50*time.Millisecond, articles("hn", "https://a.example/1", "https://a.example/2")),
		"slow": sleepy(time.Hour, nil),
		"bad": func(context.Context, string) ([]models.Article, error) {
			return nil, &fetch.Error{Kind: fetch.KindHTTP5xx, URL: "http://127.0.0.1/bad", Status: 500}
		},
		"boom":  func(context.Context, string) ([]models.Article, error) { panic("bug") },
		"wiki":  sleepy(80*time.Millisecond, articles("wiki", "https://w.example/x")),
		"nokey": nil,
	}, []string{"hn", "slow", "bad", "boom", "wiki"}, func(o *Options) { o.SourceTimeout = 300 * time.Millisecond })

	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)

	byName := map[string]models.SourceResult{}
	for _, r := range run.Result.Sources {
		byName[r.Name] = r
	}
	assert.Equal(t, []string{"hn", "slow", "bad", "boom", "wiki"}, func() []string {
		var n []string
		for _, r := range run.Result.Sources {
			n = append(n, r.Name)
		}
		return n
	}(), "results keep the configured order")
	assert.Empty(t, byName["hn"].Error)
	assert.Equal(t, 2, byName["hn"].Kept)
	assert.Equal(t, "timeout after 300ms (http://127.0.0.1/slow)", byName["slow"].Error)
	assert.Equal(t, "timeout", byName["slow"].ErrorKind)
	assert.Contains(t, byName["bad"].Error, "HTTP 500")
	assert.Equal(t, "http_5xx", byName["bad"].ErrorKind)
	assert.Contains(t, byName["boom"].Error, "internal error in the hackernews agent: bug")
	require.Len(t, o.PanicStacks(), 1)
	assert.Contains(t, o.PanicStacks()[0], "source boom: bug")
	assert.Len(t, run.Result.Articles, 3)
	assert.Equal(t, 3, run.Fetch.Failed)
	assert.Nil(t, run.Result.Analysis, "no analyzer configured")
}

func TestFanOutIsConcurrent(t *testing.T) {
	srcs := map[string]fakeAgent{}
	var order []string
	for i := 0; i < 12; i++ {
		n := fmt.Sprintf("s%d", i)
		srcs[n] = sleepy(200*time.Millisecond, articles(n, fmt.Sprintf("https://x.example/%d", i)))
		order = append(order, n)
	}
	var inFlight, peak atomic.Int32
	for n, a := range srcs {
		srcs[n] = func(ctx context.Context, q string) ([]models.Article, error) {
			cur := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			return a(ctx, q)
		}
	}
	o := newOrch(t, srcs, order, func(o *Options) { o.Parallel = 4 })
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	assert.Equal(t, int32(4), peak.Load(), "Parallel bounds the fan-out")
	assert.Len(t, run.Result.Articles, 12)
}

func TestStageDeadline(t *testing.T) {
	o := newOrch(t, map[string]fakeAgent{
		"a": sleepy(time.Hour, nil), "b": sleepy(10*time.Millisecond, articles("b", "https://b.example/")),
	}, []string{"a", "b"}, func(o *Options) { o.StageTimeout = 200 * time.Millisecond; o.SourceTimeout = time.Hour })
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	assert.Contains(t, run.Result.Sources[0].Error, "fetch stage deadline")
	assert.Empty(t, run.Result.Sources[1].Error)
}

func TestMergeFoldsExactDuplicates(t *testing.T) {
	hn := articles("hn", "https://Example.org/post?utm_source=x", "https://example.org/other")
	hn[0].Points = 300
	feed := articles("feed", "https://example.org/post")
	feed[0].ID = hn[1].ID // colliding id from another source
	feed[0].Content = "the full text"
	feed2 := articles("feed2", "https://example.org/third")
	feed2[0].ID = hn[1].ID
	o := newOrch(t, map[string]fakeAgent{
		"hn": sleepy(0, hn), "feed": sleepy(0, feed), "feed2": sleepy(0, feed2),
	}, []string{"hn", "feed", "feed2"}, nil)
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	arts := run.Result.Articles
	require.Len(t, arts, 3)
	var post models.Article
	ids := map[string]bool{}
	for _, a := range arts {
		ids[a.ID] = true
		if a.Points == 300 {
			post = a
		}
	}
	assert.Len(t, ids, 3, "ids are unique within the run")
	assert.Equal(t, []string{"feed"}, post.AlsoIn)
	assert.Equal(t, "the full text", post.Content, "the longer text of the duplicate is kept")
	assert.Equal(t, 2, run.Result.Sources[0].Kept)
	assert.Equal(t, 0, run.Result.Sources[1].Kept)
	assert.Equal(t, 1, run.Result.Sources[1].Fetched)
}

func TestOffTopicFeedItemsAreDroppedAndCounted(t *testing.T) {
	items := articles("feed", "https://f.example/1", "https://f.example/2", "https://f.example/3")
	items[1].Title = "about rust"
	onTopic := func(q string) func(models.Article) bool {
		return func(a models.Article) bool { return strings.Contains(a.Title, q) }
	}
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep_off_topic=%v", keep), func(t *testing.T) {
			o := newOrch(t, map[string]fakeAgent{"feed": sleepy(0, items), "hn": sleepy(0, articles("hn", "https://h.example/"))},
				[]string{"feed", "hn"}, func(o *Options) { o.OnTopic = onTopic; o.KeepOffTopic = keep })
			run, err := o.Run(context.Background(), "rust")
			require.NoError(t, err)
			fs := run.Result.Sources[0]
			assert.Equal(t, 3, fs.Fetched)
			if keep {
				assert.Equal(t, 3, fs.Kept)
				assert.Zero(t, fs.OffTopic)
			} else {
				assert.Equal(t, 1, fs.Kept)
				assert.Equal(t, 2, fs.OffTopic)
			}
			assert.Equal(t, 1, run.Result.Sources[1].Kept, "search sources are not filtered")
		})
	}
}

func TestDegradedAnalysisKeepsArticlesNewestFirst(t *testing.T) {
	o := newOrch(t, map[string]fakeAgent{"hn": sleepy(0, articles("hn", "https://a/1", "https://a/2", "https://a/3"))},
		[]string{"hn"}, func(o *Options) {
			o.Analyze = func(ctx context.Context, req *models.AnalysisRequest) isolation.Outcome {
				return isolation.Outcome{Degraded: &models.Degraded{Stage: "analysis", Reason: models.ReasonCrashed, Detail: "boom"}}
			}
		})
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	require.NotNil(t, run.Result.Degraded)
	assert.Nil(t, run.Result.Analysis)
	require.Len(t, run.Result.Articles, 3)
	assert.True(t, run.Result.Articles[0].Published.After(run.Result.Articles[1].Published))
}

func TestAnalysisRankingOrdersArticlesAndRequestIsContract(t *testing.T) {
	var got *models.AnalysisRequest
	o := newOrch(t, map[string]fakeAgent{"hn": sleepy(0, articles("hn", "https://a/1", "https://a/2"))},
		[]string{"hn"}, func(o *Options) {
			o.Analyze = func(ctx context.Context, req *models.AnalysisRequest) isolation.Outcome {
				got = req
				rep := models.NewEmptyReport(req.Query)
				rep.Ranking = []models.RankedArticle{{ID: "hn-0", Score: 2}, {ID: "hn-1", Score: 1}}
				return isolation.Outcome{Report: rep}
			}
		})
	run, err := o.Run(context.Background(), "question")
	require.NoError(t, err)
	require.NotNil(t, got)
	require.NoError(t, got.Validate())
	assert.Equal(t, "question", got.Query)
	assert.Equal(t, "hn-0", run.Result.Articles[0].ID)
	assert.Empty(t, got.Articles[0].Kind, "only contract fields are sent")
}

func TestCancelledRunReturnsError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	o := newOrch(t, map[string]fakeAgent{"a": sleepy(time.Hour, nil)}, []string{"a"},
		func(o *Options) { o.SourceTimeout = time.Hour })
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := o.Run(ctx, "q")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestEnrichChoosesShortTextCandidates(t *testing.T) {
	hn := articles("hn", "https://a/1", "https://a/2")
	hn[1].Content = strings.Repeat("long ", 400)
	feed := articles("feed", "https://f/1", "https://f/2", "https://f/3")
	var chosen []string
	o := newOrch(t, map[string]fakeAgent{"hn": sleepy(0, hn), "feed": sleepy(0, feed)}, []string{"hn", "feed"},
		func(o *Options) {
			o.EnrichPages = 3
			o.Enrich = func(ctx context.Context, arts []*models.Article) {
				for _, a := range arts {
					chosen = append(chosen, a.URL)
					a.Extraction = "page"
					a.Content = "enriched"
				}
			}
		})
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	assert.Equal(t, []string{"https://a/1", "https://f/3", "https://f/2"}, chosen, "stories first, then the newest feed items")
	n := 0
	for _, a := range run.Result.Articles {
		if a.Content == "enriched" {
			n++
		}
	}
	assert.Equal(t, 3, n)
}
