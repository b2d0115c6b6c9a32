// Package opml reads OPML, the outline format every feed reader exports its
// subscriptions in, into feed sources.
package opml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/charset"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
)

// MaxBytes bounds the OPML document Parse reads.
const MaxBytes = 16 << 20

// ErrNotOPML is returned for a document whose root is not <opml>.
var ErrNotOPML = errors.New("not an OPML document")

type outline struct {
	Text     string    `xml:"text,attr"`
	Title    string    `xml:"title,attr"`
	Type     string    `xml:"type,attr"`
	XMLURL   string    `xml:"xmlUrl,attr"`
	XMLURL2  string    `xml:"xmlurl,attr"` // some exporters lower-case it
	Outlines []outline `xml:"outline"`
}

type document struct {
	XMLName xml.Name `xml:"opml"`
	Body    struct {
		Outlines []outline `xml:"outline"`
	} `xml:"body"`
}

// Parse reads an OPML document and returns one feed source per outline
// with an xmlUrl, at any depth, in document order. Names come from the
// outline's title (else its text, else the feed's host), made slug-like
// ("Go Blog" → "go-blog") and unique ("go-blog-2"). A feed listed twice
// (same canonical URL) is returned once. Outlines of another type than rss
// (or none) and URLs that are not http(s) are skipped.
func Parse(r io.Reader) ([]models.Source, error) {
	d := xml.NewDecoder(io.LimitReader(r, MaxBytes))
	// OPML in the wild carries HTML entities and unescaped ampersands.
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charset.NewReaderLabel
	var doc document
	if err := d.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		var ue xml.UnmarshalError
		if errors.As(err, &ue) || strings.Contains(err.Error(), "expected element type <opml>") {
			return nil, fmt.Errorf("opml: %w", ErrNotOPML)
		}
		if errors.As(err, &se) {
			return nil, fmt.Errorf("opml: line %d: %s", se.Line, se.Msg)
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("opml: %w: empty document", ErrNotOPML)
		}
		return nil, fmt.Errorf("opml: %w", err)
	}
	out := []models.Source{}
	names := map[string]bool{}
	urls := map[string]bool{}
	var walk func([]outline)
	walk = func(os []outline) {
		for _, o := range os {
			if src, ok := source(o); ok && !urls[canon.URL(src.URL)] {
				urls[canon.URL(src.URL)] = true
				src.Name = unique(src.Name, names)
				out = append(out, src)
			}
			walk(o.Outlines)
		}
	}
	walk(doc.Body.Outlines)
	return out, nil
}

func source(o outline) (models.Source, bool) {
	raw := strings.TrimSpace(o.XMLURL)
	if raw == "" {
		raw = strings.TrimSpace(o.XMLURL2)
	}
	if raw == "" {
		return models.Source{}, false
	}
	if t := strings.ToLower(strings.TrimSpace(o.Type)); t != "" && t != "rss" && t != "atom" && t != "feed" {
		return models.Source{}, false
	}
	// A feed URL is printed (sources import, sources list) and written to the
	// config: one with a control, a bidi override, a quote or an angle
	// bracket is not a feed to add.
	if !textsafe.WebURL(raw) {
		return models.Source{}, false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return models.Source{}, false
	}
	name := Slug(o.Title)
	if name == "" {
		name = Slug(o.Text)
	}
	if name == "" {
		name = Slug(strings.TrimPrefix(u.Hostname(), "www."))
	}
	if name == "" {
		name = "feed"
	}
	return models.Source{Name: name, Kind: models.KindFeed, URL: raw}, true
}

// maxSlug bounds a source name's length.
const maxSlug = 48

// Slug turns a feed's title into a source name: lower-case letters and
// digits separated by single hyphens ("The Go Blog!" → "the-go-blog"),
// at most 48 bytes.
func Slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			hyphen = true
			continue
		}
		if hyphen && b.Len() > 0 {
			b.WriteByte('-')
		}
		hyphen = false
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) <= maxSlug {
		return out
	}
	// Cut at a word boundary when there is one, else at a rune boundary.
	cut := maxSlug
	if out[cut] != '-' {
		if i := strings.LastIndexByte(out[:cut], '-'); i > 0 {
			cut = i
		}
	}
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut]
}

// unique returns name, or name-2, name-3, … when it is taken, and marks the
// result taken.
func unique(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = name + "-" + strconv.Itoa(i)
	}
	taken[n] = true
	return n
}

// Merge adds the imported sources to existing ones, skipping feeds already
// present (same canonical URL) and renaming those whose name is taken. It
// returns the merged list and how many sources were added.
func Merge(existing, imported []models.Source) ([]models.Source, int) {
	names := map[string]bool{}
	urls := map[string]bool{}
	out := make([]models.Source, 0, len(existing)+len(imported))
	for _, s := range existing {
		names[s.Name] = true
		if s.Kind == models.KindFeed {
			urls[canon.URL(s.URL)] = true
		}
		out = append(out, s)
	}
	added := 0
	for _, s := range imported {
		if urls[canon.URL(s.URL)] {
			continue
		}
		urls[canon.URL(s.URL)] = true
		s.Name = unique(s.Name, names)
		out = append(out, s)
		added++
	}
	return out, added
}
