package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sampleResult(withAnalysis bool) *models.Result {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	r := &models.Result{
		Query:       "sparse attention",
		GeneratedAt: time.Date(2026, 11, 25, 7, 2, 0, 0, time.UTC),
		Sources: []models.SourceResult{
			{Name: "hn", Kind: "hackernews", URL: "http://127.0.0.1/api/v1", Fetched: 2, Kept: 2, ElapsedMS: 212},
			{Name: "ml-weekly", Kind: "feed", URL: "http://127.0.0.1/ml.xml", Fetched: 5, Kept: 1, ElapsedMS: 90, OffTopic: 4},
			{Name: "go-blog", Kind: "feed", URL: "http://127.0.0.1/go.atom", ElapsedMS: 10000, Error: "timeout after 10s", ErrorKind: "timeout"},
		},
		Articles: []models.Article{
			{ID: "a1", Source: "hn", Kind: "hackernews", URL: "https://example.org/longformer", Title: "Longformer revisited: sliding windows <at> 64k tokens", Points: 312, Published: day(21)},
			{ID: "a2", Source: "hn", Kind: "hackernews", URL: "https://example.org/forget", Title: "Why your LLM forgets the middle", Published: day(19), AlsoIn: []string{"ml-weekly"}},
			{ID: "a3", Source: "ml-weekly", Kind: "feed", URL: "https://mirror.example.org/longformer", Title: "Longformer revisited (mirror)", Published: day(20)},
		},
	}
	if withAnalysis {
		r.Analysis = &models.AnalysisReport{
			Version: 1, Query: r.Query,
			Stats: models.Stats{Articles: 3, Words: 1200, BySource: map[string]int{"hn": 2, "ml-weekly": 1},
				ByDay: map[string]int{"2026-11-21": 1, "2026-11-19": 1, "2026-11-20": 1}, Duplicates: 1, ReadingMinutes: 5.2},
			Ranking: []models.RankedArticle{
				{ID: "a1", Score: 12.4, Keywords: []string{"sparse attention", "sliding window"}},
				{ID: "a3", Score: 11.0, DuplicateOf: "a1"},
				{ID: "a2", Score: 10.9, Keywords: []string{"long context"}},
			},
			Keywords: []models.Keyword{{Phrase: "sparse attention", Score: 0.9, Articles: 2}, {Phrase: "sliding window", Score: 0.5, Articles: 1}},
			Summary: []models.SummarySentence{
				{Text: "Sparse attention restricts each token to a fixed window plus a few global tokens.", ArticleID: "a1"},
				{Text: "Models forget the middle of long documents.", ArticleID: "a2"},
			},
			Groups: []models.Group{{Kind: models.GroupDuplicate, IDs: []string{"a1", "a3"}}},
		}
	} else {
		r.Degraded = &models.Degraded{Stage: "analysis", Reason: models.ReasonTimeout, Detail: "the analyzer timed out after 15s"}
	}
	return r
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name     string
		format   Format
		color    bool
		analysis bool
	}{
		{"text", Text, false, true},
		{"text-color", Text, true, true},
		{"text-degraded", Text, false, false},
		{"markdown", Markdown, false, true},
		{"html", HTML, false, true},
		{"json", JSON, false, true},
		{"json-degraded", JSON, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, sampleResult(c.analysis), Options{Format: c.format, Color: c.color, Width: 100,
				DegradedHint: "run with --debug for its stderr"}))
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./render -update to create the golden files")
			assert.Equal(t, string(want), buf.String())
		})
	}
}

func TestTextFoldsDuplicatesAndCites(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, sampleResult(true), Options{Format: Text}))
	out := buf.String()
	assert.Contains(t, out, "global tokens. [1]")
	assert.Contains(t, out, "middle of long documents. [2]")
	assert.Contains(t, out, "(also reported by: ml-weekly)")
	assert.NotContains(t, out, "(mirror)", "a duplicate is folded, not listed")
	assert.Contains(t, out, "✗ go-blog: timeout after 10s")
	assert.Contains(t, out, "ml-weekly 1 (of 5 fetched)")
	assert.NotContains(t, out, "\x1b[", "no colour unless asked")
}

func TestDegradedStillListsArticlesNewestFirstOrder(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, sampleResult(false), Options{Format: Text, DegradedHint: "run with --debug"}))
	out := buf.String()
	assert.Contains(t, out, "! analysis unavailable: the analyzer timed out after 15s (run with --debug)")
	for _, title := range []string{"Longformer revisited:", "Why your LLM", "(mirror)"} {
		assert.Contains(t, out, title)
	}
}

