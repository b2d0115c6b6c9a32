package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/research-cli/research/internal/textsafe"
)

// mdEscape keeps text from being read as Markdown syntax.
var mdEscape = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "#", `\#`, "|", `\|`)

func writeMarkdown(w io.Writer, v *view, opts Options) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# Research: %s\n\n_%s_\n", mdEscape.Replace(v.r.Query), v.headline())
	if d := v.r.Degraded; d != nil {
		fmt.Fprintf(b, "\n> **Note:** %s\n", mdEscape.Replace(DegradedLine(d, "")))
	}
	if len(v.summary) > 0 {
		b.WriteString("\n## Summary\n\n")
		for _, s := range v.summary {
			cite := ""
			if s.n > 0 {
				cite = fmt.Sprintf(" [\\[%d\\]](#a%d)", s.n, s.n)
			}
			fmt.Fprintf(b, "- %s%s\n", mdEscape.Replace(s.text), cite)
		}
	}
	if len(v.keyphrase) > 0 {
		fmt.Fprintf(b, "\n**Keyphrases:** %s\n", mdEscape.Replace(strings.Join(v.keyphrase, " · ")))
	}
	if len(v.items) > 0 {
		b.WriteString("\n## Articles\n\n")
	}
	for _, it := range v.shown() {
		title := mdEscape.Replace(orUntitled(it.a.Title))
		if u := it.a.URL; webLink(u) {
			title = fmt.Sprintf("[%s](<%s>)", title, u)
		}
		// A bullet with the number written out: an ordered list would be
		// renumbered by Markdown renderers and break the summary's citations.
		fmt.Fprintf(b, "- <a id=\"a%d\"></a>**\\[%d\\]** **%s**  \n  %s", it.n, it.n, title, mdEscape.Replace(v.meta(it)))
		if len(it.keywords) > 0 {
			fmt.Fprintf(b, "  \n  _%s_", mdEscape.Replace(strings.Join(it.keywords, ", ")))
		}
		if parts := explainParts(it.explain); opts.Explain && len(parts) > 0 {
			fmt.Fprintf(b, "  \n  score %.2f: %s", it.score, mdEscape.Replace(strings.Join(safeAll(parts), " · ")))
		}
		if also := alsoReported(it); len(also) > 0 {
			fmt.Fprintf(b, "  \n  (also reported by: %s)", mdEscape.Replace(strings.Join(also, ", ")))
		}
		b.WriteString("\n")
	}
	if v.hidden > 0 {
		fmt.Fprintf(b, "\n…and %d more.\n", v.hidden)
	}
	b.WriteString("\n## Sources\n\n| source | kind | kept | fetched | time | error |\n| --- | --- | ---: | ---: | ---: | --- |\n")
	for _, s := range v.r.Sources {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d ms | %s |\n", mdEscape.Replace(s.Name), s.Kind, s.Kept, s.Fetched,
			s.ElapsedMS, mdEscape.Replace(s.Error))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// webLink reports whether u may become a link: http(s) only (no javascript: or
// data:), and nothing that would end the <…> destination early.
func webLink(u string) bool { return textsafe.WebURL(u) }

// MarkdownText escapes s so that Markdown shows it as text, never as markup
// (no link, emphasis, heading, table cell or raw HTML).
func MarkdownText(s string) string { return mdEscape.Replace(s) }

// MarkdownLink is a Markdown link to u showing text, or "" when u is not an
// http(s) URL that can stand in a link destination.
func MarkdownLink(text, u string) string {
	if !webLink(u) {
		return ""
	}
	return fmt.Sprintf("[%s](<%s>)", mdEscape.Replace(text), u)
}
