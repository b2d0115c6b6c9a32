package digest

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

// Write renders the digest in one of render's formats: text for a terminal,
// Markdown or HTML to be mailed, JSON for scripts. Text, Markdown and HTML
// show every string read off the network through textsafe.Line (no line
// breaks, terminal or bidi controls) and make links of http(s) URLs only;
// JSON keeps the raw values (its encoder escapes controls).
func Write(w io.Writer, d *Digest, f render.Format) error {
	var err error
	switch f {
	case render.JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(d)
	case render.Markdown:
		_, err = io.WriteString(w, textsafe.Strip(markdown(readable(d))))
	case render.HTML:
		err = page.Execute(w, htmlView(readable(d)))
	case render.Text, "":
		_, err = io.WriteString(w, textsafe.Strip(text(readable(d))))
	default:
		return fmt.Errorf("digest: unknown format %q", f)
	}
	if err != nil {
		return fmt.Errorf("write digest: %w", err)
	}
	return nil
}

// Rendered is a digest in every format, as the outbox records it.
type Rendered struct {
	Text, Markdown, HTML, JSON string
}

// Render renders d in every format.
func Render(d *Digest) (Rendered, error) {
	var r Rendered
	for _, f := range []struct {
		format render.Format
		dst    *string
	}{{render.Text, &r.Text}, {render.Markdown, &r.Markdown}, {render.HTML, &r.HTML}, {render.JSON, &r.JSON}} {
		var b strings.Builder
		if err := Write(&b, d, f.format); err != nil {
			return Rendered{}, err
		}
		*f.dst = b.String()
	}
	return r, nil
}

// Subject is the digest's one-line title, for a mail's subject.
func (d *Digest) Subject() string {
	return fmt.Sprintf("Research digest · %s · %s", FormatDate(d.GeneratedAt), plural(d.New, "new article"))
}

// readable is a copy of d in which every string read off the network stays
// on its line and drives nothing (textsafe.Line), and a URL that is not
// http(s) is gone: it is neither printed nor linked.
func readable(d *Digest) *Digest {
	c := *d
	c.Topics = make([]Topic, len(d.Topics))
	for i, t := range d.Topics {
		t.Topic = textsafe.Line(t.Topic)
		t.Why = textsafe.Line(t.Why)
		t.Items = make([]Item, len(d.Topics[i].Items))
		for j, it := range d.Topics[i].Items {
			it.Title = textsafe.Line(it.Title)
			it.Source = textsafe.Line(it.Source)
			it.AlsoIn = lines(it.AlsoIn)
			it.Keyphrases = lines(it.Keyphrases)
			if it.URL = textsafe.Line(it.URL); !textsafe.WebURL(it.URL) {
				it.URL = ""
			}
			t.Items[j] = it
		}
		t.Summary = make([]Sentence, len(d.Topics[i].Summary))
		for j, s := range d.Topics[i].Summary {
			s.Text = textsafe.Line(s.Text)
			t.Summary[j] = s
		}
		t.FailedSources = make([]FailedSource, len(d.Topics[i].FailedSources))
		for j, f := range d.Topics[i].FailedSources {
			f.Name, f.Kind, f.Error = textsafe.Line(f.Name), textsafe.Line(f.Kind), textsafe.Line(f.Error)
			t.FailedSources[j] = f
		}
		if t.Degraded != nil {
			dg := *t.Degraded
			dg.Detail = textsafe.Line(dg.Detail)
			t.Degraded = &dg
		}
		c.Topics[i] = t
	}
	return &c
}

func lines(xs []string) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = textsafe.Line(x)
	}
	return out
}

// Headline is the digest's first line: date and counts.
func (d *Digest) Headline() string {
	empty := 0
	for _, t := range d.Topics {
		if len(t.Items) == 0 {
			empty++
		}
	}
	s := fmt.Sprintf("%s · %s in %s", FormatWhen(d.GeneratedAt), plural(d.New, "new article"), plural(len(d.Topics), "topic"))
	if empty > 0 && empty < len(d.Topics) {
		s += fmt.Sprintf(" (%d with nothing new)", empty)
	} else if empty > 0 && len(d.Topics) > 1 {
		s += " (nothing new in any)"
	}
	if d.Since != "" {
		s += " · published in the last " + d.Since
	}
	return s
}

