package wikipedia

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T) *fetch.Client {
	t.Helper()
	c, err := fetch.New(fetch.Options{MaxRetries: -1, PerHostParallel: 8})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestURLs(t *testing.T) {
	tests := []struct {
		name            string
		src             models.Source
		search, summary string
	}{
		{"default english", models.Source{Name: "w"},
			"https://en.wikipedia.org/w/api.php?action=query&format=json&list=search&srlimit=5&srsearch=sparse+attention",
			"https://en.wikipedia.org/api/rest_v1/page/summary/Attention_%28machine_learning%29"},
		{"language picks the edition", models.Source{Name: "w", Language: "de", MaxResults: 3},
			"https://de.wikipedia.org/w/api.php?action=query&format=json&list=search&srlimit=3&srsearch=sparse+attention",
			"https://de.wikipedia.org/api/rest_v1/page/summary/Attention_%28machine_learning%29"},
		{"bad language ignored", models.Source{Name: "w", Language: "../evil"},
			"https://en.wikipedia.org/w/api.php?action=query&format=json&list=search&srlimit=5&srsearch=sparse+attention",
			"https://en.wikipedia.org/api/rest_v1/page/summary/Attention_%28machine_learning%29"},
		{"url wins", models.Source{Name: "w", URL: "http://127.0.0.1:1/wikipedia/", Language: "fr"},
			"http://127.0.0.1:1/wikipedia/w/api.php?action=query&format=json&list=search&srlimit=5&srsearch=sparse+attention",
			"http://127.0.0.1:1/wikipedia/api/rest_v1/page/summary/Attention_%28machine_learning%29"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New(tc.src, nil)
			assert.Equal(t, tc.search, a.SearchURL("sparse attention"))
			assert.Equal(t, tc.summary, a.SummaryURL("Attention (machine learning)"))
		})
	}
	assert.Equal(t, "https://en.wikipedia.org/api/rest_v1/page/summary/AC%2FDC", New(models.Source{}, nil).SummaryURL("AC/DC"))
}

func TestSearchFixtureServer(t *testing.T) {
	s, err := fixtureserver.Start(t.Context(), fixtureserver.Options{})
	require.NoError(t, err)
	defer s.Close()
	src := s.Sources(models.KindWikipedia)[0]
	arts, err := New(src, newClient(t)).Search(t.Context(), fixtureserver.Question)
	require.NoError(t, err)
	require.Len(t, arts, 5)
	var titles []string
	for _, a := range arts {
		titles = append(titles, a.Title)
		assert.Equal(t, "wikipedia", a.Kind)
		assert.Equal(t, "en", a.Language)
		assert.True(t, strings.HasPrefix(a.URL, src.URL+"/wiki/"), a.URL)
	}
	assert.Equal(t, []string{"Transformer (deep learning architecture)", "Attention (machine learning)", "Sparse matrix",
		"Large language model", "Automatic summarization"}, titles, "search order kept")

	tr := arts[0]
	assert.Contains(t, tr.Summary, "multi-head attention")
	assert.Contains(t, tr.Summary, "\n\n", "extract_html paragraphs kept")
	assert.Equal(t, []string{"Deep learning architecture based on multi-head attention"}, tr.Categories)
	assert.Equal(t, time.Date(2026, 11, 19, 22, 41, 7, 0, time.UTC), tr.Updated, "the last edit is updated, not published")
	assert.True(t, tr.Published.IsZero())

	fallback := arts[4]
	assert.Equal(t, "Automatic summarization is the process of shortening a set of data computationally, to create a subset that "+
		"represents the most important information of long documents", fallback.Summary, "snippet, HTML stripped")
	assert.Equal(t, src.URL+"/wiki/Automatic_summarization", fallback.URL)
}

