package canon

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// blockElements end a paragraph: their text is separated from what follows by
// a blank line.
var blockElements = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "dd": true,
	"details": true, "div": true, "dl": true, "dt": true, "fieldset": true,
	"figcaption": true, "figure": true, "footer": true, "form": true, "h1": true,
	"h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true,
	"hr": true, "li": true, "main": true, "nav": true, "ol": true, "p": true,
	"pre": true, "section": true, "summary": true, "table": true, "tr": true,
	"ul": true,
}

// skippedElements hold no readable text.
var skippedElements = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true,
	"iframe": true, "object": true, "svg": true, "head": true, "button": true,
}

const paraBreak = '\x00'

// Text turns an HTML fragment (or plain text with entities) into plain text:
// tags removed, entities decoded, whitespace collapsed, and paragraphs (block
// elements, or two line breaks in a row) separated by one blank line.
// Terminal controls and escape sequences are removed (see StripControls),
// both those in the fragment and those its entities decode to.
func Text(fragment string) string {
	fragment = StripControls(fragment)
	if !strings.ContainsAny(fragment, "<&") {
		return Collapse(fragment)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(fragment))
	if err != nil {
		return Collapse(fragment)
	}
	var b strings.Builder
	lastBR := false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if strings.TrimSpace(n.Data) != "" {
				lastBR = false
			}
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			name := n.Data
			if skippedElements[name] {
				return
			}
			if name == "br" {
				if lastBR {
					b.WriteRune(paraBreak)
				} else {
					b.WriteByte('\n')
				}
				lastBR = true
				return
			}
			block := blockElements[name]
			if block {
				b.WriteRune(paraBreak)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
			if block {
				b.WriteRune(paraBreak)
				lastBR = false
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range doc.Nodes {
		walk(n)
	}
	return joinParagraphs(strings.Split(b.String(), string(paraBreak)))
}

// Collapse collapses runs of whitespace to single spaces within paragraphs and
// keeps one blank line between paragraphs (text separated by an empty line).
// Terminal controls and escape sequences are removed (see StripControls).
func Collapse(s string) string {
	s = StripControls(s) // also turns CR LF and lone CRs into LF
	var paras []string
	for _, p := range strings.Split(s, "\n") {
		if strings.TrimSpace(p) == "" {
			paras = append(paras, string(paraBreak))
			continue
		}
		paras = append(paras, p)
	}
	return joinParagraphs(strings.Split(strings.Join(paras, "\n"), string(paraBreak)))
}

func joinParagraphs(parts []string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		// Entities decode to controls after Text's first pass: strip again.
		// paraBreak (NUL) has been split on already.
		if f := strings.Fields(StripControls(p)); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return strings.Join(out, "\n\n")
}

// Clip shortens plain text for use as a summary: its first paragraph when
// that fits in n bytes, else the text cut at the last word boundary before n
// bytes with an ellipsis. Text of at most n bytes is returned whole.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.Index(s, "\n\n"); i > 0 && i <= n {
		return s[:i]
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
	}
	return strings.TrimSpace(s[:cut]) + "…"
}
