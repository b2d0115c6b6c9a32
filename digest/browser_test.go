package digest_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/internal/browsertest"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

// TestHTMLDigestInABrowser opens the HTML digest in headless Chromium at a
// desktop and a phone width: no horizontal overflow, every citation
// resolves, and the injection payloads in titles, topics, summaries, source
// names and links run nothing, open no dialog, change no DOM, load nothing.
func TestHTMLDigestInABrowser(t *testing.T) {
	browsertest.Path(t)
	var arts []models.Article
	for i := range 16 {
		p := browsertest.Payloads[i%len(browsertest.Payloads)]
		a := models.Article{ID: fmt.Sprintf("h%d", i), Source: "feed-" + p, Kind: "feed", Title: fmt.Sprintf("Title %d %s", i, p),
			Author: "Author " + p, URL: fmt.Sprintf("https://example.org/%d", i), Published: now.Add(-time.Duration(i) * time.Hour)}
		if i < len(browsertest.HostileLinks) {
			a.URL = browsertest.HostileLinks[i]
		}
		arts = append(arts, a)
	}
	r := result(arts)
	for i := range r.Analysis.Summary {
		r.Analysis.Summary[i].Text = browsertest.Payloads[i%len(browsertest.Payloads)]
	}
	r.Sources = append(r.Sources, models.SourceResult{Name: browsertest.Payloads[5], Error: browsertest.Payloads[6], ErrorKind: browsertest.Payloads[7]})
	d := digest.Build([]digest.Input{
		{Topic: browsertest.Payloads[0], Result: r},
		{Topic: browsertest.Payloads[3], Result: &models.Result{Sources: []models.SourceResult{{Name: browsertest.Payloads[2], Error: browsertest.Payloads[1]}}}},
	}, digest.Options{Now: now, MaxItems: 12})
	var buf bytes.Buffer
	require.NoError(t, digest.Write(&buf, d, render.HTML))

	b := browsertest.Open(t, buf.Bytes())
	for _, width := range []int64{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			report := b.Load(t, width)
			assert.Nil(t, report.Pwned, "no payload ran")
			assert.Equal(t, float64(0), report.Mutations, "no script changed the DOM")
			assert.Zero(t, report.Scripts, "no <script> element")
			assert.Zero(t, report.Handlers, "no event-handler attribute")
			assert.Zero(t, report.Loaders, "no element that loads or navigates")
			assert.Empty(t, report.BadHrefs, "links are http(s) or in-page")
			assert.Empty(t, report.Unresolved, "every citation resolves")
			assert.LessOrEqual(t, report.ScrollW, report.ClientW, "no horizontal overflow at %d px", width)
			assert.Contains(t, report.CSP, "default-src 'none'")
			assert.Contains(t, report.Text, "Title 0 <script>", "payloads show as text")
		})
	}
	pageURL, requests, _, dialogs := b.Traffic()
	assert.Empty(t, dialogs)
	assert.Contains(t, requests, pageURL)
	for _, u := range requests {
		assert.Equal(t, pageURL, u, "the page requested nothing but itself")
	}
}