func TestCitedArticlesAreListedBeyondTheLimit(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, sampleResult(true), Options{Format: Text, Limit: 1}))
	out := buf.String()
	assert.Contains(t, out, "   1  Longformer")
	assert.Contains(t, out, "   2  Why your LLM", "article 2 is cited by the summary")
	for f, want := range map[Format]string{HTML: `<li id="a2" value="2">`, Markdown: `**\[2\]** **[Why your LLM`} {
		buf.Reset()
		require.NoError(t, Write(&buf, sampleResult(true), Options{Format: f, Limit: 1}))
		assert.Contains(t, buf.String(), want, "format %s keeps the citation number", f)
	}
	r := sampleResult(true)
	r.Analysis.Summary = r.Analysis.Summary[:1]
	buf.Reset()
	require.NoError(t, Write(&buf, r, Options{Format: Text, Limit: 1}))
	assert.NotContains(t, buf.String(), "Why your LLM")
	assert.Contains(t, buf.String(), "… and 1 more")
}

func TestTerminalEscapesAreStripped(t *testing.T) {
	r := sampleResult(true)
	r.Articles[0].Title = "Evil \x1b[2J\x1b[31mRED\x1b]0;pwned\x07 title\u009b"
	r.Analysis.Summary[0].Text = "A sentence\x1b[8m hidden."
	r.Analysis.Keywords[0].Phrase = "kw\x7f"
	r.Sources[2].Error = "timeout\x1b[1A"
	for _, f := range []Format{Text, Markdown, HTML} {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, r, Options{Format: f}))
		out := buf.String()
		for _, bad := range []string{"\x1b", "\x07", "\x7f", "\u009b"} {
			assert.NotContains(t, out, bad, "format %s", f)
		}
		// Sequences go whole (the OSC's "0;pwned" with it); the text around them stays.
		assert.Contains(t, out, "Evil RED title", "format %s: the text stays readable", f)
		assert.NotContains(t, out, "pwned", "format %s", f)
	}
	assert.Equal(t, "Evil \x1b[2J\x1b[31mRED\x1b]0;pwned\x07 title\u009b", r.Articles[0].Title, "the caller's result is not modified")
}

func TestMarkdownLinksOnlyToTheWeb(t *testing.T) {
	r := sampleResult(true)
	r.Articles[0].URL = "javascript:alert(1)"
	r.Articles[1].URL = "https://example.org/a_(b)"
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, r, Options{Format: Markdown}))
	assert.NotContains(t, buf.String(), "javascript:")
	assert.Contains(t, buf.String(), "(<https://example.org/a_(b)>)")
}

func TestHTMLEscapes(t *testing.T) {
	r := sampleResult(true)
	r.Articles[0].URL = "javascript:alert(1)"
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, r, Options{Format: HTML}))
	out := buf.String()
	assert.Contains(t, out, "sliding windows &lt;at&gt; 64k")
	assert.NotContains(t, out, "javascript:")
}

func TestDegradedLineFallsBackToTheReason(t *testing.T) {
	for reason, want := range map[string]string{
		models.ReasonTimeout: "the analyzer timed out", models.ReasonCrashed: "the analyzer crashed",
		models.ReasonBadOutput: "not a valid report", models.ReasonOutputTooLarge: "too large",
		models.ReasonStartFailed: "could not be started", "weird": "failed (weird)",
	} {
		line := DegradedLine(&models.Degraded{Stage: "analysis", Reason: reason}, "hint")
		assert.Contains(t, line, want)
		assert.Equal(t, reason != models.ReasonStartFailed, strings.HasSuffix(line, "(hint)"), reason)
	}
	assert.Empty(t, DegradedLine(nil, "x"))
}

func TestJSONIsTheContract(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, sampleResult(false), Options{Format: JSON}))
	var m map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &m))
	for _, k := range []string{"query", "generated_at", "sources", "articles", "analysis", "degraded"} {
		assert.Contains(t, m, k)
	}
	assert.Nil(t, m["analysis"])
	deg := m["degraded"].(map[string]any)
	assert.Equal(t, "analysis", deg["stage"])
	assert.Equal(t, "timeout", deg["reason"])
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"text": Text, "JSON": JSON, "md": Markdown, "html": HTML} {
		got, err := ParseFormat(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseFormat("pdf")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "text, json, markdown or html"))
}

func TestWrap(t *testing.T) {
	lines := Wrap(strings.Repeat("word ", 30), 24)
	for _, l := range lines {
		assert.LessOrEqual(t, len(l), 24)
	}
	assert.Equal(t, 30, len(strings.Fields(strings.Join(lines, " "))))
}
