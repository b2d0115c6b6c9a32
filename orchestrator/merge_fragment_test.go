package orchestrator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

// TestMergeKeepsOneSourcesFragmentItems: a comment feed's items on one page,
// told apart by their fragments, are not folded into one; the same page from
// another source still folds into the first.
func TestMergeKeepsOneSourcesFragmentItems(t *testing.T) {
	comments := articles("feed", "https://blog.example/post#comment-1", "https://blog.example/post#comment-2")
	hn := articles("hn", "https://blog.example/post#comment-2")
	o := newOrch(t, map[string]fakeAgent{"feed": sleepy(0, comments), "hn": sleepy(0, hn)}, []string{"feed", "hn"}, nil)
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	require.Len(t, run.Result.Articles, 2)
	assert.Equal(t, 2, run.Result.Sources[0].Kept)
	assert.Equal(t, 0, run.Result.Sources[1].Kept, "another source's link to the page folds")
}

// TestFoldKeepsCitationDetails: an HN link to an arXiv paper listed first
// still gets the paper's doi, journal reference, PDF and update date.
func TestFoldKeepsCitationDetails(t *testing.T) {
	hn := articles("hn", "https://arxiv.org/abs/2611.09902")
	paper := articles("arxiv", "https://arxiv.org/abs/2611.09902")
	paper[0].DOI, paper[0].JournalRef, paper[0].PDFURL = "10.5555/x", "J. 1 (2026)", "https://arxiv.org/pdf/2611.09902"
	paper[0].Updated = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	o := newOrch(t, map[string]fakeAgent{"hn": sleepy(0, hn), "arxiv": sleepy(0, paper)}, []string{"hn", "arxiv"}, nil)
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	require.Len(t, run.Result.Articles, 1)
	a := run.Result.Articles[0]
	assert.Equal(t, "10.5555/x", a.DOI)
	assert.Equal(t, "J. 1 (2026)", a.JournalRef)
	assert.Equal(t, "https://arxiv.org/pdf/2611.09902", a.PDFURL)
	assert.Equal(t, paper[0].Updated, a.Updated)
}

type skipping struct {
	fakeAgent
	n int
}

func (s skipping) Skipped() int { return s.n }

// TestSourceErrorKeepsItsKind: a source's error reaches the report with its
// kind and its own words (no prefix to strip); a throttled service's 429 is
// reported as such even when it arrives at the source's deadline.
func TestSourceErrorKeepsItsKind(t *testing.T) {
	throttled := func(ctx context.Context, _ string) ([]models.Article, error) {
		<-ctx.Done()
		return nil, fmt.Errorf("arXiv is throttling this address: %w",
			&fetch.Error{Kind: fetch.KindHTTP429, URL: "http://127.0.0.1/hn", Status: 429})
	}
	refused := func(ctx context.Context, _ string) ([]models.Article, error) {
		return nil, &fetch.Error{Kind: fetch.KindRefused, URL: "http://127.0.0.1/feed"}
	}
	o := newOrch(t, map[string]fakeAgent{"hn": throttled, "feed": refused}, []string{"hn", "feed"},
		func(o *Options) { o.SourceTimeout = 50 * time.Millisecond })
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	hn, feed := run.Result.Sources[0], run.Result.Sources[1]
	assert.Equal(t, "http_429", hn.ErrorKind)
	assert.Equal(t, "arXiv is throttling this address: http://127.0.0.1/hn: HTTP 429 Too Many Requests", hn.Error)
	assert.Equal(t, "refused", feed.ErrorKind)
	assert.Equal(t, "http://127.0.0.1/feed: connection refused", feed.Error)
}

func TestSkippedIsReported(t *testing.T) {
	o := newOrch(t, nil, nil, func(o *Options) {
		o.Sources = []models.Source{{Name: "w", Kind: models.KindWikipedia, URL: "http://127.0.0.1/w"}}
		o.NewAgent = func(models.Source) (agents.Agent, error) {
			return skipping{sleepy(0, articles("w", "https://w.example/a")), 2}, nil
		}
	})
	run, err := o.Run(context.Background(), "q")
	require.NoError(t, err)
	assert.Equal(t, 2, run.Result.Sources[0].Skipped)
	assert.Equal(t, 1, run.Result.Sources[0].Kept)
}
