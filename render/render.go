// Package render turns a research result into what a person reads: text for a
// terminal (colour only when asked), Markdown, HTML, or the contract's JSON.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/research-cli/research/models"
)

// Format names an output format.
type Format string

// The output formats.
const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
	HTML     Format = "html"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Text, JSON, Markdown, HTML:
		return f, nil
	case "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q: use text, json, markdown or html", s)
}

// Options tune the rendering.
type Options struct {
	Format Format
	// Color enables ANSI styling in text output (a terminal without NO_COLOR).
	Color bool
	// Width is the text width in display columns; 0 means 100.
	Width int
	// Limit is how many articles are listed in text, Markdown and HTML; 0
	// means 15, a negative value all of them. The HTML report keeps the rest
	// in a collapsed section.
	Limit int
	// DegradedHint is appended to the degraded notice (e.g. "run with --debug for its stderr").
	DegradedHint string
	// Explain shows each article's score breakdown, when the analysis gave one.
	Explain bool
}

// Write renders r to w.
func Write(w io.Writer, r *models.Result, opts Options) error {
	if opts.Width <= 0 {
		opts.Width = 100
	}
	if opts.Limit == 0 {
		opts.Limit = 15
	}
	switch opts.Format {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	v := newView(sanitized(r), opts.Limit)
	switch opts.Format {
	case Markdown:
		return writeMarkdown(w, v, opts)
	case HTML:
		return writeHTML(w, v, opts)
	default:
		return writeText(w, v, opts)
	}
}

// view is the result arranged for reading: the shared ranked view
// (models.Result.View) plus what the reports list of it.
type view struct {
	r         *models.Result
	items     []item
	listed    []item
	rest      []item // articles not listed (the HTML report folds them away)
	hidden    int    // len(rest)
	summary   []citedSentence
	keyphrase []string
	okSources int
}

type item struct {
	n        int
	a        models.Article
	score    float64
	hasScore bool
	keywords []string
	explain  *models.Explanation
	dups     []models.Article
	same     []models.Article
}

type citedSentence struct {
	text string
	n    int
}

func newView(r *models.Result, limit int) *view {
	v := &view{r: r}
	for _, s := range r.Sources {
		if s.Error == "" {
			v.okSources++
		}
	}
	rv := r.View()
	for _, it := range rv.Items {
		v.items = append(v.items, item{n: it.N, a: it.Article, score: it.Rank.Score, hasScore: it.Ranked,
			keywords: it.Rank.Keywords, explain: it.Rank.Explain, dups: it.Duplicates, same: it.SameStory})
	}
	cited := map[int]bool{}
	if an := r.Analysis; an != nil {
		for _, s := range an.Summary {
			n := rv.Cite(s.ArticleID)
			cited[n] = true
			v.summary = append(v.summary, citedSentence{text: s.Text, n: n})
		}
		for _, k := range an.Keywords {
			v.keyphrase = append(v.keyphrase, k.Phrase)
		}
	}
	// The first limit articles are listed, and any later one the summary cites,
	// so that every citation can be followed.
	for _, it := range v.items {
		if limit < 0 || it.n <= limit || cited[it.n] {
			v.listed = append(v.listed, it)
		} else {
			v.rest = append(v.rest, it)
		}
	}
	v.hidden = len(v.rest)
	return v
}

// shown is the articles the report lists, in ranking order.
func (v *view) shown() []item { return v.listed }

// sourceLabel is the one-line provenance of an article: source, points, date, score.
func (v *view) meta(it item) string {
	var parts []string
	a := it.a
	parts = append(parts, sourceName(a))
	if a.Points > 0 {
		parts = append(parts, Plural(a.Points, "point"))
	}
	if !a.Published.IsZero() {
		parts = append(parts, a.Published.UTC().Format(dateLayout(a.Published, v.r.GeneratedAt)))
	}
	if it.hasScore {
		parts = append(parts, fmt.Sprintf("%.2f", it.score))
	}
	return strings.Join(parts, " · ")
}

func sourceName(a models.Article) string {
	switch models.SourceKind(a.Kind) {
	case models.KindHackerNews:
		if a.Source == "hn" || a.Source == "hackernews" {
			return "Hacker News"
		}
	case models.KindArxiv:
		if a.Source == "arxiv" {
			return "arXiv"
		}
	case models.KindWikipedia:
		if a.Source == "wikipedia" {
			return "Wikipedia"
		}
	}
	return a.Source
}

func dateLayout(t, now time.Time) string {
	if !now.IsZero() && t.Year() == now.Year() {
		return "2 Jan"
	}
	return "2 Jan 2006"
}

// Plural is "1 word" or "n words".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// alsoReported names the other sources that carried an article or its duplicates.
func alsoReported(it item) []string {
	ri := models.RankedItem{Article: it.a, Duplicates: it.dups}
	return ri.AlsoReportedBy()
}

// sourceParts are the sources that worked, e.g. "arxiv 12", "blog 3 (of 20 fetched)".
func (v *view) sourceParts() []string {
	var parts []string
	for _, s := range v.r.Sources {
		if s.Error != "" {
			continue
		}
		p := fmt.Sprintf("%s %d", s.Name, s.Kept)
		if s.Fetched != s.Kept {
			p += fmt.Sprintf(" (of %d fetched)", s.Fetched)
		}
		parts = append(parts, p)
	}
	return parts
}

func (v *view) failed() []models.SourceResult {
	var out []models.SourceResult
	for _, s := range v.r.Sources {
		if s.Error != "" {
			out = append(out, s)
		}
	}
	return out
}

// DegradedLine is the one-line notice for a degraded analysis.
func DegradedLine(d *models.Degraded, hint string) string {
	if d == nil {
		return ""
	}
	var what string
	switch d.Reason {
	case models.ReasonTimeout:
		what = "the analyzer timed out"
	case models.ReasonCrashed:
		what = "the analyzer crashed"
	case models.ReasonBadOutput:
		what = "the analyzer's output was not a valid report"
	case models.ReasonOutputTooLarge:
		what = "the analyzer's output was too large"
	case models.ReasonStartFailed:
		what = "the analyzer could not be started"
	case models.ReasonCancelled:
		what = "the analysis was cancelled"
	default:
		what = "the analysis failed (" + d.Reason + ")"
	}
	// The detail is already a sentence about the analyzer when the isolation
	// runner wrote it; the reason's wording is the fallback.
	line := "analysis unavailable: " + what
	if d.Detail != "" {
		line = "analysis unavailable: " + d.Detail
	}
	// The hint points at the child's stderr, which a child that never started does not have.
	if hint != "" && d.Reason != models.ReasonStartFailed && d.Reason != models.ReasonCancelled {
		line += " (" + hint + ")"
	}
	return line
}

// headline is the report's first line.
func (v *view) headline() string {
	return fmt.Sprintf("%d articles from %d of %d sources, %s", len(v.r.Articles), v.okSources, len(v.r.Sources),
		v.r.GeneratedAt.UTC().Format("2 Jan 2006 15:04 UTC"))
}

// byDay lists the per-day counts, newest first, for the stats line.
func (v *view) byDay() []string {
	if v.r.Analysis == nil {
		return nil
	}
	days := make([]string, 0, len(v.r.Analysis.Stats.ByDay))
	for d := range v.r.Analysis.Stats.ByDay {
		days = append(days, d)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(days)))
	var out []string
	for _, d := range days {
		t, err := time.Parse("2006-01-02", d)
		label := d
		if err == nil {
			label = t.Format("2 Jan")
		}
		out = append(out, fmt.Sprintf("%s %d", label, v.r.Analysis.Stats.ByDay[d]))
	}
	return out
}

// explainParts is an article's score breakdown as short items, largest
// contribution first within each kind: "title 5.10", "term sparse 2.05",
// "centrality 0.30", "recency 0.80", and the analyzer's note.
func explainParts(e *models.Explanation) []string {
	if e == nil {
		return nil
	}
	var parts []string
	sorted := func(m map[string]float64) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if m[keys[i]] != m[keys[j]] {
				return m[keys[i]] > m[keys[j]]
			}
			return keys[i] < keys[j]
		})
		return keys
	}
	for _, f := range sorted(e.Fields) {
		parts = append(parts, fmt.Sprintf("%s %.2f", f, e.Fields[f]))
	}
	for _, t := range sorted(e.Terms) {
		parts = append(parts, fmt.Sprintf("“%s” %.2f", t, e.Terms[t]))
	}
	if e.Centrality != 0 {
		parts = append(parts, fmt.Sprintf("centrality %.2f", e.Centrality))
	}
	if e.Recency != 0 {
		parts = append(parts, fmt.Sprintf("recency %.2f", e.Recency))
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	return parts
}
