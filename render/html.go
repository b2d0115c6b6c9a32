package render

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/research-cli/research/models"
)

// CSP is the Content-Security-Policy of every page research writes: no
// script at all, no request of any kind (styles are inline, charts are inline
// SVG), no form, no <base>. A page that escaped something wrongly still runs
// nothing and loads nothing.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// Stylesheet is the pages' shared CSS: readable at 390 px and 1280 px, long
// words and URLs wrap instead of widening the page.
const Stylesheet = `body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.sub,.meta{color:#666;font-size:.9rem} .kw{color:#05668d;font-size:.9rem} .err{color:#b00020}
.note{background:#fff4e5;padding:.5rem 1rem;border-left:4px solid #f0a000}
.excerpt{margin:.2rem 0;color:#333;font-size:.95rem} .explain{color:#555;font-size:.85rem}
ol.articles li{margin-bottom:1rem} details{margin-top:1rem} summary{cursor:pointer;color:#05668d}
.table{overflow-x:auto} table{border-collapse:collapse;font-size:.9rem;width:100%;overflow-wrap:normal}
td,th{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;white-space:nowrap} td.err{white-space:normal;overflow-wrap:anywhere;min-width:10rem}
@media (max-width:600px){.kind{display:none} body{margin:1rem auto}}
figure{margin:1rem 0} figcaption{font-size:.9rem;color:#444;margin-bottom:.3rem}
svg.chart{display:block;width:100%;height:auto;max-width:48rem} svg text{font:12px system-ui,sans-serif;fill:#333}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}`

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"join":     strings.Join,
	"untitled": orUntitled,
	"degraded": DegradedLine,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Research: {{.R.Query}}</title>