// Counts is a topic's one-line tally, e.g. "3 new of 24 fetched · 21 already sent".
func (t *Topic) Counts() string {
	parts := []string{fmt.Sprintf("%d new of %d fetched", len(t.Items), t.Fetched)}
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(t.AlreadySent, "already sent")
	if t.Folded > 0 {
		parts = append(parts, plural(t.Folded, "duplicate")+" folded")
	}
	add(t.InOtherTopic, "under another topic")
	if t.TooOld > 0 {
		add(t.TooOld, "older than "+humanDuration(t.since))
	}
	return strings.Join(parts, " · ")
}

// SinceLine says what the topic is compared against.
func (t *Topic) SinceLine() string {
	if t.LastRun.IsZero() {
		return "first digest for this topic"
	}
	return "new since " + FormatWhen(t.LastRun)
}

// More is the note about new articles beyond the cap, "" when there are none.
func (t *Topic) More() string {
	if t.OverCap == 0 {
		return ""
	}
	return fmt.Sprintf("…and %d more new, not listed (the cap is %d per topic); they stay new for the next digest.",
		t.OverCap, len(t.Items))
}

// Notes are the topic's warnings: failed sources, a degraded analysis. When
// the topic lists nothing, Why already names the failures.
func (t *Topic) Notes() []string {
	var out []string
	if len(t.FailedSources) > 0 && len(t.Items) > 0 {
		out = append(out, fmt.Sprintf("%d of %d sources failed: %s", len(t.FailedSources), t.Sources, t.failures(5)))
	}
	if t.Degraded != nil {
		out = append(out, render.DegradedLine(t.Degraded, "")+"; articles are newest first")
	}
	return out
}

// Meta is an item's provenance line: source, date, other sources.
func (it *Item) Meta() string {
	parts := []string{sourceLabel(it.Source, it.Kind)}
	if !it.Published.IsZero() {
		parts = append(parts, FormatDate(it.Published))
	}
	if len(it.AlsoIn) > 0 {
		parts = append(parts, "also in "+strings.Join(it.AlsoIn, ", "))
	}
	return strings.Join(parts, " · ")
}

func sourceLabel(name, kind string) string {
	switch {
	case kind == string(models.KindHackerNews) && (name == "hn" || name == "hackernews"):
		return "Hacker News"
	case kind == string(models.KindArxiv) && name == "arxiv":
		return "arXiv"
	case kind == string(models.KindWikipedia) && name == "wikipedia":
		return "Wikipedia"
	}
	return name
}

func untitled(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(untitled)"
	}
	return s
}

// textWidth is the text digest's line width in display columns: a mailed
// text part keeps to 80, and a terminal shows it as the report is shown,
// wrapped between words with hanging indents (render.WrapIndent).
const textWidth = 80

func text(d *Digest) string {
	b := &strings.Builder{}
	wrap := func(s, first, rest string) { b.WriteString(render.WrapIndent(s, textWidth, first, rest)) }
	wrap("Research digest · "+d.Headline(), "", "  ")
	for _, t := range d.Topics {
		b.WriteString("\n")
		wrap(t.Topic, "■ ", "  ")
		if len(t.Items) == 0 {
			wrap(capitalise(t.Why), "  ", "  ")
			for _, n := range t.Notes() {
				wrap(n, "  ! ", "    ")
			}
			continue
		}
		b.WriteString(render.Indent(render.WrapItems([]string{t.Counts(), t.SinceLine()}, " · ", textWidth-2), "  ", "  "))
		for _, n := range t.Notes() {
			wrap(n, "  ! ", "    ")
		}
		if len(t.Summary) > 0 {
			b.WriteString("\n  Summary\n")
			for _, s := range t.Summary {
				wrap(fmt.Sprintf("%s [%d]", s.Text, s.N), "    ", "    ")
			}
		}
		b.WriteString("\n")
		const indent = "      "
		for _, it := range t.Items {
			wrap(untitled(it.Title), fmt.Sprintf("  %2d  ", it.N), indent)
			wrap(it.Meta(), indent, indent)
			if len(it.Keyphrases) > 0 {
				b.WriteString(render.Indent(render.WrapItems(it.Keyphrases, ", ", textWidth-len(indent)), indent, indent))
			}
			if it.URL != "" {
				b.WriteString(indent + it.URL + "\n") // whole, even when longer than the line
			}
		}
		if m := t.More(); m != "" {
			wrap(m, "  ", "  ")
		}
	}
	return b.String()
}

// mdEscape keeps text from being read as Markdown syntax.
var mdEscape = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "#", `\#`, "|", `\|`)

// mdURL keeps a link target from ending the link early.
var mdURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")

