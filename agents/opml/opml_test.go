package opml

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/research-cli/research/models"
)

func feed(name, url string) models.Source {
	return models.Source{Name: name, Kind: models.KindFeed, URL: url}
}

func TestParse(t *testing.T) {
	f, err := os.Open("testdata/subscriptions.opml")
	require.NoError(t, err)
	defer f.Close()
	got, err := Parse(f)
	require.NoError(t, err)
	assert.Equal(t, []models.Source{
		feed("ml-weekly", "https://mlweekly.example/feed.xml"),
		feed("lab-notes-papers", "https://lab.example/notes.rdf"),
		feed("preprint-watch", "https://preprints.example/feed.json"),
		feed("ml-weekly-2", "https://mlweekly.example/other.xml"),
		feed("the-go-blog", "https://go.dev/blog/feed.atom"),
		feed("systems-digest-example", "https://www.systems-digest.example/atom.xml"),
		feed("ünïcödé-blög-notes", "https://unicode.example/rss"),
	}, got)
}

func TestParseCases(t *testing.T) {
	latin1, err := charmap.ISO8859_1.NewEncoder().String(`<?xml version="1.0" encoding="ISO-8859-1"?><opml version="1.0"><body>` +
		`<outline text="Café" xmlUrl="https://cafe.example/rss"/></body></opml>`)
	require.NoError(t, err)
	tests := []struct {
		name    string
		in      string
		want    []models.Source
		wantErr string
	}{
		{"empty body", `<opml version="2.0"><head/><body/></opml>`, []models.Source{}, ""},
		{"opml 1.0 lowercase xmlurl", `<opml version="1.0"><body><outline text="x" xmlurl="http://x.example/f"/></body></opml>`,
			[]models.Source{feed("x", "http://x.example/f")}, ""},
		{"latin-1", latin1, []models.Source{feed("café", "https://cafe.example/rss")}, ""},
		{"html entities and bare ampersand", `<opml><body><outline text="A&nbsp;B" xmlUrl="https://e.example/f?a=1&b=2"/></body></opml>`,
			[]models.Source{feed("a-b", "https://e.example/f?a=1&b=2")}, ""},
		{"no usable name", `<opml><body><outline text="!!!" xmlUrl="https://e.example/f"/></body></opml>`,
			[]models.Source{feed("e-example", "https://e.example/f")}, ""},
		{"long title", `<opml><body><outline text="` + strings.Repeat("word ", 30) + `" xmlUrl="https://e.example/f"/></body></opml>`,
			[]models.Source{feed(strings.TrimSuffix(strings.Repeat("word-", 9), "-"), "https://e.example/f")}, ""},
		{"bidi override in the feed URL is skipped", `<opml><body><outline text="ok" xmlUrl="https://ok.example/f"/>` +
			`<outline text="x" xmlUrl="https://e.example/&#x202E;fdp.exe"/></body></opml>`,
			[]models.Source{feed("ok", "https://ok.example/f")}, ""},
		{"C1 CSI in the feed URL is skipped", `<opml><body><outline text="x" xmlUrl="https://e.example/&#x9B;2Jf"/></body></opml>`,
			[]models.Source{}, ""},
		{"quote in the feed URL is skipped", `<opml><body><outline text="x" xmlUrl="https://e.example/&quot;onmouseover=&quot;x"/></body></opml>`,
			[]models.Source{}, ""},
		{"not opml", `<rss version="2.0"><channel/></rss>`, nil, "not an OPML document"},
		{"empty", ``, nil, "not an OPML document"},
		{"truncated", `<opml><body><outline text="x" xmlUrl="https://e.example/f">`, nil, "opml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"The Go Blog!":      "the-go-blog",
		"  --a--b--  ":      "a-b",
		"Hacker News: Best": "hacker-news-best",
		"日本語 ブログ":           "日本語-ブログ",
		"":                  "",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) { assert.Equal(t, want, Slug(in)) })
	}
}

func TestMerge(t *testing.T) {
	existing := []models.Source{
		{Name: "hn", Kind: models.KindHackerNews, URL: "https://hn.algolia.com/api/v1"},
		feed("go-blog", "https://go.dev/blog/feed.atom"),
	}
	imported := []models.Source{
		feed("go-blog", "https://go.dev/blog/feed.atom?utm_source=opml"),
		feed("hn", "https://news.ycombinator.com/rss"),
		feed("new", "https://new.example/feed"),
	}
	got, added := Merge(existing, imported)
	assert.Equal(t, 2, added)
	assert.Equal(t, []models.Source{existing[0], existing[1],
		feed("hn-2", "https://news.ycombinator.com/rss"), feed("new", "https://new.example/feed")}, got)
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/subscriptions.opml")
	require.NoError(f, err)
	f.Add(string(b))
	f.Add(`<opml><body><outline xmlUrl="https://a/"><outline xmlUrl="https://a/"/></outline></body></opml>`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, s := range got {
			if s.Name == "" || names[s.Name] || s.Kind != models.KindFeed || s.Name != strings.ToLower(s.Name) {
				t.Fatalf("bad source %+v in %+v", s, got)
			}
			names[s.Name] = true
		}
	})
}