<style>{{.CSS}}</style></head><body>
<h1>Research: {{.R.Query}}</h1>
<p class="sub">{{.Headline}}</p>
{{with .R.Degraded}}<p class="note">{{degraded . ""}}</p>{{end}}
{{if .Summary}}<h2>Summary</h2><ul>{{range .Summary}}<li>{{.Text}}{{if .N}} <a href="#a{{.N}}">[{{.N}}]</a>{{end}}</li>{{end}}</ul>{{end}}
{{if .Keyphrases}}<p><strong>Keyphrases:</strong> {{join .Keyphrases " · "}}</p>{{end}}
{{if .Items}}<h2>Articles</h2>
<ol class="articles">{{range .Items}}{{template "item" .}}{{end}}</ol>
{{if .Rest}}<details><summary>and {{len .Rest}} more {{if eq (len .Rest) 1}}article{{else}}articles{{end}}</summary>
<ol class="articles">{{range .Rest}}{{template "item" .}}{{end}}</ol></details>{{end}}
{{else}}<p>No articles found.</p>{{end}}
<h2>At a glance</h2>
{{with .Timeline}}{{template "chart" .}}{{end}}
<div class="charts">{{with .PerSource}}{{template "chart" .}}{{end}}{{with .PerDay}}{{template "chart" .}}{{end}}</div>
<h2>Sources</h2><div class="table"><table><tr><th>source</th><th class="kind">kind</th><th>kept</th><th>fetched</th><th>time</th><th>error</th></tr>
{{range .R.Sources}}<tr><td>{{.Name}}</td><td class="kind">{{.Kind}}</td><td>{{.Kept}}</td><td>{{.Fetched}}</td><td>{{.ElapsedMS}}&nbsp;ms</td><td class="err">{{.Error}}</td></tr>{{end}}
</table></div></body></html>
{{define "item"}}<li id="a{{.N}}" value="{{.N}}">
<strong>{{if .URL}}<a href="{{.URL}}" rel="noopener noreferrer">{{untitled .Title}}</a>{{else}}{{untitled .Title}}{{end}}</strong>
<div class="meta">{{.Meta}}{{with .Author}} · by {{.}}{{end}}</div>
{{with .Excerpt}}<p class="excerpt">{{.}}</p>{{end}}
{{if .Keywords}}<div class="kw">{{join .Keywords ", "}}</div>{{end}}
{{if .Also}}<div class="meta">also reported by: {{join .Also ", "}}</div>{{end}}
{{if .Same}}<div class="meta">same story: {{range $i, $s := .Same}}{{if $i}}; {{end}}{{if $s.URL}}<a href="{{$s.URL}}" rel="noopener noreferrer">{{untitled $s.Title}}</a>{{else}}{{untitled $s.Title}}{{end}} ({{$s.Source}}){{end}}</div>{{end}}
{{with .Explain}}<div class="explain">{{.}}</div>{{end}}
</li>{{end}}
{{define "chart"}}<figure><figcaption>{{.Caption}}</figcaption>
<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Caption}}"><title>{{.Caption}}</title>
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Labels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}"{{if .Fill}} fill="{{.Fill}}"{{end}}>{{.Text}}</text>
{{end}}</svg></figure>{{end}}
`))

type htmlItem struct {
	N        int
	Title    string
	URL      string
	Meta     string
	Author   string
	Excerpt  string
	Keywords []string
	Also     []string
	Same     []htmlLink
	Explain  string
}

type htmlLink struct {
	Title, URL, Source string
}

type htmlSentence struct {
	Text string
	N    int
}

// chart is an inline SVG bar chart: rectangles and text only.
type chart struct {
	Caption string
	W, H    int
	Bars    []bar
	Labels  []label
}

type bar struct {
	X, Y, W, H int
	Fill       string
	Tip        string
}

type label struct {
	X, Y   int
	Anchor string
	Fill   string
	Text   string
}

const (
	colBar    = "#05668d"
	colLight  = "#b9d6e3"
	colFailed = "#b00020"
)

func writeHTML(w io.Writer, v *view, opts Options) error {
	data := struct {
		CSP                         string
		CSS                         template.CSS
		R                           *models.Result
		Headline                    string
		Summary                     []htmlSentence
		Keyphrases                  []string
		Items, Rest                 []htmlItem
		Timeline, PerSource, PerDay *chart
	}{CSP: CSP, CSS: template.CSS(Stylesheet), R: v.r, Headline: v.headline(), Keyphrases: v.keyphrase}
	for _, s := range v.summary {
		data.Summary = append(data.Summary, htmlSentence{Text: s.text, N: s.n})
	}
	for _, it := range v.shown() {
		data.Items = append(data.Items, v.htmlItem(it, opts))
	}
	for _, it := range v.rest {
		data.Rest = append(data.Rest, v.htmlItem(it, opts))
	}
	data.Timeline = timelineChart(v.r.Sources)
	data.PerSource = perSourceChart(v.r.Sources)
	data.PerDay = perDayChart(v.r.Articles)
	return page.Execute(w, data)
}

func (v *view) htmlItem(it item, opts Options) htmlItem {
	hi := htmlItem{N: it.n, Title: it.a.Title, Meta: v.meta(it), Author: strings.TrimSpace(it.a.Author),
		Excerpt: Excerpt(it.a, 280), Keywords: it.keywords, Also: alsoReported(it)}
	// Only web links become hrefs; anything else (javascript:, data:) stays text.
	if webLink(it.a.URL) {
		hi.URL = it.a.URL
	}
	for _, s := range it.same {
		l := htmlLink{Title: s.Title, Source: s.Source}
		if webLink(s.URL) {
			l.URL = s.URL
		}
		hi.Same = append(hi.Same, l)
	}
	if opts.Explain {
		if parts := explainParts(it.explain); len(parts) > 0 {
			hi.Explain = fmt.Sprintf("score %.2f: %s", it.score, strings.Join(parts, " · "))
		}
	}
	return hi
}

// Excerpt is a short plain-text excerpt of an article: its summary, else the
// start of its text, whitespace collapsed, cut at a word to about n columns.
func Excerpt(a models.Article, n int) string {
	s := a.Summary
	if strings.TrimSpace(s) == "" {
		s = a.Content
	}
	if len(s) > 8*n { // no need to collapse a whole page to cut 280 columns
		s = strings.ToValidUTF8(s[:8*n], "")
	}
	return Safe(Truncate(s, n))
}

// timelineChart draws each source's fetch as a bar from its start to its end
// (the demo's text Gantt), failures in red with their kind.
func timelineChart(srcs []models.SourceResult) *chart {
	if len(srcs) == 0 {
		return nil
	}
	const nameW, plotW, infoW, row = 110, 270, 150, 22
	var end int64 = 1
	for _, s := range srcs {
		end = max(end, s.StartedMS+s.ElapsedMS)
	}
	c := &chart{Caption: fmt.Sprintf("Fetch timeline: %s fetched at once, the stage took %d ms", Plural(len(srcs), "source"), end),
		W: nameW + plotW + infoW, H: row*len(srcs) + 24}
	for i, s := range srcs {
		y := i * row
		x := nameW + int(s.StartedMS*plotW/end)
		wd := max(int(s.ElapsedMS*plotW/end), 2)
		fill, info := colBar, fmt.Sprintf("%d ms · %d kept", s.ElapsedMS, s.Kept)
		if s.Error != "" {
			fill = colFailed
			kind := s.ErrorKind
			if kind == "" {
				kind = "failed"
			}
			info = fmt.Sprintf("%d ms · ✗ %s", s.ElapsedMS, strings.ReplaceAll(kind, "_", " "))
		}
		c.Bars = append(c.Bars, bar{X: x, Y: y + 4, W: wd, H: row - 8, Fill: fill,
			Tip: fmt.Sprintf("%s: from %d ms to %d ms", s.Name, s.StartedMS, s.StartedMS+s.ElapsedMS)})
		c.Labels = append(c.Labels,
			label{X: nameW - 6, Y: y + 15, Anchor: "end", Text: Truncate(s.Name, 15)},
			label{X: nameW + plotW + 6, Y: y + 15, Anchor: "start", Text: info})
		if s.Error != "" {
			c.Labels[len(c.Labels)-1].Fill = colFailed
		}
	}
	axis := row * len(srcs)
	c.Bars = append(c.Bars, bar{X: nameW, Y: axis + 2, W: plotW, H: 1, Fill: "#999", Tip: "time"})
	c.Labels = append(c.Labels,
		label{X: nameW, Y: axis + 18, Anchor: "start", Text: "0 ms"},
		label{X: nameW + plotW, Y: axis + 18, Anchor: "end", Text: fmt.Sprintf("%d ms", end)})
	return c
}

// perSourceChart draws what each source kept, over what it fetched.
func perSourceChart(srcs []models.SourceResult) *chart {
	if len(srcs) == 0 {
		return nil
	}
	const nameW, plotW, infoW, row = 110, 200, 90, 22
	most := 1
	for _, s := range srcs {
		most = max(most, s.Fetched, s.Kept)
	}
	c := &chart{Caption: "Articles per source (kept, of fetched)", W: nameW + plotW + infoW, H: row * len(srcs)}
	for i, s := range srcs {
		y := i * row
		info := fmt.Sprintf("%d", s.Kept)
		if s.Fetched != s.Kept {
			info = fmt.Sprintf("%d of %d", s.Kept, s.Fetched)
		}
		if s.Error != "" {
			info = "failed"
		}
		if s.Fetched > 0 {
			c.Bars = append(c.Bars, bar{X: nameW, Y: y + 4, W: max(s.Fetched*plotW/most, 1), H: row - 8, Fill: colLight,
				Tip: fmt.Sprintf("%s: %d fetched", s.Name, s.Fetched)})
		}
		if s.Kept > 0 {
			c.Bars = append(c.Bars, bar{X: nameW, Y: y + 4, W: max(s.Kept*plotW/most, 1), H: row - 8, Fill: colBar,
				Tip: fmt.Sprintf("%s: %d kept", s.Name, s.Kept)})
		}
		l := label{X: nameW + max(s.Fetched, s.Kept)*plotW/most + 6, Y: y + 15, Anchor: "start", Text: info}
		if s.Error != "" {
			l.Fill = colFailed
		}
		c.Labels = append(c.Labels, label{X: nameW - 6, Y: y + 15, Anchor: "end", Text: Truncate(s.Name, 15)}, l)
	}
	return c
}

// perDayChart counts the articles by day of publication (UTC), the most
// recent 14 days that have any, oldest on the left.
func perDayChart(arts []models.Article) *chart {
	counts := map[string]int{}
	undated := 0
	for _, a := range arts {
		if a.Published.IsZero() {
			undated++
			continue
		}
		counts[a.Published.UTC().Format(time.DateOnly)]++
	}
	if len(counts) == 0 {
		return nil
	}
	days := make([]string, 0, len(counts))
	for d := range counts {
		days = append(days, d)
	}
	sort.Strings(days)
	if len(days) > 14 {
		days = days[len(days)-14:]
	}
	const colW, plotH, top = 40, 120, 16
	most := 1
	for _, d := range days {
		most = max(most, counts[d])
	}
	caption := "Articles per day of publication"
	if undated > 0 {
		caption += fmt.Sprintf(" (%d undated)", undated)
	}
	c := &chart{Caption: caption, W: colW*len(days) + 10, H: top + plotH + 36}
	for i, d := range days {
		n := counts[d]
		h := max(n*plotH/most, 1)
		x := 5 + i*colW
		t, _ := time.Parse(time.DateOnly, d)
		c.Bars = append(c.Bars, bar{X: x + 6, Y: top + plotH - h, W: colW - 12, H: h, Fill: colBar,
			Tip: fmt.Sprintf("%s: %s", t.Format("2 Jan 2006"), Plural(n, "article"))})
		c.Labels = append(c.Labels,
			label{X: x + colW/2, Y: top + plotH - h - 4, Anchor: "middle", Text: fmt.Sprint(n)},
			label{X: x + colW/2, Y: top + plotH + 14, Anchor: "middle", Text: t.Format("2")},
			label{X: x + colW/2, Y: top + plotH + 28, Anchor: "middle", Text: t.Format("Jan")})
	}
	return c
}
