// Package arxiv is the agent for arXiv, searched through its query API
// (https://info.arxiv.org/help/api/user-manual.html), which answers in Atom.
package arxiv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed/atom"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/agents/topic"
	"github.com/research-cli/research/models"
)

// DefaultBaseURL is arXiv's API host.
const DefaultBaseURL = "https://export.arxiv.org"

// DefaultMaxResults is how many papers a search asks for when the source does
// not say.
const DefaultMaxResults = 20

// MinInterval is the gap arXiv asks for between two requests.
const MinInterval = 3 * time.Second

// HeaderTimeout is how long a request waits for arXiv's response headers:
// arXiv stalls a client it throttles for 15–30 s before answering 429, so the
// client's default (10 s) would turn throttling into a bare timeout. The
// source's deadline (config: limits.kind_timeouts.arxiv, 40 s) still bounds it.
const HeaderTimeout = 45 * time.Second

// MaxResults is the most one request asks for (the API's largest slice).
var MaxResults = models.MaxResultsLimit[models.KindArxiv]

// Agent searches arXiv.
type Agent struct {
	src    models.Source
	client *fetch.Client
}

// New returns the agent for src; src.URL is the API's base URL (default
// DefaultBaseURL).
func New(src models.Source, client *fetch.Client) *Agent {
	return &Agent{src: src, client: client}
}

// SearchQuery turns a question into arXiv's query syntax: each significant
// term searched in all fields, OR-ed, so that the relevance sort puts the
// papers matching most terms first instead of an AND returning nothing for a
// long question.
func SearchQuery(query string) string {
	terms := topic.Terms(query)
	if len(terms) == 0 {
		terms = strings.Fields(strings.ToLower(query))
	}
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		parts = append(parts, "all:"+t)
	}
	return strings.Join(parts, " OR ")
}

// SearchURL is the request Search makes for query.
func (a *Agent) SearchURL(query string) string {
	base := strings.TrimRight(a.src.URL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	n := a.src.MaxResults
	if n <= 0 {
		n = DefaultMaxResults
	}
	n = min(n, MaxResults)
	v := url.Values{}
	v.Set("search_query", SearchQuery(query))
	v.Set("start", "0")
	v.Set("max_results", strconv.Itoa(n))
	v.Set("sortBy", "relevance")
	return base + "/api/query?" + v.Encode()
}

// Search returns the papers matching query, best first. Errors are the
// client's *fetch.Error (their kind kept), with arXiv's own explanation of a
// rejected query, and "arXiv is throttling this address" before a 429 or 503.
func (a *Agent) Search(ctx context.Context, query string) ([]models.Article, error) {
	u := a.SearchURL(query)
	resp, err := a.client.Get(ctx, fetch.Request{URL: u, Accept: "application/atom+xml",
		MinInterval: MinInterval, HeaderTimeout: HeaderTimeout})
	if err != nil {
		return nil, explain(err)
	}
	arts, err := Parse(resp.Body, a.src.Name)
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) {
			fe.URL = u
		}
		return nil, err
	}
	return arts, nil
}

// explain adds what arXiv said to a failed request: the summary of the Atom
// error entry it sends with a 400 ("incorrect id format for abc"), and that a
// 429 or 503 means arXiv is throttling this client.
func explain(err error) error {
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Status >= 400 && fe.Status < 500 && len(fe.Body) > 0 {
		if msg := errorEntry(fe.Body); msg != "" {
			fe.Err = fmt.Errorf("arXiv says: %s", msg)
		}
	}
	if fe.Kind == fetch.KindHTTP429 || fe.Status == http.StatusServiceUnavailable {
		return fmt.Errorf("arXiv is throttling this address: %w", err)
	}
	return err
}

// errorEntry is the text of the error entry of an arXiv Atom document, "" when
// there is none.
func errorEntry(body []byte) string {
	f, err := (&atom.Parser{}).Parse(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	for _, e := range f.Entries {
		if e != nil && strings.Contains(e.ID, "/api/errors") {
			return canon.Clip(canon.Text(e.Summary), 300)
		}
	}
	return ""
}

// Parse turns an arXiv Atom response into articles for the named source. An
// error entry (arXiv reports a bad query as a feed with one entry titled
// "Error") becomes a *fetch.Error of kind KindHTTP4xx; a document that is not
// Atom is KindMalformed.
func Parse(body []byte, source string) ([]models.Article, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &fetch.Error{Kind: fetch.KindMalformed, Err: errors.New("empty response")}
	}
	f, err := (&atom.Parser{}).Parse(bytes.NewReader(body))
	if err != nil {
		return nil, &fetch.Error{Kind: fetch.KindMalformed, Err: fmt.Errorf("malformed atom: %w", err)}
	}
	out := make([]models.Article, 0, len(f.Entries))
	seen := map[string]bool{}
	for _, e := range f.Entries {
		if e == nil {
			continue
		}
		if strings.Contains(e.ID, "/api/errors") {
			return nil, &fetch.Error{Kind: fetch.KindHTTP4xx, Err: fmt.Errorf("arXiv says: %s", canon.Clip(canon.Text(e.Summary), 300))}
		}
		a := models.Article{
			Source:     source,
			Kind:       string(models.KindArxiv),
			Title:      canon.Text(e.Title),
			Summary:    canon.Text(e.Summary),
			Site:       "arXiv",
			Language:   "en",
			Categories: categories(e),
		}
		var authors []string
		for _, p := range e.Authors {
			if p != nil && strings.TrimSpace(p.Name) != "" {
				authors = append(authors, canon.Collapse(p.Name))
			}
		}
		a.Author = strings.Join(authors, ", ")
		abs := strings.TrimSpace(e.ID)
		for _, l := range e.Links {
			if l == nil {
				continue
			}
			switch {
			case l.Title == "pdf" || l.Type == "application/pdf":
				a.PDFURL = canon.HTTPURL(l.Href)
			case (l.Rel == "alternate" || l.Rel == "") && canon.HTTPURL(l.Href) != "":
				abs = l.Href
			}
		}
		a.URL = canon.HTTPURL(abs)
		switch {
		case e.PublishedParsed != nil:
			a.Published = e.PublishedParsed.UTC()
		case e.UpdatedParsed != nil:
			a.Published = e.UpdatedParsed.UTC()
		}
		if e.UpdatedParsed != nil {
			a.Updated = e.UpdatedParsed.UTC()
		}
		a.DOI = arxivField(e, "doi")
		a.JournalRef = arxivField(e, "journal_ref")
		a.Comment = arxivField(e, "comment")
		if a.URL == "" || seen[a.URL] || a.Title == "" {
			continue
		}
		seen[a.URL] = true
		a.ID = canon.ID(a.URL)
		out = append(out, a)
	}
	return out, nil
}

// arxivField is the text of the entry's first arxiv:name element ("" when absent).
func arxivField(e *atom.Entry, name string) string {
	for _, x := range e.Extensions["arxiv"][name] {
		if v := canon.Collapse(x.Value); v != "" {
			return v
		}
	}
	return ""
}

// categories lists the primary category first, then the others, once each.
func categories(e *atom.Entry) []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		c = canon.Collapse(c)
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, x := range e.Extensions["arxiv"]["primary_category"] {
		add(x.Attrs["term"])
	}
	for _, c := range e.Categories {
		if c != nil {
			add(c.Term)
		}
	}
	return out
}
