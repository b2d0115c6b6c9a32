// Package page fetches an article's own web page and extracts its main text
// and metadata (title, byline, published time, site name) with a readability
// extractor (codeberg.org/readeck/go-readability) and goquery. It also decides,
// article by article, whether the page's text is better than the text the feed
// already carried (Enrich), because a bad extraction must never replace a good
// feed summary.
package page

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	nurl "net/url"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
)

// ErrNoArticle is returned (wrapped) when a page holds no article: a login
// form, an index of links, an empty shell that needs JavaScript.
var ErrNoArticle = errors.New("page holds no article")

// ErrNotHTML is returned (wrapped) when the server answered with something
// that is not an HTML page (a PDF, an image, JSON).
var ErrNotHTML = errors.New("not an HTML page")

// ErrTooComplex is returned (wrapped) when a page has more elements than the
// extractor is allowed to score; readability's cost grows with the element
// count and a pathological page must not stall a run.
var ErrTooComplex = errors.New("page too complex to extract")

// Limits on the work one page may cost.
const (
	// MaxTextBytes caps the extracted text; longer text is cut at a paragraph
	// boundary. The analyzer gains nothing from a book-length page.
	MaxTextBytes = 200 << 10
	// MaxElements caps how many elements readability scores on one page.
	MaxElements = 60000
	// minArticleRunes is the least text a page must yield to count as an article.
	minArticleRunes = 200
	// MaxPageBytes caps an article page's body, well below the fetch
	// client's cap (which must leave room for big feeds): the largest real
	// page in the test corpus is 1.6 MB, and every byte of HTML costs many
	// more once parsed.
	MaxPageBytes = 5 << 20
	// maxArticleLinkDensity is the share of the text inside links above which
	// the "article" is a list of links (an index page, a menu).
	maxArticleLinkDensity = 0.5
)

// acceptHTML is the Accept header for article pages.
const acceptHTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"

// Extracted is an article extracted from its page.
type Extracted struct {
	URL       string
	Title     string
	Byline    string
	Published time.Time
	Site      string
	// Text is the article's main text: paragraphs (headings and list items
	// included) separated by blank lines.
	Text string
	// Lang is the page's declared language, when it declares one.
	Lang string
	// Excerpt is the page's own description, or the first paragraph.
	Excerpt string
	// LinkDensity is the share of Text's letters that sat inside links; a high
	// value means the "article" is mostly navigation.
	LinkDensity float64
	// Truncated says Text was cut at MaxTextBytes.
	Truncated bool
}

// extractedJSON is the contract's view of an Extracted (`research extract --format json`).
type extractedJSON struct {
	URL       string `json:"url"`
	Title     string `json:"title"`
	Byline    string `json:"byline"`
	Published string `json:"published"`
	Site      string `json:"site"`
	Text      string `json:"text"`
}

// MarshalJSON writes the contract's shape: published is RFC 3339, or an empty
// string when the page did not say.
func (e Extracted) MarshalJSON() ([]byte, error) {
	v := extractedJSON{URL: e.URL, Title: e.Title, Byline: e.Byline, Site: e.Site, Text: e.Text}
	if !e.Published.IsZero() {
		v.Published = e.Published.Format(time.RFC3339)
	}
	// No HTML escaping here: an Encoder that wants it (the default) adds it to
	// what a Marshaler returns, one that turned it off keeps "<" readable.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Extract fetches url through c and extracts its article. Errors name the URL;
// ErrNoArticle, ErrNotHTML and the client's own classified errors are wrapped.
// url is trusted as the caller wrote it (a URL the user typed): use
// ExtractLink for a link taken from fetched content.
func Extract(ctx context.Context, c *fetch.Client, url string) (*Extracted, error) {
	return extractPage(ctx, c, fetch.Request{URL: url})
}

// ExtractLink is Extract for a link found in fetched content (a feed item's
// link): it may reach a private address only on the host and port of origin,
// the configured source it came from ("" trusts no host), unless the client
// allows private links (see fetch.Request.ContentLink).
func ExtractLink(ctx context.Context, c *fetch.Client, url, origin string) (*Extracted, error) {
	return extractPage(ctx, c, fetch.Request{URL: url, ContentLink: true, Origin: origin})
}

func extractPage(ctx context.Context, c *fetch.Client, req fetch.Request) (*Extracted, error) {
	url := req.URL
	req.Accept, req.MaxBytes = acceptHTML, MaxPageBytes
	resp, err := c.Get(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", url, err)
	}
	if !isHTML(resp.ContentType, resp.Body) {
		return nil, fmt.Errorf("extract %s: %w (content type %q)", url, ErrNotHTML, resp.ContentType)
	}
	pageURL := resp.URL
	if pageURL == "" {
		pageURL = url
	}
	body, err := resp.UTF8()
	if err != nil {
		// An encoding the page names but that will not decode: keep what is
		// readable rather than lose the page.
		body = bytes.ToValidUTF8(resp.Body, []byte("\uFFFD"))
	}
	ex, err := ExtractHTML(body, pageURL)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", url, err)
	}
	return ex, nil
}

