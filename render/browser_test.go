package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/internal/browsertest"
	"github.com/research-cli/research/models"
)

// hostileResult puts a payload in every string a person reads, and enough
// articles for the "and N more" section.
func hostileResult() *models.Result {
	r := wideResult()
	r.Query = browsertest.Payloads[0] + " sparse attention"
	var arts []models.Article
	var ranking []models.RankedArticle
	for i := range 24 {
		p := browsertest.Payloads[i%len(browsertest.Payloads)]
		a := models.Article{
			ID: fmt.Sprintf("h%d", i), Source: "feed-" + p, Kind: "feed",
			Title:     fmt.Sprintf("Title %d %s", i, p),
			Author:    "Author " + p,
			Summary:   "Summary " + p + " " + strings.Repeat("words of an excerpt ", 20),
			URL:       "https://example.org/" + fmt.Sprint(i),
			Published: time.Date(2026, 11, 1+i%20, 8, 0, 0, 0, time.UTC),
		}
		if i < len(browsertest.HostileLinks) {
			a.URL = browsertest.HostileLinks[i]
		}
		arts = append(arts, a)
		ranking = append(ranking, models.RankedArticle{ID: a.ID, Score: float64(100 - i), Keywords: []string{"kw " + p},
			Explain: &models.Explanation{Terms: map[string]float64{p: 1}, Note: p}})
	}
	// Same-story companions with hostile links and titles.
	r.Articles = arts
	r.Analysis.Ranking = ranking
	r.Analysis.Groups = []models.Group{{Kind: models.GroupSameStory, IDs: []string{"h1", "h23"}}}
	r.Analysis.Keywords = []models.Keyword{{Phrase: browsertest.Payloads[1]}, {Phrase: browsertest.Payloads[3]}}
	r.Analysis.Summary = []models.SummarySentence{{Text: browsertest.Payloads[2], ArticleID: "h0"}, {Text: "Cited far down " + browsertest.Payloads[4], ArticleID: "h20"}}
	r.Sources = append(r.Sources, models.SourceResult{Name: "src-" + browsertest.Payloads[5], Kind: "feed", Error: browsertest.Payloads[6], ErrorKind: browsertest.Payloads[7],
		StartedMS: 10, ElapsedMS: 300})
	r.Degraded = &models.Degraded{Stage: "analysis", Reason: browsertest.Payloads[8], Detail: browsertest.Payloads[9]}
	return r
}

// TestHTMLReportInABrowser opens the report in headless Chromium at a
// desktop and a phone width: it lays out without horizontal overflow, its
// charts are there and sized, every citation resolves, and none of the
// payloads runs a script, opens a dialog, changes the DOM or loads anything.
func TestHTMLReportInABrowser(t *testing.T) {
	browsertest.Path(t)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, hostileResult(), Options{Format: HTML, Limit: 10, Explain: true}))
	b := browsertest.Open(t, buf.Bytes())
	for _, width := range []int64{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			report := b.Load(t, width)
			assert.Nil(t, report.Pwned, "no payload ran")
			assert.Equal(t, float64(0), report.Mutations, "no script changed the DOM (the observer is installed: not nil)")
			assert.NotEqual(t, "pwned", report.Title)
			assert.Zero(t, report.Scripts, "no <script> element")
			assert.Zero(t, report.Handlers, "no event-handler attribute")
			assert.Zero(t, report.Loaders, "no element that loads or navigates")
			assert.Empty(t, report.BadHrefs, "links are http(s) or in-page")
			assert.Empty(t, report.Unresolved, "every citation link resolves")
			assert.LessOrEqual(t, report.ScrollW, report.ClientW, "no horizontal overflow at %d px", width)
			require.Len(t, report.SVGs, 3, "timeline, per source, per day")
			for _, s := range report.SVGs {
				assert.Greater(t, s.W, 150.0)
				assert.Greater(t, s.H, 40.0)
				assert.LessOrEqual(t, s.Right, float64(width))
			}
			assert.Equal(t, 1, report.Details, "the rest is in one collapsed section")
			assert.Zero(t, report.DetailsOpen, "collapsed")
			assert.Positive(t, report.DetailsItems)
			assert.Contains(t, report.CSP, "default-src 'none'")
			assert.NotContains(t, report.CSP, "script-src")
			assert.Contains(t, report.Text, `<script>window.__pwned=1;document.title="pwned"</script>`, "payloads show as text")
		})
	}
	pageURL, requests, served, dialogs := b.Traffic()
	assert.Empty(t, dialogs, "no dialog opened")
	assert.Contains(t, requests, pageURL, "the network is observed")
	for _, u := range requests {
		assert.Equal(t, pageURL, u, "the page requested nothing but itself")
	}
	for _, p := range served {
		assert.Equal(t, "/page.html", p)
	}
}
