// Package browsertest opens the pages research writes in headless Chromium
// (chromedp) and reports what a browser saw: layout, charts, links, and
// whether anything in the page ran, opened a dialog, changed the DOM or
// loaded anything. It is for tests only.
package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Path finds the browser: RESEARCH_TEST_CHROMIUM, else /usr/bin/chromium.
// Without one the test skips, unless RESEARCH_TEST_STRICT=1 (CI) makes that
// a failure.
func Path(t testing.TB) string {
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

// Browser is one headless Chromium serving one page from a loopback server.
type Browser struct {
	ctx     context.Context
	pageURL string

	mu       sync.Mutex
	requests []string
	dialogs  []string
	served   []string
}

// Open starts Chromium (fresh profile, no sandbox for root in containers, no
// background networking) and a loopback server that serves html at one URL
// and nothing else. Everything stops when the test ends.
func Open(t *testing.T, html []byte) *Browser {
	t.Helper()
	exe := Path(t)
	b := &Browser{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.served = append(b.served, r.URL.Path)
		b.mu.Unlock()
		if r.URL.Path != "/page.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(html)
	}))
	t.Cleanup(srv.Close)
	b.pageURL = srv.URL + "/page.html"

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
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
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	b.ctx = bctx

	opened := make(chan string, 64)
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			b.dialogs = append(b.dialogs, e.Message)
			select {
			case opened <- e.Message:
			default:
			}
		}
	}), "start Chromium at %s", exe)
	// A dialog blocks the page: dismiss it from another goroutine (it is
	// recorded above, which fails the test).
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-opened:
				_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(done) })
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
	_, err = chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: observer})
	require.NoError(t, err)
	return b
}

// Payloads are what a hostile feed, page or search API could put in any
// string of a result.
var Payloads = []string{
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

// HostileLinks are article URLs that must never become a link.
var HostileLinks = []string{
	"javascript:alert(10)",
	"JaVaScRiPt:alert(11)",
	" javascript:alert(12)",
	"data:text/html,<script>alert(13)</script>",
	"data:image/svg+xml,<svg onload=alert(14)>",
	"vbscript:msgbox(15)",
	`https://example.org/"><script>alert(16)</script>`,
	"https://example.org/ok?a=1&b=<x>",
}

// Report is what the page looked like in the browser.
type Report struct {
	// Pwned is window.__pwned, which the test payloads set: nil when none ran.
	Pwned any
	// Mutations counts DOM changes after parsing; nil if the observer was not installed.
	Mutations any
	Title     string
	// ScrollW and ClientW: the page overflows horizontally when ScrollW > ClientW.
	ScrollW, ClientW int
	// Scripts, Handlers and Loaders count <script> elements, elements with an
	// on* attribute, and elements that load or navigate (iframe, img, link, base, form, …).
	Scripts, Handlers, Loaders int
	// BadHrefs are link targets that are neither in-page (#…) nor http(s).
	BadHrefs []string
	// Unresolved are in-page link targets with no element of that id.
	Unresolved []string
	// SVGs are the sizes of the inline charts (svg.chart) on the screen.
	SVGs []struct{ W, H, Right float64 }
	// Details, DetailsOpen and DetailsItems describe the collapsed sections.
	Details, DetailsOpen, DetailsItems int
	// CSP is the page's Content-Security-Policy meta tag.
	CSP  string
	Text string
}

const probe = `(() => {
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
})()`

// Load opens the page in a viewport width px wide and reports what the
// browser shows once any (wrongly) loaded resource or timer had time to fire.
func (b *Browser) Load(t *testing.T, width int64) Report {
	t.Helper()
	require.NoError(t, chromedp.Do(b.ctx,
		chromedp.EmulateViewport(width, 900),
		chromedp.Navigate(b.pageURL),
		chromedp.WaitReady(chromedp.CSS("body")),
		chromedp.Sleep(300*time.Millisecond),
	))
	r, err := chromedp.Run(b.ctx, chromedp.Evaluate[Report](probe))
	require.NoError(t, err)
	return r
}

// Traffic is what happened on the wire and in dialogs since Open.
func (b *Browser) Traffic() (pageURL string, requests, served, dialogs []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pageURL, append([]string(nil), b.requests...), append([]string(nil), b.served...), append([]string(nil), b.dialogs...)
}
