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
	"unicode/utf8"

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
	// Width is the text width; 0 means 100.
	Width int
	// Limit is how many articles are listed in text, Markdown and HTML; 0 means 15.
	Limit int
	// DegradedHint is appended to the degraded notice (e.g. "run with --debug for its stderr").
	DegradedHint string
}

// Write renders r to w.
func Write(w io.Writer, r *models.Result, opts Options) error {
	if opts.Width <= 0 {
		opts.Width = 100
	}
	if opts.Limit <= 0 {
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

// view is the result arranged for reading: articles in ranking order with
// their duplicates folded under them, citation numbers resolved.
type view struct {
	r         *models.Result
	items     []item
	listed    []item
	hidden    int // articles not listed
	cite      map[string]int
	summary   []citedSentence
	keyphrase []string
	okSources int
	bySource  map[string]models.SourceResult
}

type item struct {
	n        int
	a        models.Article
	score    float64
	hasScore bool
	keywords []string
	dups     []models.Article
	same     []models.Article
}

type citedSentence struct {
	text string
	n    int
}

func newView(r *models.Result, limit int) *view {
	v := &view{r: r, cite: map[string]int{}, bySource: map[string]models.SourceResult{}}
	for _, s := range r.Sources {
		v.bySource[s.Name] = s
		if s.Error == "" {
			v.okSources++
		}
	}
	rank := map[string]models.RankedArticle{}
	sameOf := map[string]string{} // member -> canonical for same_story groups
	if an := r.Analysis; an != nil {
		for _, e := range an.Ranking {
			rank[e.ID] = e
		}
		for _, g := range an.Groups {
			if g.Kind == models.GroupSameStory && len(g.IDs) > 1 {
				for _, id := range g.IDs[1:] {
					sameOf[id] = g.IDs[0]
				}
			}
		}
	}
	pos := map[string]int{}
	for _, a := range r.Articles {
		e, ranked := rank[a.ID]
		if ranked && e.DuplicateOf != "" {
			if at, ok := pos[e.DuplicateOf]; ok {
				v.items[at].dups = append(v.items[at].dups, a)
				continue
			}
		}
		if c, ok := sameOf[a.ID]; ok {
			if at, ok := pos[c]; ok {
				v.items[at].same = append(v.items[at].same, a)
				continue
			}
		}
		it := item{a: a, score: e.Score, hasScore: ranked, keywords: e.Keywords}
		pos[a.ID] = len(v.items)
		v.items = append(v.items, it)
	}
	for i := range v.items {
		v.items[i].n = i + 1
		v.cite[v.items[i].a.ID] = i + 1
		for _, d := range v.items[i].dups {
			v.cite[d.ID] = i + 1
		}
		for _, d := range v.items[i].same {
			v.cite[d.ID] = i + 1
		}
	}
	cited := map[int]bool{}
	if an := r.Analysis; an != nil {
		for _, s := range an.Summary {
			n := v.cite[s.ArticleID]
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
		if it.n <= limit || cited[it.n] {
			v.listed = append(v.listed, it)
		}
	}
	v.hidden = len(v.items) - len(v.listed)
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
	seen := map[string]bool{it.a.Source: true}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range it.a.AlsoIn {
		add(s)
	}
	for _, d := range it.dups {
		add(d.Source)
		for _, s := range d.AlsoIn {
			add(s)
		}
	}
	return out
}

// sourcesLine summarises the sources that worked, e.g. "arxiv 12 · hn 9 · blog 3 (of 20 fetched)".
func (v *view) sourcesLine() string {
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
	return strings.Join(parts, " · ")
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

// Wrap breaks s into lines of at most width display columns (20 at least).
func Wrap(s string, width int) []string {
	if width < 20 {
		width = 20
	}
	var lines []string
	var cur strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		wl := utf8.RuneCountInString(w)
		if n > 0 && n+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(w)
		n += wl
	}
	if n > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// Truncate shortens s, whitespace collapsed, to width display columns with an ellipsis.
func Truncate(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}