func markdown(d *Digest) string {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# Research digest\n\n_%s_\n", mdEscape.Replace(d.Headline()))
	for ti, t := range d.Topics {
		fmt.Fprintf(b, "\n## %s\n\n", mdEscape.Replace(t.Topic))
		if len(t.Items) == 0 {
			fmt.Fprintf(b, "%s.\n", mdEscape.Replace(capitalise(t.Why)))
			for _, n := range t.Notes() {
				fmt.Fprintf(b, "\n> **Note:** %s\n", mdEscape.Replace(n))
			}
			continue
		}
		fmt.Fprintf(b, "_%s · %s_\n", mdEscape.Replace(t.Counts()), mdEscape.Replace(t.SinceLine()))
		for _, n := range t.Notes() {
			fmt.Fprintf(b, "\n> **Note:** %s\n", mdEscape.Replace(n))
		}
		if len(t.Summary) > 0 {
			b.WriteString("\n")
			for _, s := range t.Summary {
				fmt.Fprintf(b, "- %s [\\[%d\\]](#t%d-%d)\n", mdEscape.Replace(s.Text), s.N, ti+1, s.N)
			}
		}
		b.WriteString("\n")
		for _, it := range t.Items {
			title := mdEscape.Replace(untitled(it.Title))
			if it.URL != "" {
				title = fmt.Sprintf("[%s](%s)", title, mdURL.Replace(it.URL))
			}
			fmt.Fprintf(b, "%d. <a id=\"t%d-%d\"></a>**%s**  \n   %s", it.N, ti+1, it.N, title, mdEscape.Replace(it.Meta()))
			if len(it.Keyphrases) > 0 {
				fmt.Fprintf(b, "  \n   _%s_", mdEscape.Replace(strings.Join(it.Keyphrases, ", ")))
			}
			b.WriteString("\n")
		}
		if m := t.More(); m != "" {
			fmt.Fprintf(b, "\n%s\n", mdEscape.Replace(m))
		}
	}
	return b.String()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// page is the HTML digest. Its styles are inline (style attributes), since
// mail clients drop <style>; the same document is the mailed part and the
// --format html output.
var page = template.Must(template.New("digest").Funcs(template.FuncMap{
	"join":     strings.Join,
	"untitled": untitled,
	"cap":      capitalise,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Research digest, {{.When}}</title>
</head><body style="font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere">
<h1 style="font-size:1.5rem;margin:0 0 .2rem">Research digest</h1>
<p style="color:#666;font-size:.9rem;margin:0 0 1rem">{{.D.Headline}}</p>
{{range $ti, $t := .Topics}}<h2 style="font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd">{{.T.Topic}}</h2>
{{if not .T.Items}}<p style="color:#444;font-style:italic">{{cap .T.Why}}.</p>{{range .T.Notes}}<p style="background:#fff4e5;padding:.5rem 1rem;border-left:4px solid #f0a000">{{.}}</p>{{end}}
{{else}}<p style="color:#666;font-size:.9rem">{{.T.Counts}} · {{.T.SinceLine}}</p>
{{range .T.Notes}}<p style="background:#fff4e5;padding:.5rem 1rem;border-left:4px solid #f0a000">{{.}}</p>{{end}}
{{if .T.Summary}}<ul>{{range .T.Summary}}<li>{{.Text}} <a href="#t{{$t.N}}-{{.N}}" style="color:#05668d">[{{.N}}]</a></li>{{end}}</ul>{{end}}
<ol>{{range .T.Items}}<li id="t{{$t.N}}-{{.N}}" style="margin-bottom:.8rem"><strong>{{if .URL}}<a href="{{.URL}}" style="color:#05668d">{{untitled .Title}}</a>{{else}}{{untitled .Title}}{{end}}</strong><br>
<span style="color:#666;font-size:.9rem">{{.Meta}}</span>{{if .Keyphrases}}<br><span style="color:#05668d;font-size:.9rem">{{join .Keyphrases ", "}}</span>{{end}}</li>
{{end}}</ol>
{{with .T.More}}<p style="color:#666;font-size:.9rem">{{.}}</p>{{end}}{{end}}
{{end}}</body></html>
`))

type htmlTopic struct {
	N int
	T *Topic
}

func htmlView(d *Digest) any {
	ts := make([]htmlTopic, len(d.Topics))
	for i := range d.Topics {
		ts[i] = htmlTopic{N: i + 1, T: &d.Topics[i]}
	}
	return struct {
		D      *Digest
		When   string
		Topics []htmlTopic
		// CSP is the report's policy (render.CSP): no script, no request.
		CSP string
	}{d, FormatWhen(d.GeneratedAt), ts, render.CSP}
}
