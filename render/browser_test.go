package render

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

// chromium finds the browser: RESEARCH_TEST_CHROMIUM, else /usr/bin/chromium.
// Without one the test skips, unless RESEARCH_TEST_STRICT=1 (CI) makes that a failure.
func chromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("RESEARCH_TEST_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		msg := fmt.Sprintf("Chromium not found at %s (apt-get install chromium, or set RESEARCH_TEST_CHROMIUM): %v", p, err)
		if os.Getenv("RESEARCH_TEST_STRICT") == "1" {
			t.Fatal(msg + "; RESEARCH_TEST_STRICT=1 makes a missing browser a failure")
		}
		t.Skip(msg)
	}
	return p
}

// payloads are what a hostile feed, page or search API could put in any
// string of a result.
var payloads = []string{
	`<script>window.__pwned=1;document.title="pwned"</script>`,
	`"><img src=x onerror="window.__pwned=2">`,
	`'><svg onload="window.__pwned=3"><script>alert(3)</script></svg>`,
	`</style><script>alert(4)</script><style>`,
	`</title><script>alert(5)</script>`,
	`<iframe src="https://evil.example/frame"></iframe>`,
	`<link rel="stylesheet" href="https://evil.example/x.css">`,
	`<img src="https://evil.example/pixel.png">`,
	`<a href="javascript:alert(6)">click</a>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(7)>`,
	`<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/">`,
	`' onmouseover='alert(8)' x='`,
	`<svg><a xlink:href="javascript:alert(9)"><text y="20">svg link</text></a></svg>`,
	`<div style="background:url(https://evil.example/bg.png)">styled</div>`,
}

// hostileLinks are article URLs that must never become a link.
var hostileLinks = []string{
	"javascript:alert(10)",
	"JaVaScRiPt:alert(11)",
	" javascript:alert(12)",
	"data:text/html,<script>alert(13)</script>",
	"data:image/svg+xml,<svg onload=alert(14)>",
	"vbscript:msgbox(15)",
	`https://example.org/"><script>alert(16)</script>`,
	"https://example.org/ok?a=1&b=<x>",
}

// hostileResult puts a payload in every string a person reads, and enough
// articles for the "and N more" section.
func hostileResult() *models.Result {
	r := wideResult()
	r.Query = payloads[0] + " sparse attention"
	var arts []models.Article
	var ranking []models.RankedArticle
	for i := range 24 {
		p := payloads[i%len(payloads)]
		a := models.Article{
			ID: fmt.Sprintf("h%d", i), Source: "feed-" + p, Kind: "feed",
			Title:     fmt.Sprintf("Title %d %s", i, p),
			Author:    "Author " + p,
			Summary:   "Summary " + p + " " + strings.Repeat("words of an excerpt ", 20),
			URL:       "https://example.org/" + fmt.Sprint(i),
			Published: time.Date(2026, 11, 1+i%20, 8, 0, 0, 0, time.UTC),
		}
		if i < len(hostileLinks) {
			a.URL = hostileLinks[i]
		}
		arts = append(arts, a)
		ranking = append(ranking, models.RankedArticle{ID: a.ID, Score: float64(100 - i), Keywords: []string{"kw " + p},
			Explain: &models.Explanation{Terms: map[string]float64{p: 1}, Note: p}})
	}
	// Same-story companions with hostile links and titles.
	r.Articles = arts
	r.Analysis.Ranking = ranking
	r.Analysis.Groups = []models.Group{{Kind: models.GroupSameStory, IDs: []string{"h1", "h23"}}}
	r.Analysis.Keywords = []models.Keyword{{Phrase: payloads[1]}, {Phrase: payloads[3]}}
	r.Analysis.Summary = []models.SummarySentence{{Text: payloads[2], ArticleID: "h0"}, {Text: "Cited far down " + payloads[4], ArticleID: "h20"}}
	r.Sources = append(r.Sources, models.SourceResult{Name: "src-" + payloads[5], Kind: "feed", Error: payloads[6], ErrorKind: payloads[7],
		StartedMS: 10, ElapsedMS: 300})
	r.Degraded = &models.Degraded{Stage: "analysis", Reason: payloads[8], Detail: payloads[9]}
	return r
}

