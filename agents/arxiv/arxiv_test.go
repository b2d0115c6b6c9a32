package arxiv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	research "github.com/research-cli/research"
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
		name, query, want string
		src               models.Source
	}{
		{"default", "sparse attention for long documents",
			"https://export.arxiv.org/api/query?max_results=20&search_query=all%3Asparse+OR+all%3Aattention+OR+all%3Along+OR+all%3Adocuments&sortBy=relevance&start=0",
			models.Source{}},
		{"only stop words", "how to",
			"http://127.0.0.1:1/arxiv/api/query?max_results=3&search_query=all%3Ahow+OR+all%3Ato&sortBy=relevance&start=0",
			models.Source{URL: "http://127.0.0.1:1/arxiv/", MaxResults: 3}},
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
	src := s.Sources(models.KindArxiv)[0]
	arts, err := New(src, newClient(t)).Search(t.Context(), fixtureserver.Question)
	require.NoError(t, err)
	require.Len(t, arts, 8)
	p := arts[0]
	assert.Equal(t, "Longformer Revisited: Sliding Windows and Global Tokens at 64k Tokens", p.Title, "wrapped title joined")
	assert.Equal(t, "Anika Sørensen, David Okafor, Lucía Prieto", p.Author)
	assert.Equal(t, []string{"cs.CL", "cs.LG"}, p.Categories)
	assert.Equal(t, s.URL()+"/arxiv/abs/2611.04817", p.URL)
	assert.Equal(t, s.URL()+"/arxiv/pdf/2611.04817", p.PDFURL)
	assert.Equal(t, time.Date(2026, 11, 7, 17, 58, 12, 0, time.UTC), p.Published)
	assert.NotContains(t, p.Summary, "\n", "abstract line breaks collapsed")
	assert.Contains(t, p.Summary, "global tokens placed at section boundaries")
	assert.Equal(t, "arxiv", p.Kind)
	assert.Equal(t, []string{"q-bio.BM", "cs.LG"}, arts[7].Categories, "primary category first")
}

func TestSearchErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind fetch.ErrorKind
		wantErr  string
	}{
		{"server error", 503, "busy", fetch.KindHTTP5xx, "HTTP 503"},
		{"error entry", 200, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#bad</id>` +
			`<title>Error</title><summary>malformed query</summary></entry></feed>`, fetch.KindHTTP4xx, "malformed query"},
		{"truncated", 200, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title>T`, fetch.KindMalformed, "malformed"},
		{"empty", 200, "", fetch.KindEmpty, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := New(models.Source{Name: "ax", URL: srv.URL}, newClient(t)).Search(context.Background(), "q")
			require.Error(t, err)
			assert.Equal(t, tc.wantKind, fetch.KindOf(err), "%v", err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Contains(t, err.Error(), "arxiv ax")
			assert.Contains(t, err.Error(), srv.URL)
		})
	}
}

// TestMinInterval checks that a second search waits the 3 s arXiv asks for.
func TestMinInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 3 s")
	}
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		starts = append(starts, time.Now())
		_, _ = w.Write([]byte(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>`))
	}))
	defer srv.Close()
	a := New(models.Source{Name: "ax", URL: srv.URL}, newClient(t))
	for range 2 {
		_, err := a.Search(context.Background(), "q")
		require.NoError(t, err)
	}
	require.Len(t, starts, 2)
	assert.GreaterOrEqual(t, starts[1].Sub(starts[0]), MinInterval-50*time.Millisecond)
}

func FuzzParse(f *testing.F) {
	b, err := research.Fixtures.ReadFile("testdata/fixtures/arxiv/query.xml")
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1</id><title>t</title></entry></feed>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		arts, err := Parse(body, "ax")
		if err != nil {
			if fetch.KindOf(err) == "" {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		for _, a := range arts {
			if a.ID == "" || a.URL == "" || a.Title == "" {
				t.Fatalf("bad article %+v", a)
			}
		}
	})
}
