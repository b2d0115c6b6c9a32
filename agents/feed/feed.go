// Package feed is the agent for RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed
// sources. A feed is not query-aware: Search returns every item and the caller
// decides which bear on the question (agents/topic).
package feed

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

// Accept is the Accept header sent for feeds: the feed types first, generic
// XML and JSON after them, anything as a last resort (many servers label feeds
// text/html or application/octet-stream).
const Accept = "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, " +
	"application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1"

// DefaultMaxItems is how many items a feed gives when its source sets no
// MaxResults of its own (the CLI applies limits.max_results to search APIs only).
const DefaultMaxItems = 50

// MaxItems is the most items a feed source may keep, whatever its max_results.
var MaxItems = models.MaxResultsLimit[models.KindFeed]

// summaryChars bounds a summary made from an item's content when the item has
// no description of its own.
const summaryChars = 600

// Agent fetches one feed.
type Agent struct {
	src    models.Source
	client *fetch.Client
}

// New returns the agent for src (src.URL is the feed's URL).
func New(src models.Source, client *fetch.Client) *Agent {
	return &Agent{src: src, client: client}
}

// Search fetches the feed and returns all of its items as articles; query is
// ignored. Errors name the source and URL; a document that is not a feed or
// cannot be parsed is a *fetch.Error of kind KindNotAFeed or KindMalformed.
func (a *Agent) Search(ctx context.Context, _ string) ([]models.Article, error) {
	resp, err := a.client.Get(ctx, fetch.Request{URL: a.src.URL, Accept: Accept})
	if err != nil {
		return nil, err // a *fetch.Error naming the URL; the report names the source
	}
	base := resp.URL
	if base == "" {
		base = a.src.URL
	}
	arts, err := Parse(resp.Body, resp.ContentType, base, a.src)
	if err != nil {
		return nil, err
	}
	return arts, nil
}

// Parse turns a feed document into articles. contentType is the response's
// Content-Type (used for the charset and to recognise HTML); base is the URL
// the document came from, against which relative links resolve. A document
// that is not a feed, or cannot be parsed, gives a *fetch.Error of kind
// KindNotAFeed or KindMalformed with base as its URL.
func Parse(body []byte, contentType, base string, src models.Source) ([]models.Article, error) {
	doc, err := parse(body, contentType)
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) {
			fe.URL = base
		}
		return nil, err
	}
	return Articles(doc, base, src), nil
}

func parse(body []byte, contentType string) (*gofeed.Feed, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")))
	if len(trimmed) == 0 {
		return nil, &fetch.Error{Kind: fetch.KindEmpty}
	}
	if looksLikeHTML(trimmed) {
		// Some publishers wrap the feed in an XHTML page; take it out.
		inner := embeddedFeed(trimmed)
		if inner == nil {
			return nil, &fetch.Error{Kind: fetch.KindNotAFeed, Err: errors.New("got an HTML page")}
		}
		trimmed = inner
	}
	doc := trimmed
	if trimmed[0] != '{' && trimmed[0] != '[' {
		// XML: decode to UTF-8 (trusting valid UTF-8 over a wrong label),
		// then repair what real feeds get wrong before a parser sees it.
		if u, err := fetch.ToUTF8(doc, contentType); err == nil {
			doc = u
		}
		doc = sanitizeXML(doc)
		if len(bytes.TrimSpace(doc)) == 0 {
			return nil, &fetch.Error{Kind: fetch.KindMalformed, Err: errors.New("no XML left after removing invalid characters")}
		}
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(doc))
	if err != nil && doc[0] != '{' {
		// A feed that ends right after a complete element but lacks its
		// closing tags (</channel></rss>) is a publisher's slip, not a
		// truncation: close it and try again.
		if fixed := closeDocument(doc); fixed != nil {
			if f2, err2 := gofeed.NewParser().Parse(bytes.NewReader(fixed)); err2 == nil {
				f, err = f2, nil
			}
		}
	}
	switch {
	case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
		what := "unrecognised document"
		if strings.Contains(strings.ToLower(contentType), "html") {
			what = "got an HTML page"
		}
		return nil, &fetch.Error{Kind: fetch.KindNotAFeed, Err: fmt.Errorf("%s (starts %q)", what, snippet(trimmed))}
	case err != nil:
		return nil, &fetch.Error{Kind: fetch.KindMalformed, Err: err}
	}
	return f, nil
}

func looksLikeHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	// Skip comments and an XML declaration some XHTML pages start with.
	for {
		head = strings.TrimSpace(head)
		switch {
		case strings.HasPrefix(head, "<!--"):
			if i := strings.Index(head, "-->"); i >= 0 {
				head = head[i+3:]
				continue
			}
		case strings.HasPrefix(head, "<?xml"):
			if i := strings.Index(head, "?>"); i >= 0 {
				head = head[i+2:]
				continue
			}
		}
		break
	}
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

// feedRoots open the root element of each feed format.
var feedRoots = [][]byte{[]byte("<rss"), []byte("<feed"), []byte("<rdf:RDF")}

// embeddedFeed returns the feed element inside an (X)HTML page, or nil.
func embeddedFeed(page []byte) []byte {
	for _, open := range feedRoots {
		i := bytes.Index(page, open)
		if i < 0 || len(page) <= i+len(open) || !isSpaceOrClose(page[i+len(open)]) {
			continue
		}
		closing := append([]byte("</"), open[1:]...)
		j := bytes.LastIndex(page, closing)
		if j < i {
			continue
		}
		end := j + len(closing)
		if k := bytes.IndexByte(page[end:], '>'); k >= 0 {
			return page[i : end+k+1]
		}
	}
	return nil
}