func TestSearchBoundedAndFallback(t *testing.T) {
	var inflight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/w/api.php" {
			assert.Equal(t, "quantum+%26+gravity", strings.Split(strings.Split(r.URL.RawQuery, "srsearch=")[1], "&")[0])
			_, _ = w.Write([]byte(`{"query":{"search":[` +
				`{"title":"A","snippet":"<b>a</b>"},{"title":"B","snippet":"b"},{"title":"C","snippet":"c"},` +
				`{"title":"D","snippet":"d"},{"title":"E","snippet":"e"},{"title":"F","snippet":"f"},{"title":"Broken","snippet":"kept &amp; stripped"}]}}`))
			return
		}
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		title := strings.TrimPrefix(r.URL.Path, "/api/rest_v1/page/summary/")
		if title == "Broken" {
			http.Error(w, "nope", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"title":"` + title + `","extract":"About ` + title + `.","lang":"en"}`))
	}))
	defer srv.Close()
	arts, err := New(models.Source{Name: "w", URL: srv.URL}, newClient(t)).Search(context.Background(), "quantum & gravity")
	require.NoError(t, err)
	require.Len(t, arts, 7)
	assert.Equal(t, "About A.", arts[0].Summary)
	assert.Equal(t, "kept & stripped", arts[6].Summary, "a failed summary falls back to the snippet")
	assert.LessOrEqual(t, peak.Load(), int32(summaryParallel))
}

func TestSearchErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind fetch.ErrorKind
		wantErr  string
	}{
		{"server error", 500, "down", fetch.KindHTTP5xx, "HTTP 500"},
		{"429 with a problem document", 429, testdata(t, "problem429.json"), fetch.KindHTTP429,
			"HTTP 429 Too Many Requests: Wikipedia says: You are making too many requests. Please identify your client"},
		{"api error", 200, `{"error":{"code":"badvalue","info":"Unrecognized value for parameter \"list\""}}`, fetch.KindHTTP4xx, "badvalue"},
		{"not json", 200, "<html></html>", fetch.KindMalformed, "decode search response"},
		{"no query", 200, `{"batchcomplete":""}`, fetch.KindMalformed, "no query.search"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := New(models.Source{Name: "wiki", URL: srv.URL}, newClient(t)).Search(context.Background(), "q")
			require.Error(t, err)
			assert.Equal(t, tc.wantKind, fetch.KindOf(err), "%v", err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Contains(t, err.Error(), srv.URL, "the error names the URL, not the source (the report does)")
		})
	}
}

func TestSearchDeadline(t *testing.T) {
	hang := func(hangSearch bool) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/w/api.php" && !hangSearch {
				_, _ = w.Write([]byte(`{"query":{"search":[{"title":"A","snippet":"about a"},{"title":"B","snippet":"about b"}]}}`))
				return
			}
			<-r.Context().Done()
		}))
	}
	t.Run("summaries late: the snippets arrive before the deadline", func(t *testing.T) {
		srv := hang(false)
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		arts, err := New(models.Source{Name: "w", URL: srv.URL}, newClient(t)).Search(ctx, "q")
		require.NoError(t, err)
		require.NoError(t, ctx.Err(), "returned before the source's deadline")
		require.Len(t, arts, 2)
		assert.Equal(t, "about a", arts[0].Summary)
	})
	t.Run("search late: a timeout error", func(t *testing.T) {
		srv := hang(true)
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := New(models.Source{Name: "w", URL: srv.URL}, newClient(t)).Search(ctx, "q")
		require.Error(t, err)
		assert.Equal(t, fetch.KindTimeout, fetch.KindOf(err), "%v", err)
	})
}

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// liveShaped serves the Action API search and REST summaries shaped like the
// live ones (testdata), with {{base}} replaced by the server's URL.
func liveShaped(t *testing.T, srlimit *atomic.Value) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		send := func(status int, name string) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(strings.ReplaceAll(testdata(t, name), "{{base}}", srv.URL)))
		}
		switch r.URL.Path {
		case "/w/api.php":
			if srlimit != nil {
				srlimit.Store(r.URL.Query().Get("srlimit"))
			}
			send(200, "search.json")
		case "/api/rest_v1/page/summary/Rust_%28programming_language%29", "/api/rest_v1/page/summary/Rust_(programming_language)":
			send(200, "summary-rust.json")
		case "/api/rest_v1/page/summary/Rust_%28disambiguation%29", "/api/rest_v1/page/summary/Rust_(disambiguation)":
			send(200, "summary-disambiguation.json")
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			send(404, "problem404.json")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSearchLiveShape: the live APIs' fields. The timestamp is the last edit,
// kept as updated, never as published; a disambiguation page is dropped and
// counted; the literal and percent-encoded forms of a title are one page.
func TestSearchLiveShape(t *testing.T) {
	var srlimit atomic.Value
	srv := liveShaped(t, &srlimit)
	a := New(models.Source{Name: "w", URL: srv.URL, MaxResults: 500}, newClient(t))
	arts, err := a.Search(context.Background(), "rust")
	require.NoError(t, err)
	assert.Equal(t, "50", srlimit.Load(), "max_results is bounded: each hit costs a summary request")
	require.Len(t, arts, 2)
	assert.Equal(t, 1, a.Skipped(), "the disambiguation page is counted")

	rust := arts[0]
	assert.Equal(t, "Rust (programming language)", rust.Title)
	assert.Equal(t, srv.URL+"/wiki/Rust_(programming_language)", rust.URL)
	assert.Equal(t, canon.URL(a.PageURL("Rust (programming language)")), rust.URL,
		"the summary's literal parentheses and PageURL's %28 %29 are one page")
	assert.True(t, rust.Published.IsZero(), "a Wikipedia page has no publication date in these APIs")
	assert.Equal(t, time.Date(2026, 11, 23, 8, 14, 52, 0, time.UTC), rust.Updated)
	assert.Equal(t, []string{"General-purpose programming language"}, rust.Categories)
	assert.Contains(t, rust.Summary, "Rust is a general-purpose programming language")

	oxide := arts[1]
	assert.Equal(t, "Ferrous oxide", oxide.Title)
	assert.Equal(t, "a compound of iron & oxygen, a component of rust's colour", oxide.Summary, "a 404 summary falls back to the snippet, highlight tags stripped")
	assert.True(t, oxide.Published.IsZero())
	assert.Equal(t, time.Date(2026, 9, 15, 11, 0, 0, 0, time.UTC), oxide.Updated)

	for _, art := range arts {
		assert.NotContains(t, art.Title, "disambiguation")
	}
}

// FuzzSummary: whatever a summary endpoint sends, the article keeps an http(s)
// URL, a title and text free of terminal controls, and never a published date.
func FuzzSummary(f *testing.F) {
	for _, name := range []string{"summary-rust.json", "summary-disambiguation.json", "problem404.json"} {
		f.Add([]byte(testdata(f, name)))
	}
	f.Add([]byte(`{"title":"x","content_urls":{"desktop":{"page":"javascript:alert(1)"}},"extract_html":"<p>\u001b[31mred</p>"}`))
	a := New(models.Source{Name: "w", URL: "https://en.wikipedia.org"}, nil)
	hit := searchHit{Title: "Hit", Snippet: "<span>s</span>", Timestamp: "2026-01-02T03:04:05Z"}
	f.Fuzz(func(t *testing.T, body []byte) {
		art, ok := a.fromSummary(hit, body)
		if !ok {
			return
		}
		if !strings.HasPrefix(art.URL, "https://") && !strings.HasPrefix(art.URL, "http://") {
			t.Fatalf("URL %q", art.URL)
		}
		if !art.Published.IsZero() {
			t.Fatalf("published %v", art.Published)
		}
		if strings.ContainsAny(art.Title+art.Summary, "\x1b\x07") {
			t.Fatalf("controls in %q / %q", art.Title, art.Summary)
		}
	})
}
