package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	research "github.com/research-cli/research"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/models"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T) *fetch.Client {
	t.Helper()
	c, err := fetch.New(fetch.Options{MaxRetries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := research.Fixtures.ReadFile("testdata/fixtures/" + name)
	require.NoError(t, err)
	return []byte(strings.ReplaceAll(string(b), fixtureserver.Placeholder, "http://fixtures.test"))
}

const rssHead = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title><link>https://blog.example.org/</link>`

func TestSearch(t *testing.T) {
	latin1, err := charmap.ISO8859_1.NewEncoder().String(`<?xml version="1.0" encoding="ISO-8859-1"?>` +
		`<rss version="2.0"><channel><title>Café</title><item><title>Résumé of attention</title><link>https://x.example/a</link></item></channel></rss>`)
	require.NoError(t, err)
	cp1251, err := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0"?>` +
		`<rss version="2.0"><channel><title>Блог</title><item><title>Разреженное внимание</title><link>https://x.example/ru</link></item></channel></rss>`)
	require.NoError(t, err)

	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(`<?xml version="1.0" encoding="UTF-16"?>` +
		`<rss version="2.0"><channel><title>u16</title><item><title>Ångström-scale attention</title><link>https://x.example/u16</link></item></channel></rss>`)
	require.NoError(t, err)
	utf16 := u16

	tests := []struct {
		name        string
		contentType string
		status      int
		body        string
		wantKind    fetch.ErrorKind
		wantErr     string // substring of the error
		wantTitles  []string
		check       func(t *testing.T, arts []models.Article)
	}{
		{name: "rss 2.0", contentType: "application/rss+xml", body: string(fixture(t, "feeds/ml-weekly.xml")),
			wantTitles: []string{"Sliding windows at 64k tokens: what actually breaks", "Why your LLM forgets the middle of long documents",
				"Benchmarks for long-document question answering, compared", "Ring attention and sequence parallelism, explained with diagrams",
				"Notes from the GPU shortage, year three",
				"A gentle introduction to diffusion models for audio", "We are hiring: machine learning infrastructure engineers"},
			check: func(t *testing.T, arts []models.Article) {
				a := arts[1]
				assert.Equal(t, "http://fixtures.test/pages/mlweekly/2026/11/lost-in-the-middle", a.URL, "tracking parameters dropped")
				assert.Equal(t, "Tomás Herrera", a.Author)
				assert.Equal(t, time.Date(2026, 11, 18, 14, 0, 0, 0, time.UTC), a.Published)
				assert.Equal(t, "en-gb", a.Language)
				assert.Equal(t, "ML Weekly", a.Site)
				assert.Contains(t, a.Content, "attention sinks")
				assert.Contains(t, a.Content, "\n\n", "paragraphs kept as blank lines")
				assert.NotContains(t, a.Content, "<p>")
			}},
		{name: "atom 1.0", contentType: "application/atom+xml", body: string(fixture(t, "feeds/systems-digest.atom")),
			wantTitles: []string{"Where the memory goes: KV caches for long-context inference",
				"The quadratic bottleneck of attention is mostly a myth below 8k tokens",
				"Reprint: Sliding windows at 64k tokens — what actually breaks", "Serving 200k-token contexts on one accelerator",
				"Postgres 19 makes vacuum less of a chore",
				"What the Rust 2027 edition will change", "Profiling Go services in production without slowing them down"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Equal(t, "Mei Lin", arts[0].Author)
				assert.Equal(t, time.Date(2026, 11, 16, 7, 45, 0, 0, time.UTC), arts[0].Published, "published, not updated")
				assert.Equal(t, "en", arts[0].Language)
				assert.Equal(t, []string{"inference", "memory"}, arts[0].Categories)
			}},
		{name: "json feed", contentType: "application/feed+json", body: string(fixture(t, "feeds/preprint-watch.json")),
			wantTitles: []string{"Longformer Revisited: Sliding Windows and Global Tokens at 64k Tokens",
				"Block-sparse attention kernels for long-document training (v2)", "Lost in the middle, again: positional bias at 128k context",
				"Sparse attention meets retrieval: hybrid readers for million-token documents", "Graph neural networks for weather forecasting at kilometre scale", "Reinforcement learning from human feedback for robot grasping"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Equal(t, "http://fixtures.test/arxiv/abs/2611.04817", arts[0].URL, "the versionless arXiv id")
				assert.Contains(t, arts[0].Summary, "Why it matters:")
				assert.Empty(t, arts[0].Content, "content that is all summary is not repeated")
			}},
		{name: "rss 1.0 rdf", contentType: "application/rdf+xml", body: string(fixture(t, "feeds/lab-notes.rdf")),
			wantTitles: []string{"Writing block-sparse attention kernels that beat dense",
				"Ring attention and sequence parallelism, explained with diagrams", "Sparse mixture-of-experts routing, without the load-balancing loss",
				"Reading group: summarising book-length documents", "Our lab is moving to a new cluster"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Equal(t, "Jonas Weber", arts[0].Author)
				assert.Equal(t, time.Date(2026, 11, 12, 16, 20, 0, 0, time.UTC), arts[0].Published)
			}},
		{name: "rss 0.91", contentType: "text/xml", body: `<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">` +
			`<rss version="0.91"><channel><title>Old</title><link>http://old.example/</link><item><title>Caf&eacute; &amp; attention&nbsp;spans</title><link>http://old.example/1</link><description>Old &mdash; but fine</description></item></channel></rss>`,
			wantTitles: []string{"Café & attention spans"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Equal(t, "Old — but fine", arts[0].Summary)
			}},
		{name: "atom 0.3", contentType: "application/atom+xml", body: `<?xml version="1.0" encoding="utf-8"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old Atom</title>` +
			`<entry><title>Sparse notes</title><link rel="alternate" type="text/html" href="http://atom03.example/sparse"/><id>tag:atom03,1</id><issued>2005-06-01T10:00:00Z</issued><modified>2005-06-02T10:00:00Z</modified><summary>Short.</summary></entry></feed>`,
			wantTitles: []string{"Sparse notes"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Equal(t, "http://atom03.example/sparse", arts[0].URL)
				assert.False(t, arts[0].Published.IsZero())
			}},
		{name: "server error", status: 500, body: "oops", wantKind: fetch.KindHTTP5xx, wantErr: "HTTP 500"},
		{name: "html as feed", contentType: "text/html; charset=utf-8", body: string(fixture(t, "misbehaving/notfeed.html")),
			wantKind: fetch.KindNotAFeed, wantErr: "not a feed: got an HTML page"},
		{name: "html labelled as rss", contentType: "application/rss+xml", body: "<!-- moved -->\n<HTML><body>gone</body></HTML>",
			wantKind: fetch.KindNotAFeed, wantErr: "got an HTML page"},
		{name: "unrecognised xml", contentType: "application/xml", body: `<?xml version="1.0"?><sitemap><url>x</url></sitemap>`,
			wantKind: fetch.KindNotAFeed, wantErr: "unrecognised document"},
		{name: "truncated", contentType: "application/rss+xml", body: string(fixture(t, "misbehaving/truncated.xml")),
			wantKind: fetch.KindMalformed, wantErr: "malformed"},
		{name: "empty 200", contentType: "application/rss+xml", body: "", wantKind: fetch.KindEmpty, wantErr: "empty"},
		{name: "whitespace only", contentType: "application/rss+xml", body: " \n\t\n", wantKind: fetch.KindEmpty},
		{name: "latin-1 declared", contentType: "application/rss+xml", body: latin1, wantTitles: []string{"Résumé of attention"}},
		{name: "utf-8 declared latin-1", contentType: "application/rss+xml",
			body:       `<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>x</title><item><title>naïve café</title><link>https://x.example/n</link></item></channel></rss>`,
			wantTitles: []string{"naïve café"}},
		{name: "utf-16 with a byte-order mark", contentType: "application/rss+xml", body: utf16,
			wantTitles: []string{"Ångström-scale attention"}},
		{name: "windows-1251 from content type", contentType: "text/xml; charset=windows-1251", body: cp1251, wantTitles: []string{"Разреженное внимание"}},
		{name: "invalid xml in the wild", contentType: "application/rss+xml",
			body: rssHead + "<item><title>Ctrl\x01\x08chars &amp; &nbsp;nbsp &copy; R&D &bogus; &#1; ok</title><link>https://x.example/i?a=1&b=2</link>" +
				"<description><![CDATA[<p>cdata &nbsp; kept</p>]]></description></item></channel></rss>",
			wantTitles: []string{"Ctrlchars & nbsp © R&D &bogus; ok"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Equal(t, "https://x.example/i?a=1&b=2", arts[0].URL)
				assert.Equal(t, "cdata kept", arts[0].Summary)
			}},
		{name: "duplicates in a feed", contentType: "application/rss+xml",
			body: rssHead + `<item><title>One</title><guid>g1</guid><link>https://x.example/1</link></item>` +
				`<item><title>One again</title><guid>g1</guid><link>https://x.example/1b</link></item>` +
				`<item><title>Two</title><link>https://x.example/2?utm_source=a</link></item>` +
				`<item><title>Two again</title><link>https://x.example/2</link></item>` +
				`<item><title>Three</title><guid isPermaLink="false">g3</guid></item>` +
				`<item><title>Relative</title><link>/posts/rel</link></item></channel></rss>`,
			wantTitles: []string{"One", "Two", "Three", "Relative"},
			check: func(t *testing.T, arts []models.Article) {
				assert.Empty(t, arts[2].URL)
				assert.NotEmpty(t, arts[2].ID, "no URL: id from source and guid")
				assert.Equal(t, "https://blog.example.org/posts/rel", arts[3].URL, "relative link resolved against the channel link")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Contains(t, r.Header.Get("Accept"), "application/rss+xml")
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				if tc.status != 0 {
					w.WriteHeader(tc.status)
				}
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			src := models.Source{Name: "test-feed", Kind: models.KindFeed, URL: srv.URL + "/feed"}
			arts, err := New(src, newClient(t)).Search(context.Background(), "ignored")
			if tc.wantKind != "" || tc.wantErr != "" {
				require.Error(t, err)
				assert.Nil(t, arts)
				if tc.wantKind != "" {
					assert.Equal(t, tc.wantKind, fetch.KindOf(err), "error %v", err)
				}
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), "test-feed", "no source-name prefix: the report names the source")
				assert.Contains(t, err.Error(), srv.URL, "the error names the URL")
				return
			}
			require.NoError(t, err)
			var titles []string
			ids := map[string]bool{}
			for _, a := range arts {
				titles = append(titles, a.Title)
				assert.Equal(t, "test-feed", a.Source)
				assert.Equal(t, "feed", a.Kind)
				assert.Len(t, a.ID, 16)
				assert.False(t, ids[a.ID], "ids are unique")
				ids[a.ID] = true
			}
			assert.Equal(t, tc.wantTitles, titles)
			if tc.check != nil {
				tc.check(t, arts)
			}
		})
	}
}

