package feed

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

// rssItem is one item; a zero date leaves out pubDate.
type rssItem struct {
	title string
	date  time.Time
	guid  string
}

func rss(items []rssItem) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Cap</title><link>https://cap.example/</link>`)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title>", it.title)
		if it.guid != "" {
			fmt.Fprintf(&b, "<guid isPermaLink=\"false\">%s</guid>", it.guid)
		} else {
			fmt.Fprintf(&b, "<link>https://cap.example/%s</link>", strings.ReplaceAll(it.title, " ", "-"))
		}
		b.WriteString("<description>Some words about it.</description>")
		if !it.date.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.date.Format(time.RFC1123Z))
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

func titles(arts []models.Article) []string {
	out := make([]string, len(arts))
	for i, a := range arts {
		out[i] = a.Title
	}
	return out
}

// TestArticlesItemCap: a feed gives at most MaxResults articles (50 when
// unset), the newest ones, in feed order.
func TestArticlesItemCap(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	many := func(n int) []rssItem {
		var its []rssItem
		for i := range n {
			its = append(its, rssItem{title: fmt.Sprintf("item %d", i), date: day(1).Add(time.Duration(i) * time.Minute)})
		}
		return its
	}
	tests := []struct {
		name  string
		items []rssItem
		max   int
		want  []string
	}{
		{"under the cap: everything", many(3), 5, []string{"item 0", "item 1", "item 2"}},
		{"oldest-first feed keeps its newest, in feed order", many(6), 2, []string{"item 4", "item 5"}},
		{"newest-first feed keeps its head",
			[]rssItem{{title: "c", date: day(3)}, {title: "b", date: day(2)}, {title: "a", date: day(1)}}, 2, []string{"c", "b"}},
		{"shuffled dates, feed order kept",
			[]rssItem{{title: "d2", date: day(2)}, {title: "d9", date: day(9)}, {title: "d1", date: day(1)}, {title: "d5", date: day(5)}}, 2,
			[]string{"d9", "d5"}},
		{"undated items come after dated ones",
			[]rssItem{{title: "u1"}, {title: "d3", date: day(3)}, {title: "u2"}, {title: "d1", date: day(1)}, {title: "u3"}}, 3,
			[]string{"u1", "d3", "d1"}},
		{"undated items in feed order when room is left",
			[]rssItem{{title: "u1"}, {title: "d3", date: day(3)}, {title: "u2"}, {title: "u3"}}, 3,
			[]string{"u1", "d3", "u2"}},
		{"equal dates keep feed order",
			[]rssItem{{title: "x", date: day(4)}, {title: "y", date: day(4)}, {title: "z", date: day(4)}}, 2, []string{"x", "y"}},
		{"duplicates do not use up the cap",
			[]rssItem{{title: "a", date: day(5), guid: "g"}, {title: "a again", date: day(4), guid: "g"}, {title: "b", date: day(3), guid: "h"}}, 2,
			[]string{"a", "b"}},
		{"zero MaxResults means DefaultMaxItems", many(DefaultMaxItems + 10), 0, titles(func() []models.Article {
			var out []models.Article
			for i := 10; i < DefaultMaxItems+10; i++ {
				out = append(out, models.Article{Title: fmt.Sprintf("item %d", i)})
			}
			return out
		}())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, err := Parse(rss(tc.items), "application/rss+xml", "https://cap.example/feed", models.Source{Name: "cap", MaxResults: tc.max})
			require.NoError(t, err)
			assert.Equal(t, tc.want, titles(arts))
		})
	}
}

// TestSearchHugeFeed: the review's 60,000-item feed (about 10 MB) gives
// MaxResults articles, not 60,000.
func TestSearchHugeFeed(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	items := make([]rssItem, 60_000)
	for i := range items {
		items[i] = rssItem{title: fmt.Sprintf("item %d", i), date: start.Add(time.Duration(i) * time.Minute)}
	}
	body := rss(items)
	require.Greater(t, len(body), 9_000_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	src := models.Source{Name: "huge", Kind: models.KindFeed, URL: srv.URL + "/feed", MaxResults: 20}
	runtime.GC()
	began := time.Now()
	arts, err := New(src, newClient(t)).Search(context.Background(), "")
	require.NoError(t, err)
	t.Logf("%d-byte feed of %d items → %d articles in %s", len(body), len(items), len(arts), time.Since(began).Round(time.Millisecond))
	require.Len(t, arts, 20)
	assert.Equal(t, "item 59980", arts[0].Title)
	assert.Equal(t, "item 59999", arts[19].Title)
}

// TestArticlesStripControls: terminal escapes in a feed's titles, summaries,
// content, authors, categories, site name and language never reach an
// article. JSON Feed carries them as \u escapes; XML can carry C1 and DEL.
func TestArticlesStripControls(t *testing.T) {
	const esc = `\u001b[2J`
	const osc = `\u001b]0;pwned\u0007`
	jsonFeed := `{"version":"https://jsonfeed.org/version/1.1","title":"Site` + osc + `","language":"en` + esc + `",` +
		`"items":[{"id":"1","url":"https://j.example/1","title":"Title` + esc + ` one` + osc + `",` +
		`"summary":"Sum\u009bmary\u007f","content_html":"<p>Body` + esc + ` text</p>",` +
		`"authors":[{"name":"Ann` + osc + `"}],"tags":["tag` + esc + `"]}]}`
	rssFeed := "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Site\u009d0;pwned\u009c</title>" +
		"<item><title>Title\u009b2J one\u007f</title><link>https://r.example/1</link>" +
		"<description>Sum&#x9b;mary &#127;</description><author>x@r.example (Ann\u0085)</author></item></channel></rss>"
	tests := []struct {
		name, body, contentType string
	}{
		{"JSON Feed with ESC and OSC", jsonFeed, "application/feed+json"},
		{"RSS with C1 and DEL", rssFeed, "application/rss+xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, err := Parse([]byte(tc.body), tc.contentType, "https://x.example/feed", models.Source{Name: "x"})
			require.NoError(t, err)
			require.Len(t, arts, 1)
			a := arts[0]
			fields := append([]string{a.Title, a.Summary, a.Content, a.Author, a.Site, a.Language}, a.Categories...)
			for _, f := range fields {
				assert.False(t, strings.ContainsFunc(f, func(r rune) bool {
					return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f
				}), "%q", f)
				assert.NotContains(t, f, "[2J")
				assert.NotContains(t, f, "pwned")
			}
			assert.Equal(t, "Title one", a.Title)
			assert.Equal(t, "Site", a.Site)
		})
	}
}
