package fixtureserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func get(t *testing.T, ctx context.Context, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	require.NoError(t, err)
	defer s.Close()
	base := s.URL()
	tests := []struct {
		name, path  string
		status      int
		ctype, body string
	}{
		{"hn search", "/hn/api/v1/search?query=sparse+attention&tags=story&hitsPerPage=3", 200, "application/json", `"objectID":"46102231"`},
		{"hn needs query", "/hn/api/v1/search?tags=story", 400, "application/json", "query parameter is required"},
		{"wikipedia search", "/wikipedia/w/api.php?action=query&list=search&srsearch=sparse&format=json&srlimit=2", 200, "application/json", `"title":"Attention (machine learning)"`},
		{"wikipedia bad action", "/wikipedia/w/api.php?action=parse", 200, "application/json", `"code":"badvalue"`},
		{"wikipedia summary", "/wikipedia/api/rest_v1/page/summary/Sparse_matrix", 200, "application/json", `"extract_html"`},
		{"wikipedia summary escaped", "/wikipedia/api/rest_v1/page/summary/Attention_%28machine_learning%29", 200, "application/json", `"Attention (machine learning)"`},
		{"wikipedia summary missing", "/wikipedia/api/rest_v1/page/summary/Automatic_summarization", 404, "application/json", "not_found"},
		{"wikipedia page", "/wikipedia/wiki/Sparse_matrix", 200, "text/html", "<h1 id=\"firstHeading\">Sparse matrix</h1>"},
		{"arxiv query", "/arxiv/api/query?search_query=all:sparse&start=0&max_results=8", 200, "application/atom+xml", "<opensearch:totalResults"},
		{"arxiv error", "/arxiv/api/query", 400, "application/atom+xml", "api/errors"},
		{"arxiv abs", "/arxiv/abs/2611.04817v1", 200, "text/html", "Longformer Revisited"},
		{"arxiv abs unversioned", "/arxiv/abs/2611.04817", 200, "text/html", "Longformer Revisited"},
		{"rss", "/feeds/ml-weekly.xml", 200, "application/rss+xml", "<rss version=\"2.0\""},
		{"atom", "/feeds/systems-digest.atom", 200, "application/atom+xml", "<feed"},
		{"json feed", "/feeds/preprint-watch.json", 200, "application/feed+json", "jsonfeed.org/version/1.1"},
		{"rdf", "/feeds/lab-notes.rdf", 200, "application/rdf+xml", "<rdf:RDF"},
		{"unknown feed", "/feeds/nope.xml", 404, "text/plain", "not found"},
		{"page", "/pages/mlweekly/2026/11/sliding-windows-64k", 200, "text/html", "<article"},
		{"page trailing slash", "/pages/mlweekly/2026/11/sliding-windows-64k/", 200, "text/html", "<article"},
		{"page escape attempt", "/pages/../feeds/ml-weekly", 404, "text/plain", "not found"},
		{"broken", "/broken/feed.xml", 500, "text/plain", "Internal Server Error"},
		{"malformed", "/malformed/feed.xml", 200, "application/rss+xml", "<rss"},
		{"notfeed", "/notfeed/feed.xml", 200, "application/rss+xml", "<!DOCTYPE html>"},
		{"empty", "/empty/feed.xml", 200, "application/rss+xml", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, t.Context(), base+tc.path)
			assert.Equal(t, tc.status, resp.StatusCode, body)
			assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype), resp.Header.Get("Content-Type"))
			if tc.body == "" {
				assert.Empty(t, body)
			} else {
				assert.Contains(t, body, tc.body)
			}
			assert.NotContains(t, body, Placeholder)
			assert.NotContains(t, body, HostPlaceholder)
		})
	}
	t.Run("hn hitsPerPage", func(t *testing.T) {
		_, body := get(t, t.Context(), base+"/hn/api/v1/search?query=x&hitsPerPage=3")
		var r struct {
			Hits []json.RawMessage `json:"hits"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &r))
		assert.Len(t, r.Hits, 3)
	})
	t.Run("links point at the server", func(t *testing.T) {
		_, body := get(t, t.Context(), base+"/feeds/ml-weekly.xml")
		assert.Contains(t, body, "<link>"+base+"/pages/mlweekly/2026/11/sliding-windows-64k</link>")
		wiki := s.SourceURL(RouteWikipedia)
		_, body = get(t, t.Context(), wiki+"/wikipedia/api/rest_v1/page/summary/Sparse_matrix")
		assert.Contains(t, body, `"page": "`+wiki+`/wikipedia/wiki/Sparse_matrix"`, "summaries link the wiki that answered")
	})
}

func TestConditionalGET(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	require.NoError(t, err)
	defer s.Close()
	u := s.Sources(models.KindFeed)[0].URL
	resp, body := get(t, t.Context(), u)
	require.Equal(t, 200, resp.StatusCode)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	require.NotEmpty(t, etag)
	require.Equal(t, LastModified.Format(http.TimeFormat), lm)

	resp, again := get(t, t.Context(), u, "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, again)
	resp, _ = get(t, t.Context(), u, "If-Modified-Since", lm)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	resp, _ = get(t, t.Context(), u, "If-None-Match", `"other"`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	st := s.Stats()[s.Sources(models.KindFeed)[0].Name]
	assert.Equal(t, 4, st.Requests)
	assert.Equal(t, 2, st.NotModified)
	assert.Equal(t, int64(2*len(body)), st.Bytes)
}

func TestSources(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	require.NoError(t, err)
	defer s.Close()
	all := s.Sources()
	var names []string
	hosts := map[string]bool{}
	for _, src := range all {
		names = append(names, src.Name)
		host := strings.Split(strings.TrimPrefix(src.URL, "http://"), "/")[0]
		assert.False(t, hosts[host], "each source has a host of its own")
		hosts[host] = true
	}
	assert.Equal(t, []string{"hn", "wikipedia", "arxiv", "lab-notes", "ml-weekly", "preprint-watch", "systems-digest", "slow-feed", "broken-feed"}, names)
	assert.Len(t, s.Sources(models.KindArxiv, models.KindHackerNews), 2)
	assert.Len(t, s.Sources(models.KindFeed), 6)
	assert.Len(t, s.MisbehavingSources(), 5)
}

func TestLatencyAndSlow(t *testing.T) {
	s, err := Start(t.Context(), Options{Latency: map[string]time.Duration{RouteHN: 150 * time.Millisecond}, SlowDelay: time.Hour})
	require.NoError(t, err)
	defer s.Close()
	start := time.Now()
	resp, _ := get(t, t.Context(), s.Sources(models.KindHackerNews)[0].URL+"/search?query=x")
	assert.Equal(t, 200, resp.StatusCode)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)

	// The slow feed gives up as soon as the client does.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.SourceURL(RouteSlow)+"/slow/feed.xml", nil)
	require.NoError(t, err)
	start = time.Now()
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	http.DefaultClient.CloseIdleConnections()
}

func TestContextEndsServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{})
	require.NoError(t, err)
	cancel()
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	_, err = http.Get(s.URL() + "/feeds/ml-weekly.xml")
	assert.Error(t, err)
}

func TestCloseCutsSlowRequest(t *testing.T) {
	s, err := Start(t.Context(), Options{SlowDelay: time.Hour})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		_, err := (&http.Client{Transport: tr}).Get(s.SourceURL(RouteSlow) + "/slow/feed.xml")
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	require.NoError(t, s.Close())
	assert.Error(t, <-done)
	assert.Less(t, time.Since(start), 2*time.Second)
}