func TestFixtureServerFeeds(t *testing.T) {
	ctx := t.Context()
	s, err := fixtureserver.Start(ctx, fixtureserver.Options{SlowDelay: 5 * time.Second})
	require.NoError(t, err)
	defer s.Close()
	c := newClient(t)
	for _, src := range s.Sources(models.KindFeed) {
		t.Run(src.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			arts, err := New(src, c).Search(ctx, "")
			switch src.Name {
			case fixtureserver.RouteSlow:
				require.Error(t, err)
				assert.Equal(t, fetch.KindTimeout, fetch.KindOf(err), "%v", err)
			case fixtureserver.RouteBroken:
				assert.Equal(t, fetch.KindHTTP5xx, fetch.KindOf(err), "%v", err)
			default:
				require.NoError(t, err)
				assert.GreaterOrEqual(t, len(arts), 4)
			}
		})
	}
}

// TestGolden pins every field of the articles made from one fixture feed.
func TestGolden(t *testing.T) {
	arts, err := Parse(fixture(t, "feeds/ml-weekly.xml"), "application/rss+xml", "http://fixtures.test/feeds/ml-weekly.xml",
		models.Source{Name: "ml-weekly", Kind: models.KindFeed})
	require.NoError(t, err)
	got, err := json.MarshalIndent(arts, "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "ml-weekly.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got)+"\n")
}

