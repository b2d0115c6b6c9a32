package render

import (
	"html/template"
	"io"
	"strings"
)

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"join":     strings.Join,
	"untitled": orUntitled,
	"degraded": DegradedLine,
	"also":     alsoReported,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Research: {{.R.Query}}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem} .sub,.meta{color:#666;font-size:.9rem}
.kw{color:#05668d;font-size:.9rem} .err{color:#b00020} .note{background:#fff4e5;padding:.5rem 1rem;border-left:4px solid #f0a000}
ol.articles li{margin-bottom:.8rem} table{border-collapse:collapse;font-size:.9rem} td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
</style></head><body>
<h1>Research: {{.R.Query}}</h1>
<p class="sub">{{.Headline}}</p>
{{with .R.Degraded}}<p class="note">{{degraded . ""}}</p>{{end}}
{{if .Summary}}<h2>Summary</h2><ul>{{range .Summary}}<li>{{.Text}}{{if .N}} <a href="#a{{.N}}">[{{.N}}]</a>{{end}}</li>{{end}}</ul>{{end}}
{{if .Keyphrases}}<p><strong>Keyphrases:</strong> {{join .Keyphrases " · "}}</p>{{end}}
{{if .Items}}<h2>Articles</h2><ol class="articles">{{range .Items}}<li id="a{{.N}}" value="{{.N}}">
<strong>{{if .URL}}<a href="{{.URL}}">{{untitled .Title}}</a>{{else}}{{untitled .Title}}{{end}}</strong><br>
<span class="meta">{{.Meta}}</span>{{if .Keywords}}<br><span class="kw">{{join .Keywords ", "}}</span>{{end}}
{{if .Also}}<br><span class="meta">also reported by: {{join .Also ", "}}</span>{{end}}
</li>{{end}}</ol>{{if .Hidden}}<p class="meta">…and {{.Hidden}} more.</p>{{end}}{{end}}
<h2>Sources</h2><table><tr><th>source</th><th>kind</th><th>kept</th><th>fetched</th><th>time</th><th>error</th></tr>
{{range .R.Sources}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Kept}}</td><td>{{.Fetched}}</td><td>{{.ElapsedMS}} ms</td><td class="err">{{.Error}}</td></tr>{{end}}
</table></body></html>
`))

type htmlItem struct {
	N        int
	Title    string
	URL      template.URL
	Meta     string
	Keywords []string
	Also     []string
}

type htmlSentence struct {
	Text string
	N    int
}

func writeHTML(w io.Writer, v *view, _ Options) error {
	data := struct {
		R          any
		Headline   string
		Summary    []htmlSentence
		Keyphrases []string
		Items      []htmlItem
		Hidden     int
	}{R: v.r, Headline: v.headline(), Keyphrases: v.keyphrase, Hidden: v.hidden}
	for _, s := range v.summary {
		data.Summary = append(data.Summary, htmlSentence{Text: s.text, N: s.n})
	}
	for _, it := range v.shown() {
		hi := htmlItem{N: it.n, Title: it.a.Title, Meta: v.meta(it), Keywords: it.keywords, Also: alsoReported(it)}
		// Only web links become hrefs; anything else (javascript:, data:) is dropped.
		if u := it.a.URL; webLink(u) {
			hi.URL = template.URL(u)
		}
		data.Items = append(data.Items, hi)
	}
	return page.Execute(w, data)
}
