package page

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/research-cli/research/agents/fetch"
)

var update = flag.Bool("update", false, "rewrite the golden extraction files under testdata/pages/golden")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixture reads a page of testdata/pages.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pages", name))
	require.NoError(t, err)
	return b
}

func TestExtractHTML(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		contentType string // as a server would declare it; used for the charset
		title       string
		byline      string
		published   string // RFC 3339, "" for none
		site        string
		lang        string
		contains    []string // paragraphs (exact) that must be in the text
		excludes    []string // substrings that must not be
	}{
		{
			name:      "news article with nav, share widgets, comments and footer",
			file:      "news-article.html",
			title:     "Harbour town votes to rebuild its sea wall",
			byline:    "Maren Holt",
			published: "2026-11-20T08:30:00+01:00",
			site:      "The Coastal Courier",
			lang:      "en",
			contains: []string{
				"What happens next",
				"Tender for the main contract: March.",
				"The cost, estimated at forty-two million, will be shared between the town, the regional government and a national fund for coastal defences that opened its second round of grants this year.",
			},
			excludes: []string{"Share on", "Sport", "Buy one boat", "All rights reserved", "About time", "Cookie settings", "dataLayer", "Related stories", "Storm damage"},
		},
		{
			name:      "blog post with JSON-LD metadata in a @graph",
			file:      "blog-jsonld.html",
			title:     "Why our register allocator went back to linear scan",
			byline:    "Tomasz Wierzbicki, Ada Okafor",
			published: "2026-10-03T14:00:00Z",
			site:      "Small Compilers Blog",
			lang:      "en-GB",
			contains: []string{
				"What we measured",
				"allocator   compile  run\nlinear      1.0x     1.00x\ncolouring   4.1x     0.97x",
			},
			excludes: []string{"Archive", "September 2026", "Powered by"},
		},
		{
			name:      "news page with the clutter trafilatura discards, and a JSON-LD articleBody",
			file:      "news-clutter.html",
			title:     "Night trains return to the northern line",
			byline:    "Ada Park",
			published: "2026-12-01T06:00:00Z",
			site:      "Valley Post",
			lang:      "en",
			contains: []string{
				"Sleeper trains will run again between the capital and the northern coast from March, eleven years after the last service was withdrawn, the rail operator said on Monday.",
				"Local councils along the route will share the cost of the new platforms at the two intermediate stations.",
			},
			excludes: []string{"By Ada Park", "Updated 1 December", "Follow Valley Post", "Advertisement",
				"Read more", "rise and fall", "Two thirds of the people who answered would", "Getty Images",
				"Sign up", "Rail", "station cafe"},
		},
		{
			name:        "windows-1252 page declared in a meta tag",
			file:        "windows-1252.html",
			contentType: "text/html",
			title:       "Le café du port rouvre ses portes",
			site:        "Le Courrier de la Côte",
			lang:        "fr",
			contains: []string{
				"Coût total des travaux : 240 000 €, financés en partie par la commune et par une souscription des habitants — près de quatre cents donateurs.",
			},
			excludes: []string{"Accueil", "\uFFFD"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := fetch.ToUTF8(fixture(t, tt.file), tt.contentType)
			require.NoError(t, err)
			ex, err := ExtractHTML(body, "https://news.example/story/"+tt.file)
			require.NoError(t, err)
			assert.Equal(t, tt.title, ex.Title)
			assert.Equal(t, tt.byline, ex.Byline)
			assert.Equal(t, tt.site, ex.Site)
			assert.Equal(t, tt.lang, ex.Lang)
			if tt.published == "" {
				assert.True(t, ex.Published.IsZero(), "published %v", ex.Published)
			} else {
				want, err := time.Parse(time.RFC3339, tt.published)
				require.NoError(t, err)
				assert.True(t, want.Equal(ex.Published), "published %v, want %v", ex.Published, want)
			}
			paras := strings.Split(ex.Text, "\n\n")
			for _, p := range tt.contains {
				assert.Contains(t, paras, p)
			}
			for _, s := range tt.excludes {
				assert.NotContains(t, ex.Text, s)
			}
			golden(t, strings.TrimSuffix(tt.file, ".html")+".txt", ex.Text)
		})
	}
}

// golden compares got with testdata/pages/golden/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "pages", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got+"\n"), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./agents/page -run %s -update", t.Name())
	assert.Equal(t, strings.TrimSuffix(string(want), "\n"), got)
}

func TestExtractHTMLNoArticle(t *testing.T) {
	tests := []struct {
		name string
		page string
	}{
		{"login page", string(fixture(t, "login.html"))},
		{"index of links", string(fixture(t, "link-index.html"))},
		{"empty document", ""},
		{"JavaScript shell", `<html><body><div id="app"></div><script src="/app.js"></script><noscript>Please enable JavaScript.</noscript></body></html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := ExtractHTML([]byte(tt.page), "https://news.example/")
			require.ErrorIs(t, err, ErrNoArticle)
			assert.Nil(t, ex)
		})
	}
}

func TestExtractHTMLTooComplex(t *testing.T) {
	tests := []struct {
		name string
		page string
	}{
		{"nested deeper than the HTML parser allows", strings.Repeat("<div>", 600) + "<p>deep</p>"},
		{"more elements than readability may score", "<body>" + strings.Repeat("<p>a</p>", MaxElements) + "</body>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := ExtractHTML([]byte(tt.page), "https://news.example/")
			require.ErrorIs(t, err, ErrTooComplex)
			assert.Nil(t, ex)
		})
	}
}

func TestExtractHTMLBadURL(t *testing.T) {
	_, err := ExtractHTML(fixture(t, "news-article.html"), "http://[::1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "page URL")
}

func TestExtractedJSON(t *testing.T) {
	tests := []struct {
		name string
		ex   Extracted
		want string
	}{
		{
			name: "all fields",
			ex: Extracted{URL: "https://a.example/x", Title: "T", Byline: "B", Site: "S", Text: "one\n\ntwo",
				Published: time.Date(2026, 11, 20, 8, 30, 0, 0, time.FixedZone("", 3600)), Lang: "en", LinkDensity: 0.1},
			want: `{"url":"https://a.example/x","title":"T","byline":"B","published":"2026-11-20T08:30:00+01:00","site":"S","text":"one\n\ntwo"}`,
		},
		{
			name: "no published time is an empty string",
			ex:   Extracted{URL: "u", Text: "t"},
			want: `{"url":"u","title":"","byline":"","published":"","site":"","text":"t"}`,
		},
	}
	t.Run("an encoder without HTML escaping keeps < and & readable", func(t *testing.T) {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(&Extracted{Text: "a < b && c"}))
		assert.Contains(t, b.String(), `"text":"a < b && c"`)
		got, err := json.Marshal(Extracted{Text: "<p>"})
		require.NoError(t, err)
		assert.Contains(t, string(got), `\u003cp\u003e`, "json.Marshal still escapes")
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(&tt.ex)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
			// A value, not only a pointer, must marshal the same way.
			got2, err := json.Marshal(tt.ex)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got2))
		})
	}
}

func TestRenderTextAndCap(t *testing.T) {
	long := strings.Repeat("word ", 100)
	text, cut := capText(long+"\n\n"+long, len(long)+10)
	assert.True(t, cut)
	assert.Equal(t, strings.TrimSpace(long), strings.TrimSpace(text))

	text, cut = capText("é€€", 3)
	assert.True(t, cut)
	assert.Equal(t, "é", text)

	text, cut = capText("short", 10)
	assert.False(t, cut)
	assert.Equal(t, "short", text)
}