func TestSanitizeXML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"clean", `<a b="c">x &amp; y</a>`, `<a b="c">x &amp; y</a>`},
		{"controls", "a\x00b\x0bc\td\ne", "abc\td\ne"},
		{"html entities", "&nbsp;&eacute;&hellip;", "&#160;&#233;&#8230;"},
		{"xml entities kept", "&lt;&gt;&quot;&apos;&amp;", "&lt;&gt;&quot;&apos;&amp;"},
		{"bare ampersand", "R&D & co", "R&amp;D &amp; co"},
		{"unknown entity", "&bogus;", "&amp;bogus;"},
		{"numeric refs", "&#65;&#x42;&#1;&#xFFFE;", "&#65;&#x42;"},
		{"cdata untouched", "<![CDATA[a &nbsp; & b\x01]]>&nbsp;", "<![CDATA[a &nbsp; & b]]>&#160;"},
		{"unterminated cdata", "<![CDATA[a & b", "<![CDATA[a & b"},
		{"invalid utf-8", "a\xffb", "ab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, string(sanitizeXML([]byte(tc.in))))
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"feeds/ml-weekly.xml", "feeds/systems-digest.atom", "feeds/preprint-watch.json", "feeds/lab-notes.rdf", "misbehaving/truncated.xml"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(rssHead + "<item><title>&nbsp;\x01</title></item></channel></rss>"))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_text":"x"}]}`))
	f.Add([]byte("<html><body>nope</body></html>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		arts, err := Parse(body, "", "https://fuzz.example/feed", models.Source{Name: "fuzz", Kind: models.KindFeed})
		if err != nil {
			if fetch.KindOf(err) == "" {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, a := range arts {
			if a.ID == "" || a.Source != "fuzz" || ids[a.ID] {
				t.Fatalf("bad article %+v", a)
			}
			ids[a.ID] = true
		}
	})
}

func FuzzSanitizeXML(f *testing.F) {
	for _, s := range []string{"&nbsp;<![CDATA[&x;]]>", "a\x01&#0;&#x10FFFF;&bogus", "<a>&amp;&lt;</a>", "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := sanitizeXML(in)
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 out of %q", in)
		}
		for _, r := range string(out) {
			if !xmlChar(r) {
				t.Fatalf("forbidden %U out of %q", r, in)
			}
		}
		if again := sanitizeXML(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}

// TestConditionalGET checks that a feed answered with 304 the second time
// gives the same articles from the client's cache.
func TestConditionalGET(t *testing.T) {
	s, err := fixtureserver.Start(t.Context(), fixtureserver.Options{})
	require.NoError(t, err)
	defer s.Close()
	c, err := fetch.New(fetch.Options{MaxRetries: -1, CachePath: filepath.Join(t.TempDir(), "cache.db")})
	require.NoError(t, err)
	defer c.Close()
	src := s.Sources(models.KindFeed)[0]
	first, err := New(src, c).Search(t.Context(), "")
	require.NoError(t, err)
	second, err := New(src, c).Search(t.Context(), "")
	require.NoError(t, err)
	assert.Equal(t, first, second)
	st := s.Stats()[src.Name]
	assert.Equal(t, 2, st.Requests)
	assert.Equal(t, 1, st.NotModified, "the second fetch was conditional")
}