func isSpaceOrClose(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' }

// closeDocument returns doc with the closing tags it lacks appended, when
// it ends (but for whitespace) with a complete item, entry or channel, so
// that no item is cut short; else nil.
func closeDocument(doc []byte) []byte {
	t := bytes.TrimRight(doc, " \t\r\n")
	ok := false
	for _, tail := range []string{"</item>", "</entry>", "</channel>", "</rdf:RDF>"} {
		ok = ok || bytes.HasSuffix(t, []byte(tail))
	}
	if !ok {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(t))
	d.Strict = false
	var open []string
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			open = append(open, qname(tok.Name))
		case xml.EndElement:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
	if len(open) == 0 {
		return nil
	}
	out := bytes.Clone(t)
	for i := len(open) - 1; i >= 0; i-- {
		out = append(out, "</"+open[i]+">"...)
	}
	return out
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func snippet(b []byte) string {
	s := string(b[:min(len(b), 40)])
	return strings.ToValidUTF8(s, "")
}

// Articles converts a parsed feed into articles for src: canonical URLs
// resolved against base, plain-text summaries, stable ids, and items repeated
// in the feed (same GUID, or same URL) kept once.
//
// It keeps the newest src.MaxResults items (DefaultMaxItems when zero): a
// hostile or merely huge feed (60,000 items) must not turn into 60,000
// articles for the analyzer. Items are taken newest first by their published
// (else updated) date, undated items after every dated one in feed order, and
// only the items taken are converted. The result is in feed order. Of
// repeated items the first taken (the newest) is kept.
func Articles(f *gofeed.Feed, base string, src models.Source) []models.Article {
	limit := src.MaxResults
	if limit <= 0 {
		limit = DefaultMaxItems
	}
	limit = min(limit, MaxItems)
	baseURL, _ := url.Parse(base)
	if f.Link != "" && baseURL != nil {
		if l, err := baseURL.Parse(f.Link); err == nil && l.Host != "" {
			baseURL = l
		}
	}
	site := canon.Text(f.Title)
	lang := canon.Collapse(f.Language)
	order := newestFirst(f.Items)
	seen := make(map[string]bool, min(len(order), 4*limit))
	type taken struct {
		pos        int
		a          models.Article
		guid, frag string
	}
	byURL := map[string]int{} // canonical URL → index in kept
	kept := make([]taken, 0, min(len(order), limit))
	for _, pos := range order {
		if len(kept) >= limit {
			break
		}
		it := f.Items[pos]
		a := models.Article{
			Source:     src.Name,
			Kind:       string(models.KindFeed),
			URL:        itemURL(it, baseURL),
			Title:      canon.Text(it.Title),
			Author:     author(it),
			Published:  published(it),
			Language:   lang,
			Site:       site,
			Categories: categories(it.Categories),
		}
		summary := canon.Text(it.Description)
		content := canon.Text(it.Content)
		if summary == "" {
			summary = canon.Clip(content, summaryChars)
		}
		if content == summary || strings.HasPrefix(summary, content) {
			content = "" // nothing beyond the summary
		}
		a.Summary, a.Content = summary, content

		guid := strings.TrimSpace(it.GUID)
		// Repeats: the same GUID, or the same canonical URL — unless both
		// items have GUIDs, and they and the links' fragments differ (the
		// comments of one post, …/post#comment-1 and #comment-2), which are
		// distinct items and keep their fragments.
		frag := itemFragment(it, baseURL)
		var keys []string
		if guid != "" {
			keys = append(keys, "guid:"+guid)
		}
		if a.URL != "" {
			if guid == "" {
				keys = append(keys, "url:"+a.URL)
			} else {
				keys = append(keys, "urlfrag:"+a.URL+"#"+frag)
			}
		}
		if len(keys) == 0 {
			keys = append(keys, "item:"+a.Title+"\x00"+a.Summary)
		}
		dup := false
		for _, k := range keys {
			dup = dup || seen[k]
		}
		if a.URL != "" && !dup {
			if prev, ok := byURL[a.URL]; ok {
				// Same page: a repeat unless both have GUIDs and distinct fragments.
				p := &kept[prev]
				if guid == "" || p.guid == "" || frag == p.frag {
					dup = true
				} else {
					a.URL = withFragment(a.URL, frag)
					if p.frag != "" && !strings.Contains(p.a.URL, "#") {
						p.a.URL = withFragment(p.a.URL, p.frag)
						p.a.ID = canon.ID(p.a.URL)
					}
				}
			}
		}
		for _, k := range keys {
			seen[k] = true
		}
		if dup || a.Title == "" && a.Summary == "" && a.URL == "" {
			continue
		}
		switch {
		case a.URL != "":
			a.ID = canon.ID(a.URL)
		case guid != "":
			a.ID = canon.ID(src.Name, guid)
		default:
			a.ID = canon.ID(src.Name, a.Title, a.Summary)
		}
		if a.URL != "" {
			if _, ok := byURL[canon.URL(a.URL)]; !ok {
				byURL[canon.URL(a.URL)] = len(kept)
			}
		}
		kept = append(kept, taken{pos: pos, a: a, guid: guid, frag: frag})
	}
	slices.SortFunc(kept, func(x, y taken) int { return cmp.Compare(x.pos, y.pos) })
	out := make([]models.Article, len(kept))
	for i, k := range kept {
		out[i] = k.a
	}
	return out
}

// newestFirst returns the positions of the non-nil items, newest first; items
// without a date follow, in feed order. Equal dates keep feed order.
func newestFirst(items []*gofeed.Item) []int {
	order := make([]int, 0, len(items))
	dates := make([]time.Time, len(items))
	for i, it := range items {
		if it != nil {
			order = append(order, i)
			dates[i] = published(it)
		}
	}
	slices.SortStableFunc(order, func(i, j int) int {
		di, dj := dates[i], dates[j]
		switch {
		case di.IsZero() && dj.IsZero():
			return 0
		case di.IsZero():
			return 1
		case dj.IsZero():
			return -1
		}
		return dj.Compare(di)
	})
	return order
}

func itemURL(it *gofeed.Item, base *url.URL) string {
	candidates := []string{it.Link}
	candidates = append(candidates, it.Links...)
	if g := strings.TrimSpace(it.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
		candidates = append(candidates, g)
	}
	for _, c := range candidates {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		u, err := url.Parse(c)
		if err != nil {
			continue
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		if link := canon.HTTPURL(u.String()); link != "" {
			return link
		}
	}
	return ""
}

// itemFragment is the fragment of the link itemURL chose ("" when none).
func itemFragment(it *gofeed.Item, base *url.URL) string {
	for _, c := range append([]string{it.Link}, it.Links...) {
		u, err := url.Parse(strings.TrimSpace(c))
		if err != nil || strings.TrimSpace(c) == "" {
			continue
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		if canon.HTTPURL(u.String()) != "" {
			return u.EscapedFragment()
		}
	}
	return ""
}

// withFragment puts a fragment back on a canonical URL.
func withFragment(u, frag string) string {
	if frag == "" {
		return u
	}
	return u + "#" + frag
}

func author(it *gofeed.Item) string {
	var names []string
	for _, p := range it.Authors {
		if p == nil {
			continue
		}
		n := strings.TrimSpace(canon.Text(p.Name))
		if n == "" {
			n = canon.Collapse(p.Email)
		}
		if n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 && it.Author != nil {
		if n := strings.TrimSpace(canon.Text(it.Author.Name)); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func published(it *gofeed.Item) time.Time {
	switch {
	case it.PublishedParsed != nil:
		return it.PublishedParsed.UTC()
	case it.UpdatedParsed != nil:
		return it.UpdatedParsed.UTC()
	}
	return time.Time{}
}

func categories(cs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		c = strings.TrimSpace(canon.Text(c))
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
