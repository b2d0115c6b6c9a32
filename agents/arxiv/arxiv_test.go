package arxiv

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
	error400 := testdata(t, "error400.xml")
	tests := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		wantKind fetch.ErrorKind
		want     []string
	}{
		{name: "400 with arXiv's Atom error entry", status: 400, header: map[string]string{"Content-Type": "application/atom+xml; charset=utf-8"},
			body: error400, wantKind: fetch.KindHTTP4xx, want: []string{"HTTP 400 Bad Request: arXiv says: incorrect id format for abc"}},
		{name: "429 asking to wait past the deadline", status: 429, header: map[string]string{"Retry-After": "120"},
			body: "Rate exceeded.", wantKind: fetch.KindHTTP429,
			want: []string{"arXiv is throttling this address: ", "HTTP 429 Too Many Requests"}},
		{name: "503", status: 503, body: "busy", wantKind: fetch.KindHTTP5xx,
			want: []string{"arXiv is throttling this address: ", "HTTP 503 Service Unavailable"}},
		{name: "500 is not throttling", status: 500, body: "oops", wantKind: fetch.KindHTTP5xx, want: []string{"HTTP 500 Internal Server Error"}},
		{name: "error entry in a 200", status: 200, body: strings.Replace(error400, "incorrect id format for abc", "malformed query", 1),
			wantKind: fetch.KindHTTP4xx, want: []string{"arXiv says: malformed query"}},
		{name: "truncated", status: 200, body: `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title>T`,
			wantKind: fetch.KindMalformed, want: []string{"malformed"}},
		{name: "empty", status: 200, body: "", wantKind: fetch.KindEmpty, want: []string{"empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := New(models.Source{Name: "ax", URL: srv.URL}, newClient(t)).Search(ctx, "q")
			require.Error(t, err)
			assert.Equal(t, tc.wantKind, fetch.KindOf(err), "%v", err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Contains(t, err.Error(), srv.URL, "the error names the URL")
			assert.NotContains(t, err.Error(), "arxiv ax", "the agent adds no source-name prefix (the report names the source)")
		})
	}
}

// TestThrottled: arXiv stalls a throttled client before answering 429 with a
// Retry-After; the agent waits past the client's default header timeout,
// honours the Retry-After within its deadline and then gets its papers.
func TestThrottled(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for arXiv's 3 s interval")
	}
	body := testdata(t, "query.xml")
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond) // the stall, longer than the client's header timeout below
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c, err := fetch.New(fetch.Options{HeaderTimeout: 100 * time.Millisecond, MaxRetries: 2})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	arts, err := New(models.Source{Name: "arxiv", URL: srv.URL}, c).Search(ctx, "sparse attention")
	require.NoError(t, err)
	assert.Len(t, arts, 2)
	assert.Equal(t, int32(2), n.Load())
}

// TestParseLiveShape: a response shaped like the live API's (its documented
// fields, arxiv: extensions, versioned links, entities, wrapped titles).
func TestParseLiveShape(t *testing.T) {
	arts, err := Parse([]byte(testdata(t, "query.xml")), "arxiv")
	require.NoError(t, err)
	require.Len(t, arts, 2)
	a := arts[0]
	assert.Equal(t, "https://arxiv.org/abs/2611.09902", a.URL, "versionless, as rss.arxiv.org links it")
	assert.Equal(t, "https://arxiv.org/pdf/2611.09902", a.PDFURL)
	assert.Equal(t, "Routing Tokens to Blocks: Learned Sparse Attention for Book-Length Inputs", a.Title)
	assert.Equal(t, "We study block-sparse attention patterns learned from routing scores & show that a 64k-token model "+
		"keeps 97% of dense quality at a quarter of the cost.", a.Summary)
	assert.Equal(t, "Ada Quill, Basil Ortega", a.Author)
	assert.Equal(t, time.Date(2026, 11, 12, 9, 30, 0, 0, time.UTC), a.Published)
	assert.Equal(t, time.Date(2026, 11, 21, 17, 2, 11, 0, time.UTC), a.Updated)
	assert.Equal(t, "10.5555/fict.2026.0042", a.DOI)
	assert.Equal(t, "Fict. J. Mach. Learn. 7 (2026) 101-115", a.JournalRef)
	assert.Equal(t, "14 pages, 6 figures; v2 adds a 128k ablation", a.Comment)
	assert.Equal(t, []string{"cs.CL", "cs.LG"}, a.Categories)
	assert.Equal(t, "https://arxiv.org/abs/hep-th/9901001", arts[1].URL)
	assert.Empty(t, arts[1].DOI)
	assert.Equal(t, time.Date(1999, 1, 4, 17, 0, 0, 0, time.UTC), arts[1].Published)
}

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
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
	f.Add([]byte(testdata(f, "query.xml")))
	f.Add([]byte(testdata(f, "error400.xml")))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1</id><title>t</title></entry></feed>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if msg := errorEntry(body); len(msg) > 304 || strings.ContainsAny(msg, "\n\x1b") {
			t.Fatalf("error entry not clipped to one clean line: %q", msg)
		}
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
