package page

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

// newClient is a shared-client instance for loopback tests.
func newClient(t *testing.T) *fetch.Client {
	t.Helper()
	c, err := fetch.New(fetch.Options{MaxRetries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// pageServer serves the fixture pages and a few misbehaving paths on loopback.
func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	pages := map[string]string{
		"/news":     "news-article.html",
		"/blog":     "blog-jsonld.html",
		"/index":    "link-index.html",
		"/paywall":  "paywall.html",
		"/fr":       "windows-1252.html",
		"/login":    "login.html",
		"/latin-ct": "windows-1252.html",
	}
	mux := http.NewServeMux()
	for path, file := range pages {
		body := fixture(t, file)
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			ct := "text/html; charset=utf-8"
			if file == "windows-1252.html" {
				ct = "text/html" // the page's <meta> says windows-1252
			}
			w.Header().Set("Content-Type", ct)
			_, _ = w.Write(body)
		})
	}
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.7 not really"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestExtract(t *testing.T) {
	srv := pageServer(t)
	c := newClient(t)

	ex, err := Extract(context.Background(), c, srv.URL+"/fr")
	require.NoError(t, err)
	assert.Equal(t, "Le café du port rouvre ses portes", ex.Title)
	assert.Contains(t, ex.Text, "Coût total des travaux : 240 000 €")
	assert.Equal(t, srv.URL+"/fr", ex.URL)

	tests := []struct {
		name string
		path string
		is   error
		kind fetch.ErrorKind
	}{
		{name: "not found", path: "/missing", kind: fetch.KindHTTP4xx},
		{name: "no article", path: "/index", is: ErrNoArticle},
		{name: "not HTML", path: "/pdf", is: ErrNotHTML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract(context.Background(), c, srv.URL+tt.path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), srv.URL+tt.path, "the error names the URL")
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			if tt.kind != "" {
				assert.Equal(t, tt.kind, fetch.KindOf(err))
			}
		})
	}
}

func TestJudge(t *testing.T) {
	prose := strings.Repeat("The council voted to rebuild the wall on the same line. ", 20)
	tests := []struct {
		name     string
		ex       Extracted
		feedText string
		want     string // prefix of the decision
	}{
		{"longer prose than the feed", Extracted{Text: prose, LinkDensity: 0.02}, "A short summary.", "page"},
		{"no feed text at all", Extracted{Text: prose}, "", "page"},
		{"shorter than the feed", Extracted{Text: "Teaser. One. Two. Three."}, strings.Repeat("x", 1840),
			"kept-feed: extraction shorter than feed text (24 < 1840 chars)"},
		{"equal length keeps the feed", Extracted{Text: "abc"}, "xyz", "kept-feed: extraction shorter"},
		{"mostly links", Extracted{Text: prose, LinkDensity: 0.6}, "", "kept-feed: extraction is mostly links (60% link text)"},
		{"too few sentences", Extracted{Text: strings.Repeat("word ", 300)}, "", "kept-feed: extraction has too few sentences (0)"},
		{"long text without full stops is fine", Extracted{Text: strings.Repeat("item\n\n", 600)}, "", "page"},
		{"consent wall", Extracted{Text: "We use cookies to improve your experience. Accept all cookies to continue. Manage your consent. Read more."}, "",
			`kept-feed: extraction looks like boilerplate ("we use cookies")`},
		{"JavaScript wall", Extracted{Text: "Please enable JavaScript to view this page. It is needed. Thank you."}, "",
			`kept-feed: extraction looks like boilerplate ("enable javascript")`},
		{"long article that mentions cookies is fine", Extracted{Text: prose + " The website uses cookies. " + prose + prose}, "", "page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(&tt.ex, tt.feedText)
			assert.True(t, strings.HasPrefix(got, tt.want), "got %q, want prefix %q", got, tt.want)
		})
	}
}

