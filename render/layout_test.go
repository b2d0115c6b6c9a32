package render

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

// wideResult has what overflows a naive layout: CJK and emoji titles, long
// titles, long provenance lines, many sources and many days.
func wideResult() *models.Result {
	r := sampleResult(true)
	r.Query = "長い文書のためのスパースアテンション and sliding windows"
	r.Articles[0].Title = "スパースアテンションで長い文書を読む：64kトークンのスライディングウィンドウ再考 🚀🚀"
	r.Articles[1].Title = "Why your large language model forgets the middle of long documents, and what retrieval can do about it"
	r.Articles[1].Points = 1234
	r.Analysis.Ranking[0].Explain = &models.Explanation{Fields: map[string]float64{"title": 5.1, "summary": 3.2, "content": 1},
		Terms: map[string]float64{"sparse": 2.05, "attention": 1.5}, Centrality: 0.3, Recency: 0.8}
	for i := range 12 {
		r.Sources = append(r.Sources, models.SourceResult{Name: fmt.Sprintf("systems-digest-%d", i), Kind: "feed", Fetched: 20, Kept: 6})
	}
	r.Sources = append(r.Sources, models.SourceResult{Name: "slow", Kind: "feed", ElapsedMS: 2000, ErrorKind: "timeout",
		Error: "timeout after 2s: the server sent nothing within the source's deadline (https://slow.example.org/feeds/very/long/path.xml)"})
	r.Analysis.Stats.ByDay = map[string]int{}
	for d := 1; d <= 17; d++ {
		r.Analysis.Stats.ByDay[time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)] = d
	}
	return r
}

var singleToken = regexp.MustCompile(`^\s*\S+\s*$`)

func TestTextAt80ColumnsNeverOverflowsNorCutsWords(t *testing.T) {
	r := wideResult()
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, r, Options{Format: Text, Width: 80, Explain: true, Color: color}))
		out := buf.String()
		plain := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, "")
		for _, l := range strings.Split(plain, "\n") {
			if singleToken.MatchString(l) {
				continue // a URL longer than the line is kept whole
			}
			assert.LessOrEqual(t, Width(l), 80, "color=%v: %q", color, l)
		}
		joined := strings.Join(strings.Fields(plain), " ")
		squeezed := strings.Join(strings.Fields(plain), "")
		for _, a := range r.Articles[:2] {
			// CJK wraps between characters, so compare without whitespace.
			assert.True(t, strings.Contains(squeezed, strings.Join(strings.Fields(a.Title), "")), "title %q is whole", a.Title)
		}
		assert.Contains(t, joined, r.Articles[1].Title, "a Latin title wraps between words")
		for d := 11; d <= 17; d++ {
			assert.Regexp(t, fmt.Sprintf(`(?m)(^|\s)%d Nov %d( |$)`, d, d), plain, "a day and its count stay on one line")
		}
		assert.Contains(t, plain, "and 10 earlier days")
		assert.Contains(t, plain, "score 12.40: title 5.10 · summary 3.20", "--explain shows the breakdown")
		assert.Contains(t, joined, "“sparse” 2.05")
		assert.Contains(t, plain, "systems-digest-11 6 (of 20 fetched)")
	}
}

func TestWrapCountsDisplayColumns(t *testing.T) {
	assert.Equal(t, 2, Width("漢"))
	assert.Equal(t, 2, Width("🚀"))
	assert.Equal(t, 1, Width("é"))
	lines := Wrap(strings.Repeat("漢字 ", 20), 21)
	for _, l := range lines {
		assert.LessOrEqual(t, Width(l), 21, l)
	}
	assert.Equal(t, []string{"https://example.org/a/very/long/path/that/is/longer/than/the/line"},
		Wrap("https://example.org/a/very/long/path/that/is/longer/than/the/line", 20), "a long word is not cut")
	assert.Equal(t, []string{"17 Nov 3 · 16 Nov 2", "15 Nov 1"}, WrapItems([]string{"17 Nov 3", "16 Nov 2", "15 Nov 1"}, " · ", 20))
	assert.Equal(t, "  - one two three four\n    five six seven\n", WrapIndent("one two three four five six seven", 24, "  - ", "    "))
}

func TestTruncateKeepsGraphemesAndWords(t *testing.T) {
	assert.Equal(t, "short", Truncate("short", 10))
	got := Truncate("the quick brown fox jumps over the lazy dog", 20)
	assert.Equal(t, "the quick brown fox…", got)
	got = Truncate("漢字漢字漢字漢字漢字漢字", 9)
	assert.LessOrEqual(t, Width(got), 9)
	assert.True(t, strings.HasSuffix(got, "…"))
	got = Truncate("👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦", 5)
	assert.LessOrEqual(t, Width(got), 5)
	assert.True(t, strings.HasPrefix("👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦", strings.TrimSuffix(got, "…")), "no grapheme is split")
}

func TestHTMLIsStandaloneWithChartsAndTheRestFolded(t *testing.T) {
	r := wideResult()
	r.Analysis.Summary = r.Analysis.Summary[:1]
	r.Articles[0].Summary = strings.Repeat("An excerpt of the article's own summary. ", 20)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, r, Options{Format: HTML, Limit: 1, Explain: true}))
	out := buf.String()
	has := func(want string) { t.Helper(); assert.True(t, strings.Contains(out, want), "the page has %s", want) }
	has(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`)
	has("<style>body{")
	assert.False(t, strings.Contains(out, "<script"), "no script")
	assert.False(t, regexp.MustCompile(`\s(src|srcset|background)=`).MatchString(out), "nothing loads anything")
	assert.Equal(t, 3, strings.Count(out, "<svg "), "timeline, per source, per day")
	has("<details><summary>and 1 more article</summary>")
	has(`<p class="excerpt">An excerpt of the article`)
	has("score 12.40: title 5.10")
}

// FuzzWrap: whatever the text (from the network), wrapping keeps every
// word, in order, and no line is wider than asked unless it is one word.
func FuzzWrap(f *testing.F) {
	f.Add("the quick brown fox", 20)
	f.Add("長い文書のためのスパースアテンション and 👩‍👩‍👧‍👦 emoji", 21)
	f.Add("a\u0301 combining \t tabs\nnewlines", 25)
	f.Fuzz(func(t *testing.T, s string, width int) {
		width = 20 + (width%200+200)%200
		lines := Wrap(s, width)
		for _, l := range lines {
			if strings.Contains(l, " ") {
				require.LessOrEqual(t, Width(l), width, "%q", l)
			}
		}
		// CJK may be split between graphemes: compare without spaces.
		s = strings.ToValidUTF8(s, "\uFFFD")
		require.Equal(t, strings.Join(strings.Fields(s), ""), strings.Join(strings.Fields(strings.Join(lines, " ")), ""))
	})
}

func TestExplainInEveryReadableFormat(t *testing.T) {
	for _, f := range []Format{Text, Markdown, HTML} {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, wideResult(), Options{Format: f, Explain: true}))
		assert.Contains(t, buf.String(), "score 12.40: title 5.10", "format %s", f)
		buf.Reset()
		require.NoError(t, Write(&buf, wideResult(), Options{Format: f}))
		assert.NotContains(t, buf.String(), "score 12.40:", "format %s: only when asked", f)
	}
}
