package page

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents/feed"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

// serveOn starts srv on addr, counting requests; it skips when the address
// cannot be bound.
func serveOn(t *testing.T, addr string, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestEnrichNeverFetchesPrivateLinks: a feed on 127.0.0.1 whose items link to
// a secret page on 127.0.0.2 (and on 127.0.0.1 behind "localhost"), in every
// spelling and through a redirect, must not get the secret into the report;
// its links to its own host and port are enriched.
func TestEnrichNeverFetchesPrivateLinks(t *testing.T) {
	secretPage := strings.ReplaceAll(string(fixture(t, "news-article.html")), "sea wall", "ADMIN SECRET")
	secretHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, secretPage)
	})
	secret, secretHits := serveOn(t, "127.0.0.2:0", secretHandler)
	local, localHits := serveOn(t, "127.0.0.1:0", secretHandler)
	sPort := strconv.Itoa(secret.Listener.Addr().(*net.TCPAddr).Port)
	lPort := strconv.Itoa(local.Listener.Addr().(*net.TCPAddr).Port)

	links := map[string]string{
		"loopback":    "http://127.0.0.2:" + sPort + "/admin/secret",
		"localhost":   "http://localhost:" + lPort + "/admin/secret",
		"mapped IPv6": "http://[::ffff:127.0.0.2]:" + sPort + "/admin/secret",
		"decimal":     "http://2130706434:" + sPort + "/admin/secret",
		"octal":       "http://0177.0.0.2:" + sPort + "/admin/secret",
		"redirect":    "/go?to=secret", // on the feed's host, redirecting to 127.0.0.2
		"own page":    "/posts/sea-wall",
	}
	article := fixture(t, "news-article.html")
	var feedSrv *httptest.Server
	feedSrv, _ = serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			var items strings.Builder
			for name, link := range links {
				fmt.Fprintf(&items, "<item><title>%s</title><link>%s</link><guid>%s</guid><description>Feed text of %s.</description></item>",
					name, strings.ReplaceAll(link, "&", "&amp;"), name, name)
			}
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Intranet news</title><link>%s/</link>%s</channel></rss>`,
				feedSrv.URL, items.String())
		case "/go":
			http.Redirect(w, r, links["loopback"], http.StatusFound)
		case "/posts/sea-wall":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write(article)
		default:
			http.NotFound(w, r)
		}
	}))

	run := func(t *testing.T, allow bool) map[string]*models.Article {
		c, err := fetch.New(fetch.Options{MaxRetries: -1, AllowPrivateLinks: allow})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		src := models.Source{Name: "intranet", Kind: models.KindFeed, URL: feedSrv.URL + "/feed.xml"}
		arts, err := feed.New(src, c).Search(context.Background(), "")
		require.NoError(t, err)
		require.Len(t, arts, len(links))
		ptrs := make([]*models.Article, len(arts))
		byTitle := map[string]*models.Article{}
		for i := range arts {
			ptrs[i] = &arts[i]
			byTitle[arts[i].Title] = &arts[i]
		}
		EnrichAllFrom(context.Background(), c, ptrs, 4, func(*models.Article) string { return src.URL })
		return byTitle
	}

	t.Run("guarded", func(t *testing.T) {
		byTitle := run(t, false)
		for name, a := range byTitle {
			if name == "own page" {
				assert.Equal(t, ExtractionPage, a.Extraction, "the feed's own pages are enriched")
				assert.Contains(t, a.Content, "sea wall")
				continue
			}
			assert.Equal(t, "kept-feed: not fetched (a private address or a scheme other than http(s))", a.Extraction, name)
			assert.NotContains(t, a.Content+a.Summary, "ADMIN SECRET", name)
		}
		assert.Zero(t, secretHits.Load(), "a private address was fetched")
		assert.Zero(t, localHits.Load(), "localhost was fetched")
	})

	t.Run("allow_private_links", func(t *testing.T) {
		byTitle := run(t, true)
		for _, name := range []string{"loopback", "localhost", "mapped IPv6", "redirect", "own page"} {
			assert.Equal(t, ExtractionPage, byTitle[name].Extraction, name)
		}
		assert.Contains(t, byTitle["loopback"].Content, "ADMIN SECRET")
		assert.Positive(t, secretHits.Load())
	})
}