func TestEnrich(t *testing.T) {
	srv := pageServer(t)
	c := newClient(t)
	feedText := strings.Repeat("The feed carried the whole story in its content element. ", 40)

	tests := []struct {
		name       string
		art        models.Article
		timeout    time.Duration
		wantErr    error
		wantKind   fetch.ErrorKind
		extraction string // prefix
		check      func(t *testing.T, a models.Article)
	}{
		{
			name:       "page better than a one-line summary",
			art:        models.Article{ID: "a1", URL: "/news", Summary: "Residents voted to rebuild the sea wall.", Author: "Feed Author"},
			extraction: "page",
			check: func(t *testing.T, a models.Article) {
				assert.Contains(t, a.Content, "forty-two million")
				assert.Equal(t, "Harbour town votes to rebuild its sea wall", a.Title, "empty title filled")
				assert.Equal(t, "Feed Author", a.Author, "the feed's author is kept")
				assert.Equal(t, "The Coastal Courier", a.Site)
				assert.Equal(t, 2026, a.Published.Year())
			},
		},
		{
			name:       "paywall teaser shorter than the feed's content",
			art:        models.Article{ID: "a2", URL: "/paywall", Content: feedText},
			extraction: "kept-feed: extraction shorter than feed text",
			check: func(t *testing.T, a models.Article) {
				assert.Equal(t, feedText, a.Content, "feed text kept")
				assert.Empty(t, a.Title, "nothing filled from a rejected page")
				assert.Empty(t, a.Site)
			},
		},
		{
			name:       "paywall teaser with no feed text is boilerplate",
			art:        models.Article{ID: "a3", URL: "/paywall"},
			extraction: "kept-feed: extraction looks like boilerplate",
			check: func(t *testing.T, a models.Article) {
				assert.Empty(t, a.Content)
			},
		},
		{
			name:       "404",
			art:        models.Article{ID: "a4", URL: "/missing", Summary: "kept"},
			wantKind:   fetch.KindHTTP4xx,
			extraction: "kept-feed: fetch failed (http_4xx)",
			check: func(t *testing.T, a models.Article) {
				assert.Equal(t, "kept", a.Summary)
				assert.Empty(t, a.Content)
			},
		},
		{
			name:       "slow server past the deadline",
			art:        models.Article{ID: "a5", URL: "/slow"},
			timeout:    200 * time.Millisecond,
			extraction: "kept-feed: ",
		},
		{
			name:       "not an article",
			art:        models.Article{ID: "a6", URL: "/login", Content: "feed text"},
			wantErr:    ErrNoArticle,
			extraction: "kept-feed: page holds no article",
			check: func(t *testing.T, a models.Article) {
				assert.Equal(t, "feed text", a.Content)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			a := tt.art
			a.URL = srv.URL + a.URL
			start := time.Now()
			err := EnrichFrom(ctx, c, &a, srv.URL+"/feed.xml")
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
			case tt.wantKind != "":
				require.Error(t, err)
				assert.Equal(t, tt.wantKind, fetch.KindOf(err))
			case tt.timeout > 0:
				require.Error(t, err)
				assert.Less(t, time.Since(start), tt.timeout+2*time.Second, "the deadline is honoured")
			default:
				require.NoError(t, err)
			}
			if err != nil {
				assert.Contains(t, err.Error(), a.URL, "the error names the URL")
			}
			assert.True(t, strings.HasPrefix(a.Extraction, tt.extraction), "extraction %q, want prefix %q", a.Extraction, tt.extraction)
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func TestEnrichNoURL(t *testing.T) {
	a := models.Article{ID: "x", Summary: "s"}
	require.Error(t, Enrich(context.Background(), newClient(t), &a))
	assert.Equal(t, "kept-feed: no URL to fetch", a.Extraction)
}

func TestEnrichAll(t *testing.T) {
	page := fixture(t, "news-article.html")
	var inFlight, maxInFlight atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond) // overlap the requests
		if strings.HasPrefix(r.URL.Path, "/missing/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(page)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t)

	var arts []*models.Article
	for i := range 7 {
		path := "/story"
		if i == 3 {
			path = "/missing"
		}
		arts = append(arts, &models.Article{ID: string(rune('a' + i)), URL: srv.URL + path + "/" + string(rune('a'+i))})
	}
	errs := EnrichAllFrom(context.Background(), c, arts, 2, fromServer(srv))
	require.Len(t, errs, len(arts))
	for i, a := range arts {
		if i == 3 {
			assert.Error(t, errs[i])
			assert.Equal(t, "kept-feed: fetch failed (http_4xx)", a.Extraction)
			continue
		}
		assert.NoError(t, errs[i], a.ID)
		assert.Equal(t, "page", a.Extraction, a.ID)
		assert.Contains(t, a.Content, "sea wall")
	}
	assert.LessOrEqual(t, maxInFlight.Load(), int32(2), "at most parallel requests at once")
}

func TestEnrichAllCancelled(t *testing.T) {
	srv := pageServer(t)
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	arts := []*models.Article{{ID: "a", URL: srv.URL + "/news"}, nil, {ID: "b", URL: srv.URL + "/blog"}}
	errs := EnrichAll(ctx, c, arts, 4)
	require.Len(t, errs, 3)
	for _, i := range []int{0, 2} {
		assert.True(t, errors.Is(errs[i], context.Canceled), "%v", errs[i])
		assert.Equal(t, "kept-feed: fetch cancelled or timed out", arts[i].Extraction)
		assert.Empty(t, arts[i].Content)
	}
	assert.NoError(t, errs[1], "a nil article is skipped")
}

// TestEnrichAllRace runs many enrichments sharing one client under -race.
func TestEnrichAllRace(t *testing.T) {
	srv := pageServer(t)
	c := newClient(t)
	var arts []*models.Article
	for i := range 12 {
		p := []string{"/news", "/blog", "/fr"}[i%3]
		arts = append(arts, &models.Article{ID: p, URL: srv.URL + p})
	}
	for i, err := range EnrichAllFrom(context.Background(), c, arts, 4, fromServer(srv)) {
		assert.NoError(t, err, i)
	}
	for _, a := range arts {
		assert.Equal(t, "page", a.Extraction, a.URL)
	}
}

// TestEnrichRecoversPanic: a panic while extracting one article becomes that
// article's error; it keeps its feed text and the others are enriched.
func TestEnrichRecoversPanic(t *testing.T) {
	srv := pageServer(t)
	c := newClient(t)
	tests := []struct {
		name  string
		value any
		why   string
	}{
		{"string", "boom in readability", "boom in readability"},
		{"error", errors.New("index out of range [3] with length 3"), "index out of range [3] with length 3"},
		{"value with controls", "bad\u001b]0;pwned\u0007 node", "bad node"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := extract
			t.Cleanup(func() { extract = orig })
			extract = func(ctx context.Context, c *fetch.Client, url, origin string) (*Extracted, error) {
				if strings.HasSuffix(url, "/blog") {
					panic(tc.value)
				}
				return orig(ctx, c, url, origin)
			}
			feed := models.Article{ID: "b", URL: srv.URL + "/blog", Title: "Feed title", Summary: "Feed summary.", Content: "Feed content."}
			arts := []*models.Article{
				{ID: "a", URL: srv.URL + "/news", Summary: "short"},
				ptr(feed),
				{ID: "c", URL: srv.URL + "/fr", Summary: "short"},
			}
			errs := EnrichAllFrom(context.Background(), c, arts, 2, fromServer(srv))
			require.Len(t, errs, 3)
			assert.NoError(t, errs[0])
			assert.NoError(t, errs[2])
			assert.Equal(t, "page", arts[0].Extraction)
			assert.Equal(t, "page", arts[2].Extraction)

			require.Error(t, errs[1])
			assert.Equal(t, "enrich "+feed.URL+": internal error: "+tc.why, errs[1].Error())
			want := feed
			want.Extraction = "kept-feed: extraction failed (internal error: " + tc.why + ")"
			assert.Equal(t, want, *arts[1], "the article keeps its feed text")
		})
	}
}

func ptr[T any](v T) *T { return &v }

// fromServer says every article came from a feed on srv: its pages share the
// feed's host and port, so they may be on loopback.
func fromServer(srv *httptest.Server) func(*models.Article) string {
	return func(*models.Article) string { return srv.URL + "/feed.xml" }
}
