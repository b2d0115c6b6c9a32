package hackernews

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	research "github.com/research-cli/research"
	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T) *fetch.Client {
	t.Helper()
	c, err := fetch.New(fetch.Options{MaxRetries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSearchURL(t *testing.T) {
	tests := []struct {
		name  string
		src   models.Source
		query string
		want  string
	}{
		{"default base", models.Source{Name: "hn"}, "rust async",
			"https://hn.algolia.com/api/v1/search?hitsPerPage=20&query=rust+async&tags=story"},
		{"configured", models.Source{Name: "hn", URL: "http://127.0.0.1:9/hn/api/v1/", MaxResults: 5}, `C++ & "Go"?`,
			"http://127.0.0.1:9/hn/api/v1/search?hitsPerPage=5&query=C%2B%2B+Go&tags=story"},
		{"a question: key terms, all optional", models.Source{Name: "hn"}, "Is sparse attention worth it for long documents?",
			"https://hn.algolia.com/api/v1/search?hitsPerPage=20&optionalWords=sparse+attention+worth+long+documents" +
				"&query=sparse+attention+worth+long+documents&tags=story"},
		{"max_results bounded by the API's page size", models.Source{Name: "hn", MaxResults: 5000}, "rust",
			"https://hn.algolia.com/api/v1/search?hitsPerPage=1000&query=rust&tags=story"},
		{"only stop words: the question whole", models.Source{Name: "hn"}, "how to",
			"https://hn.algolia.com/api/v1/search?hitsPerPage=20&query=how+to&tags=story"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, New(tc.src, nil).SearchURL(tc.query))
		})
	}
}

func TestSearchFixtureServer(t *testing.T) {
	s, err := fixtureserver.Start(t.Context(), fixtureserver.Options{})
	require.NoError(t, err)
	defer s.Close()
	src := s.Sources(models.KindHackerNews)[0]
	arts, err := New(src, newClient(t)).Search(t.Context(), fixtureserver.Question)
	require.NoError(t, err)
	require.Len(t, arts, 10)

	first := arts[0]
	assert.Equal(t, s.URL()+"/pages/mlweekly/2026/11/sliding-windows-64k", first.URL, "utm parameters dropped")
	assert.Equal(t, canon.ID(first.URL), first.ID)
	assert.Equal(t, "hn", first.Source)
	assert.Equal(t, "hackernews", first.Kind)
	assert.Equal(t, "praman", first.Author)
	assert.Equal(t, 312, first.Points)
	assert.Equal(t, 148, first.Comments)
	assert.Equal(t, "https://news.ycombinator.com/item?id=46102231", first.DiscussionURL)
	assert.Equal(t, time.Date(2026, 11, 21, 12, 4, 51, 0, time.UTC), first.Published)

	ask := arts[2]
	assert.True(t, strings.HasPrefix(ask.Title, "Ask HN:"))
	assert.Equal(t, "https://news.ycombinator.com/item?id=46090417", ask.URL, "Ask HN falls back to the discussion")
	assert.Contains(t, ask.Summary, "legal filings")
	assert.Contains(t, ask.Content, "\n\n", "story text keeps its paragraphs")
	assert.NotContains(t, ask.Content, "<p>")
}

func TestSearchErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind fetch.ErrorKind
	}{
		{"server error", 503, "unavailable", fetch.KindHTTP5xx},
		{"not json", 200, "<html>rate limited</html>", fetch.KindMalformed},
		{"no hits", 200, `{"message":"oops"}`, fetch.KindMalformed},
		{"truncated", 200, `{"hits":[{"objectID":"1","title":"x"`, fetch.KindMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := New(models.Source{Name: "hn", URL: srv.URL}, newClient(t)).Search(context.Background(), "q")
			require.Error(t, err)
			assert.Equal(t, tc.wantKind, fetch.KindOf(err), "%v", err)
			assert.NotContains(t, err.Error(), "hackernews hn", "no source-name prefix: the report names the source")
			assert.Contains(t, err.Error(), srv.URL)
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []models.Article
	}{
		{"empty hits", `{"hits":[]}`, []models.Article{}},
		{"nulls and duplicates", `{"hits":[
			{"objectID":"7","title":"T & U","url":null,"author":"a","points":null,"num_comments":null,"story_text":null,"created_at_i":1700000000},
			{"objectID":"7","title":"again"},
			{"title":"no id"}]}`,
			[]models.Article{{ID: canon.ID(DiscussionURL("7")), Source: "hn", Kind: "hackernews", URL: DiscussionURL("7"), Title: "T & U",
				Author: "a", Published: time.Unix(1700000000, 0).UTC(), DiscussionURL: DiscussionURL("7"), Site: "Hacker News"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.body), "hn")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParse(f *testing.F) {
	b, err := research.Fixtures.ReadFile("testdata/fixtures/hn/search.json")
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"hits":[{"objectID":"1","story_text":"<p>a<p>b"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		arts, err := Parse(body, "hn")
		if err != nil {
			return
		}
		for _, a := range arts {
			if a.ID == "" || a.URL == "" {
				t.Fatalf("article without id or url: %+v", a)
			}
		}
	})
}
