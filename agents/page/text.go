package page

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// blockTags are the elements that start and end a paragraph of text.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true,
	"caption": true, "center": true, "dd": true, "details": true, "dialog": true, "div": true,
	"dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true, "footer": true,
	"form": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"header": true, "hgroup": true, "hr": true, "html": true, "li": true, "main": true, "nav": true,
	"ol": true, "p": true, "pre": true, "section": true, "summary": true, "table": true,
	"tbody": true, "tfoot": true, "thead": true, "tr": true, "ul": true, "menu": true,
}

// skipTags never hold text a reader sees.
var skipTags = map[string]bool{
	"head": true, "script": true, "style": true, "noscript": true, "template": true,
	"svg": true, "iframe": true, "object": true, "embed": true, "canvas": true,
	"audio": true, "video": true, "button": true, "input": true, "select": true,
	"textarea": true, "option": true, "map": true, "title": true,
}

// clutterTokens are class or id words (split at spaces, '-' and '_') of the
// blocks that readability sometimes keeps inside an article but no reader
// wants in its text: breadcrumbs, sharing and follow widgets, "related"
// boxes, newsletter sign-ups, comment threads and ad slots.
var clutterTokens = map[string]bool{
	"breadcrumb": true, "breadcrumbs": true,
	"related": true, "relatedposts": true, "relatedarticles": true, "relatedstories": true,
	"share": true, "sharing": true, "sharedaddy": true, "sharebar": true, "socialshare": true,
	"newsletter": true, "subscribe": true, "signup": true,
	"comments": true, "commentlist": true, "respond": true, "disqus": true,
	"ad": true, "ads": true, "advert": true, "advertisement": true, "sponsored": true, "promo": true,
	// As trafilatura discards them: tag lists, follow and social widgets,
	// "recommended" and "most read" boxes, recommendation networks, cookie
	// and consent notices, sidebars, pull quotes (they repeat the text) and
	// author boxes. None of them cost a word of the readability corpus.
	"tags": true, "taglist": true, "social": true, "follow": true, "widget": true, "sidebar": true,
	"recommended": true, "recommendations": true, "popular": true, "mostread": true, "mostpopular": true,
	"outbrain": true, "taboola": true, "cookie": true, "cookies": true, "consent": true,
	"pullquote": true, "authorbio": true,
}

// clutterSelector holds what is clutter by its markup alone.
const clutterSelector = `nav, [role="navigation"], [hidden], [aria-hidden="true"], ` +
	`[style*="display:none"], [style*="display: none"]`

// maxClutterShare: a "clutter" block holding more than this share of the
// article's text is kept, because then the markup lies and it is the article.
const maxClutterShare = 0.3

// clean removes clutter from the extracted article in place.
func clean(article *goquery.Selection) {
	total := letterCount(article.Text())
	if total == 0 {
		return
	}
	isClutter := func(_ int, s *goquery.Selection) bool {
		if s.Is(clutterSelector) {
			return true
		}
		class, _ := s.Attr("class")
		id, _ := s.Attr("id")
		for _, tok := range strings.FieldsFunc(strings.ToLower(class+" "+id), func(r rune) bool {
			return unicode.IsSpace(r) || r == '-' || r == '_'
		}) {
			if clutterTokens[tok] {
				return true
			}
		}
		return false
	}
	article.Find("*").FilterFunction(isClutter).Each(func(_ int, s *goquery.Selection) {
		if s.Get(0).Parent == nil {
			return // already gone with an ancestor
		}
		if float64(letterCount(s.Text())) > maxClutterShare*float64(total) {
			return
		}
		s.Remove()
	})
}

// letterCount counts letters and digits, the measure of "how much text".
func letterCount(s string) int {
	n := 0
	for _, c := range s {
		if unicode.IsLetter(c) || unicode.IsNumber(c) {
			n++
		}
	}
	return n
}

// rendered is an article's text and how much of it sat inside links.
type rendered struct {
	text       string
	linkRunes  int
	totalRunes int
	// paras are the paragraphs text was joined from, each with its own
	// letter and link counts, for the paragraph filters (prune).
	paras []para
}