// isHTML says whether a response is an HTML page: by its declared type, or,
// when the server did not declare one, by sniffing the body.
func isHTML(contentType string, body []byte) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	}
	switch mt {
	case "text/html", "application/xhtml+xml":
		return true
	case "text/plain", "application/octet-stream":
		// Misconfigured servers label pages this way; trust the bytes.
		sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(body))
		return sniffed == "text/html"
	}
	return false
}

// ExtractHTML extracts the article of an HTML page (UTF-8) whose address is
// pageURL; relative links resolve against it. It returns a wrapped
// ErrNoArticle when the page holds no article.
func ExtractHTML(page []byte, pageURL string) (*Extracted, error) {
	u, err := nurl.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("page URL %q: %w", pageURL, err)
	}
	// Count first, build after: html.Parse and readMeta cost hundreds of
	// bytes per element before readability's own MaxElemsToParse check runs,
	// so a page of millions of tiny elements would cost gigabytes. The
	// tokenizer streams and allocates next to nothing.
	if n, over := countElements(page, MaxElements); over {
		return nil, fmt.Errorf("%w: more than %d elements (stopped counting at %d)", ErrTooComplex, MaxElements, n)
	}
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		// From a byte slice the only failure is nesting deeper than the
		// parser's limit (512 open elements).
		return nil, fmt.Errorf("%w: parse HTML: %v", ErrTooComplex, err)
	}
	// Metadata fallbacks read the untouched document; readability then strips
	// and rewrites the same tree in place, which saves a second parse.
	meta := readMeta(goquery.NewDocumentFromNode(root))

	p := readability.NewParser()
	p.MaxElemsToParse = MaxElements
	p.KeepClasses = true // clean() recognises clutter by its classes
	art, err := p.ParseAndMutate(root, u)
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			return nil, fmt.Errorf("%w: %v", ErrTooComplex, err)
		}
		return nil, fmt.Errorf("readability: %w", err)
	}
	if art.Node == nil {
		return nil, fmt.Errorf("%w: no main content found", ErrNoArticle)
	}

	clean(goquery.NewDocumentFromNode(art.Node).Selection)
	// JSON-LD comes first, as in readability itself; meta.ld is non-empty
	// where readability could not read the JSON-LD (@type lists, @graph
	// arrays, authors given as plain strings).
	byline := firstNonEmpty(meta.ld.author, cleanByline(art.Byline()), meta.author)
	r := renderText(art.Node)
	r = joinParas(prune(r.paras, byline, meta.ld.body))
	text, truncated := capText(r.text, MaxTextBytes)
	ex := &Extracted{
		URL:         pageURL,
		Title:       firstNonEmpty(meta.ld.headline, art.Title(), meta.title),
		Byline:      byline,
		Site:        firstNonEmpty(meta.ld.publisher, art.SiteName(), meta.site),
		Text:        text,
		Lang:        firstNonEmpty(art.Language(), meta.lang),
		Excerpt:     art.Excerpt(),
		LinkDensity: r.linkDensity(),
		Truncated:   truncated,
	}
	// Everything here was read off the network and may reach a terminal.
	for _, f := range []*string{&ex.Title, &ex.Byline, &ex.Site, &ex.Text, &ex.Lang, &ex.Excerpt} {
		*f = canon.StripControls(*f)
	}
	if t, ok := parseTime(meta.ld.datePublished); ok {
		ex.Published = t
	} else if t, err := art.PublishedTime(); err == nil {
		ex.Published = t
	} else {
		ex.Published = meta.published
	}

	if n := utf8.RuneCountInString(ex.Text); n < minArticleRunes {
		return nil, fmt.Errorf("%w: only %d characters of text", ErrNoArticle, n)
	}
	if ex.LinkDensity > maxArticleLinkDensity {
		return nil, fmt.Errorf("%w: %.0f%% of the text is links", ErrNoArticle, 100*ex.LinkDensity)
	}
	return ex, nil
}

// countElements counts the start tags of page (self-closing ones included)
// with a streaming tokenizer, and stops as soon as there are more than max.
// It reports the count so far and whether max was exceeded.
func countElements(page []byte, max int) (int, bool) {
	z := html.NewTokenizer(bytes.NewReader(page))
	// Attribute values and text are never read: a huge attribute costs no copy.
	n := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return n, false
		case html.StartTagToken, html.SelfClosingTagToken:
			n++
			if n > max {
				return n, true
			}
		}
	}
}

// capText cuts text to at most max bytes, at the last paragraph break before
// the limit when there is one, else at a rune boundary.
func capText(text string, max int) (string, bool) {
	if len(text) <= max {
		return text, false
	}
	cut := text[:max]
	if i := strings.LastIndex(cut, "\n\n"); i > max/2 {
		return cut[:i], true
	}
	for len(cut) > 0 && !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut, true
}

// cleanByline trims the whitespace bylines carry from the page's layout.
func cleanByline(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