// TestHTMLReportInABrowser opens the report in headless Chromium at a
// desktop and a phone width: it lays out without horizontal overflow, its
// charts are there and sized, every citation resolves, and none of the
// payloads runs a script, opens a dialog, changes the DOM or loads anything.
func TestHTMLReportInABrowser(t *testing.T) {
	exe := chromium(t)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, hostileResult(), Options{Format: HTML, Limit: 10, Explain: true}))
	html := buf.Bytes()

	var mu sync.Mutex
	var served []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/report.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(html)
	}))
	defer srv.Close()
	pageURL := srv.URL + "/report.html"

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // root in CI containers
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var requests, dialogs []string
	opened := make(chan string, 64)
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *cdppage.EventJavascriptDialogOpening:
			dialogs = append(dialogs, e.Message)
			select {
			case opened <- e.Message:
			default:
			}
		}
	}), "start Chromium at %s", exe)
	// A dialog blocks the page: dismiss it from another goroutine (it is
	// recorded above, and fails the test).
	go func() {
		for range opened {
			_, _ = chromedp.Call(bctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	defer close(opened)
	// The test's own observer (DevTools scripts are not the page's, so the
	// page's CSP does not apply to it): any DOM change after parsing is a
	// script the page ran.
	const observer = `window.__mutations = 0;
document.addEventListener('DOMContentLoaded', () => {
  new MutationObserver(ms => { window.__mutations += ms.length; })
    .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
});`
	_, err := chromedp.Call(bctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(bctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: observer})
	require.NoError(t, err)

	for _, width := range []int64{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			type pageReport struct {
				Pwned, Mutations                   any
				Title                              string
				ScrollW, ClientW                   int
				Scripts, Handlers, Loaders         int
				BadHrefs, Unresolved               []string
				SVGs                               []struct{ W, H, Right float64 }
				Details, DetailsOpen, DetailsItems int
				CSP                                string
				Text                               string
			}
			require.NoError(t, chromedp.Do(bctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(pageURL),
				chromedp.WaitReady(chromedp.CSS("body")),
				chromedp.Sleep(300*time.Millisecond), // let any (wrongly) loaded resource or timer fire
			))
			report, err := chromedp.Run(bctx, chromedp.Evaluate[pageReport](`(() => {
  const all = [...document.querySelectorAll('*')];
  const hrefs = [...document.querySelectorAll('[href], [*|href]')].map(e => e.getAttribute('href') || e.getAttribute('xlink:href') || '');
  return {
    Pwned: window.__pwned === undefined ? null : window.__pwned,
    Mutations: window.__mutations === undefined ? null : window.__mutations,
    Title: document.title,
    ScrollW: document.documentElement.scrollWidth, ClientW: document.documentElement.clientWidth,
    Scripts: document.querySelectorAll('script').length,
    Handlers: all.filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
    Loaders: document.querySelectorAll('iframe,object,embed,img,link,base,form,video,audio,source,meta[http-equiv=refresh]').length,
    BadHrefs: hrefs.filter(h => !(h.startsWith('#') || /^https?:\/\//.test(h))),
    Unresolved: [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id)),
    SVGs: [...document.querySelectorAll('svg.chart')].map(s => { const r = s.getBoundingClientRect(); return {W: r.width, H: r.height, Right: r.right}; }),
    Details: document.querySelectorAll('details').length,
    DetailsOpen: document.querySelectorAll('details[open]').length,
    DetailsItems: document.querySelectorAll('details li').length,
    CSP: (document.querySelector('meta[http-equiv="Content-Security-Policy"]') || {}).content || '',
    Text: document.body.innerText,
  };
})()`))
			require.NoError(t, err)
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
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, dialogs, "no dialog opened")
	assert.Contains(t, requests, pageURL, "the network is observed")
	for _, u := range requests {
		assert.Equal(t, pageURL, u, "the page requested nothing but itself")
	}
	for _, p := range served {
		assert.Equal(t, "/report.html", p)
	}
}