// para is one rendered paragraph and how much of it sat inside links.
type para struct {
	text           string
	letters, links int
	pre            bool // preformatted: kept as laid out, never pruned
}

// linkShare is the share of the paragraph's letters and digits inside links.
func (p para) linkShare() float64 {
	if p.letters == 0 {
		return 0
	}
	return float64(p.links) / float64(p.letters)
}

// joinParas renders paragraphs as text and recounts the link share.
func joinParas(ps []para) rendered {
	r := rendered{paras: ps}
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.text
		r.linkRunes += p.links
		r.totalRunes += p.letters
	}
	r.text = strings.TrimSpace(strings.Join(texts, "\n\n"))
	return r
}

// linkDensity is the share of the text's letters and digits inside links.
func (r rendered) linkDensity() float64 {
	if r.totalRunes == 0 {
		return 0
	}
	return float64(r.linkRunes) / float64(r.totalRunes)
}

// textRenderer turns a DOM into paragraphs: block elements (headings, list
// items, table rows included) become paragraphs separated by blank lines,
// inline whitespace collapses to one space, <br> is a line break and <pre>
// keeps its layout.
type textRenderer struct {
	paras   []para
	cur     strings.Builder
	space   bool // a space is pending before the next word
	inLink  int
	inPre   int
	links   int // letters inside links in the current paragraph
	letters int // letters in the current paragraph
}

// renderText renders n (and its descendants) as plain text.
func renderText(n *html.Node) rendered {
	var r textRenderer
	r.walk(n)
	r.flush()
	return joinParas(r.paras)
}

func (r *textRenderer) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			r.walk(c)
		}
		return
	case html.ElementNode:
	default:
		return
	}
	tag := n.Data
	if skipTags[tag] {
		return
	}
	switch tag {
	case "br":
		r.cur.WriteByte('\n')
		r.space = false
		return
	case "td", "th":
		r.space = true
	case "img":
		return
	}
	block := blockTags[tag]
	if block {
		r.flush()
	}
	if tag == "a" {
		r.inLink++
	}
	if tag == "pre" {
		r.inPre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.walk(c)
	}
	switch {
	case block:
		r.flush() // before leaving <pre>, so its layout is kept
	case tag == "td" || tag == "th":
		r.space = true
	}
	if tag == "a" {
		r.inLink--
	}
	if tag == "pre" {
		r.inPre--
	}
}

func (r *textRenderer) text(s string) {
	for _, c := range s {
		if unicode.IsLetter(c) || unicode.IsNumber(c) {
			r.letters++
			if r.inLink > 0 {
				r.links++
			}
		}
	}
	if r.inPre > 0 {
		r.cur.WriteString(s)
		r.space = false
		return
	}
	for len(s) > 0 {
		c, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if unicode.IsSpace(c) {
			r.space = true
			continue
		}
		if r.space && r.cur.Len() > 0 && !endsWithNewline(&r.cur) {
			r.cur.WriteByte(' ')
		}
		r.space = false
		r.cur.WriteRune(c)
	}
}

func endsWithNewline(b *strings.Builder) bool {
	s := b.String()
	return len(s) > 0 && s[len(s)-1] == '\n'
}

// flush ends the current paragraph.
func (r *textRenderer) flush() {
	s := r.cur.String()
	r.cur.Reset()
	r.space = false
	letters, links := r.letters, r.links
	r.letters, r.links = 0, 0
	add := func(text string, pre bool) {
		r.paras = append(r.paras, para{text: text, letters: letters, links: links, pre: pre})
	}
	if r.inPre > 0 {
		// Keep the layout of preformatted text, but not trailing blanks
		// nor runs of empty lines, which would read as paragraph breaks.
		var kept []string
		blank := false
		for _, l := range strings.Split(s, "\n") {
			l = strings.TrimRightFunc(l, unicode.IsSpace)
			if l == "" {
				blank = len(kept) > 0
				continue
			}
			if blank {
				kept = append(kept, "")
				blank = false
			}
			kept = append(kept, l)
		}
		if len(kept) > 0 {
			add(strings.Join(kept, "\n"), true)
		}
		return
	}
	// Trim each line (a <br> leaves a line break) and drop empty ones.
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) > 0 {
		add(strings.Join(kept, "\n"), false)
	}
}
