package page

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/itlightning/dateparse"
)

// pageMeta is the metadata read straight from the page, used where
// readability found nothing: it ignores JSON-LD whose @type is a list, whose
// author is a plain string, and <time datetime> elements.
type pageMeta struct {
	title, author, site, lang string
	published                 time.Time
	ld                        jsonLD
}

// readMeta reads og:/article: meta tags, JSON-LD and <time datetime>.
func readMeta(doc *goquery.Document) pageMeta {
	var m pageMeta
	attr := func(sel string) string {
		v, _ := doc.Find(sel).First().Attr("content")
		return strings.TrimSpace(v)
	}
	ld := readJSONLD(doc)
	m.ld = ld

	m.title = firstNonEmpty(attr(`meta[property="og:title"]`), attr(`meta[name="twitter:title"]`),
		ld.headline, doc.Find("title").First().Text())
	m.author = firstNonEmpty(ld.author, attr(`meta[name="author"]`), attr(`meta[property="article:author"]`))
	if strings.HasPrefix(m.author, "http://") || strings.HasPrefix(m.author, "https://") {
		m.author = "" // article:author is often a profile URL, not a name
	}
	m.site = firstNonEmpty(attr(`meta[property="og:site_name"]`), ld.publisher)
	lang, _ := doc.Find("html").First().Attr("lang")
	m.lang = strings.TrimSpace(lang)

	dt, _ := doc.Find("time[datetime]").First().Attr("datetime")
	for _, s := range []string{
		ld.datePublished,
		attr(`meta[property="article:published_time"]`),
		attr(`meta[name="date"]`),
		attr(`meta[itemprop="datePublished"]`),
		dt,
	} {
		if t, ok := parseTime(s); ok {
			m.published = t
			break
		}
	}
	return m
}

// parseTime reads the date formats pages use, RFC 3339 first.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	t, err := dateparse.ParseIn(s, time.UTC)
	if err != nil || t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}, false
	}
	return t, true
}

// jsonLD is the part of a schema.org Article we use.
type jsonLD struct {
	headline, author, publisher, datePublished string
	// body is the article's own text (articleBody), when the page gives it.
	body string
}

// readJSONLD returns the first article-like object among the page's JSON-LD
// blocks, looking into arrays and @graph.
func readJSONLD(doc *goquery.Document) jsonLD {
	var out jsonLD
	doc.Find(`script[type="application/ld+json"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		var v any
		if json.Unmarshal([]byte(strings.TrimSpace(s.Text())), &v) != nil {
			return true
		}
		if obj := findArticleLD(v, 0); obj != nil {
			out.headline = firstNonEmpty(str(obj["headline"]), str(obj["name"]))
			out.author = ldNames(obj["author"])
			out.publisher = ldNames(obj["publisher"])
			out.datePublished = str(obj["datePublished"])
			out.body = str(obj["articleBody"])
			return false
		}
		return true
	})
	return out
}

// findArticleLD walks a decoded JSON-LD value for an object whose @type
// names a kind of article (Article, NewsArticle, BlogPosting, …).
func findArticleLD(v any, depth int) map[string]any {
	if depth > 4 {
		return nil
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if o := findArticleLD(e, depth+1); o != nil {
				return o
			}
		}
	case map[string]any:
		if isArticleType(x["@type"]) {
			return x
		}
		if g, ok := x["@graph"]; ok {
			return findArticleLD(g, depth+1)
		}
	}
	return nil
}

func isArticleType(t any) bool {
	switch x := t.(type) {
	case string:
		return strings.HasSuffix(x, "Article") || strings.HasSuffix(x, "Posting") || x == "Report"
	case []any:
		for _, e := range x {
			if isArticleType(e) {
				return true
			}
		}
	}
	return false
}

// ldNames reads a person or organisation: a string, an object with a name,
// or a list of either, joined with ", ".
func ldNames(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case map[string]any:
		return str(x["name"])
	case []any:
		var names []string
		for _, e := range x {
			if n := ldNames(e); n != "" {
				names = append(names, n)
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}
