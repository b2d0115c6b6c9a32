package hackernews

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// TestParseLiveShape: a response shaped like the live Algolia HN API (its
// fields, highlight tags in _highlightResult, a null url, an Ask HN's HTML
// story_text with entities). Titles are text: their angle brackets stay.
func TestParseLiveShape(t *testing.T) {
	arts, err := Parse(testdata(t, "search.json"), "hn")
	require.NoError(t, err)
	require.Len(t, arts, 3)

	assert.Equal(t, "Why Option<T> beats null", arts[0].Title, "a title is text: its <T> is not markup")
	assert.Equal(t, "https://blog.example/option-t", arts[0].URL)
	assert.Equal(t, 204, arts[0].Points)
	assert.Equal(t, 87, arts[0].Comments)
	assert.Equal(t, "typesafe", arts[0].Author)

	ask := arts[1]
	assert.Equal(t, "Ask HN: Is sparse attention worth it for long documents?", ask.Title, "no highlight tags")
	assert.Equal(t, DiscussionURL("46100002"), ask.URL, "no url: the discussion is the story")
	assert.Equal(t, "We're evaluating sparse attention & retrieval for 200-page contracts.\n\n"+
		"Has anyone measured quality past 64k tokens? Our dense baseline is here.", ask.Summary,
		"story_text is HTML: tags stripped, entities decoded, paragraphs kept")
	assert.Empty(t, ask.Content, "content that is all summary is not repeated")

	assert.Equal(t, "Rust & Go: a <blink>tale</blink> of two runtimes", arts[2].Title)
	assert.Equal(t, DiscussionURL("46100003"), arts[2].URL, "a null url")
}

func TestAlgoliaErrorMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(testdata(t, "error400.json"))
	}))
	defer srv.Close()
	_, err := New(models.Source{Name: "hn", URL: srv.URL}, newClient(t)).Search(context.Background(), "q")
	require.Error(t, err)
	assert.Equal(t, fetch.KindHTTP4xx, fetch.KindOf(err))
	assert.Contains(t, err.Error(), `HTTP 400 Bad Request: Algolia says: Invalid value for "hitsPerPage" parameter, expected integer`)
}

// algolia emulates the documented matching of Algolia's search: every word of
// query must be in the record unless it is one of optionalWords; when all of
// them are optional, at least one must match; records matching more words
// rank first.
func algolia(t *testing.T, stories []string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		words := strings.Fields(strings.ToLower(q.Get("query")))
		optional := map[string]bool{}
		for _, o := range strings.Fields(strings.ToLower(q.Get("optionalWords"))) {
			optional[o] = true
		}
		type scored struct {
			i, n int
		}
		var found []scored
		for i, s := range stories {
			have := strings.Fields(strings.ToLower(s))
			n, ok := 0, true
			for _, w := range words {
				switch {
				case slices.Contains(have, w):
					n++
				case !optional[w]:
					ok = false
				}
			}
			if ok && n > 0 {
				found = append(found, scored{i, n})
			}
		}
		slices.SortStableFunc(found, func(a, b scored) int { return b.n - a.n })
		type hit struct {
			ObjectID string `json:"objectID"`
			Title    string `json:"title"`
			URL      string `json:"url"`
		}
		hits := []hit{}
		for _, f := range found {
			id := strconv.Itoa(f.i + 1)
			hits = append(hits, hit{id, stories[f.i], "https://news.example/" + id})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"hits": hits, "nbHits": len(hits), "query": q.Get("query")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLongQuestionFindsWhatItsKeyTermsFind: against Algolia's documented
// matching, a natural question returns every story its short form returns.
func TestLongQuestionFindsWhatItsKeyTermsFind(t *testing.T) {
	srv := algolia(t, []string{
		"Sparse attention at 128k tokens",
		"Block sparse attention kernels explained",
		"Long documents need better retrieval",
		"Attention is all you need, revisited",
		"A history of the sparse matrix",
		"Cooking pasta for long evenings",
	})
	a := New(models.Source{Name: "hn", URL: srv.URL}, newClient(t))
	titles := func(q string) []string {
		arts, err := a.Search(context.Background(), q)
		require.NoError(t, err)
		var out []string
		for _, x := range arts {
			out = append(out, x.Title)
		}
		return out
	}
	short := titles("sparse attention")
	require.Len(t, short, 2)
	long := titles("is sparse attention worth it for long documents")
	for _, s := range short {
		assert.Contains(t, long, s, "the long question lost a story the short query finds")
	}
	assert.Equal(t, "Sparse attention at 128k tokens", long[0], "stories matching the most terms first")
	assert.Contains(t, long, "Long documents need better retrieval")
}
