// Package wikipedia is the agent for Wikipedia: a full-text search through
// the MediaWiki Action API, then the REST page summary of each hit.
package wikipedia

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

// DefaultMaxResults is how many pages a search asks for when the source does
// not say.
const DefaultMaxResults = 5

// MaxResults is the most pages a search asks for: srlimit allows 500, but
// every hit costs one summary request.
var MaxResults = models.MaxResultsLimit[models.KindWikipedia]

// summaryParallel bounds the concurrent summary requests of one search, to
// stay within Wikipedia's anonymous rate limits.
const summaryParallel = 4

var langTag = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]+)*$`)

// Agent searches one Wikipedia edition.
type Agent struct {
	src    models.Source
	client *fetch.Client
	// skipped counts the disambiguation pages the last Search dropped.
	skipped atomic.Int64
}

// Skipped is how many hits of the last Search were disambiguation pages
// (lists of meanings, not articles), dropped (agents.Skipper).
func (a *Agent) Skipped() int { return int(a.skipped.Load()) }

// New returns the agent for src. src.URL is the wiki's base URL
// (https://en.wikipedia.org); when it is empty src.Language picks the
// edition ("de" gives https://de.wikipedia.org), English by default.
func New(src models.Source, client *fetch.Client) *Agent {
	return &Agent{src: src, client: client}
}

// BaseURL is the wiki the agent queries.
func (a *Agent) BaseURL() string {
	if u := strings.TrimRight(a.src.URL, "/"); u != "" {
		return u
	}
	lang := strings.ToLower(strings.TrimSpace(a.src.Language))
	if !langTag.MatchString(lang) {
		lang = "en"
	}
	return "https://" + lang + ".wikipedia.org"
}

// SearchURL is the Action API search request for query.
func (a *Agent) SearchURL(query string) string {
	n := a.src.MaxResults
	if n <= 0 {
		n = DefaultMaxResults
	}
	n = min(n, MaxResults)
	v := url.Values{}
	v.Set("action", "query")
	v.Set("list", "search")
	v.Set("srsearch", query)
	v.Set("format", "json")
	v.Set("srlimit", strconv.Itoa(n))
	return a.BaseURL() + "/w/api.php?" + v.Encode()
}

// SummaryURL is the REST page summary request for a page title.
func (a *Agent) SummaryURL(title string) string {
	return a.BaseURL() + "/api/rest_v1/page/summary/" + url.PathEscape(strings.ReplaceAll(title, " ", "_"))
}

// PageURL is the page's address on the wiki, used when a summary is missing.
func (a *Agent) PageURL(title string) string {
	return a.BaseURL() + "/wiki/" + url.PathEscape(strings.ReplaceAll(title, " ", "_"))
}

type searchResponse struct {
	Query *struct {
		Search []searchHit `json:"search"`
	} `json:"query"`
	Error *struct {
		Code string `json:"code"`
		Info string `json:"info"`
	} `json:"error"`
}

type searchHit struct {
	Title     string `json:"title"`
	PageID    int64  `json:"pageid"`
	Snippet   string `json:"snippet"`
	Timestamp string `json:"timestamp"`
}

type summary struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Lang        string `json:"lang"`
	Timestamp   string `json:"timestamp"`
	Description string `json:"description"`
	Extract     string `json:"extract"`
	ExtractHTML string `json:"extract_html"`
	ContentURLs struct {
		Desktop struct {
			Page string `json:"page"`
		} `json:"desktop"`
	} `json:"content_urls"`
}

// Search finds pages matching query and returns one article per page, in the
// search's order. A page whose summary cannot be fetched keeps the search
// snippet as its summary; a disambiguation page is dropped (and counted, see
// Skipped); only a failed search is an error.
func (a *Agent) Search(ctx context.Context, query string) ([]models.Article, error) {
	a.skipped.Store(0)
	su := a.SearchURL(query)
	resp, err := a.client.Get(ctx, fetch.Request{URL: su, Accept: "application/json"})
	if err != nil {
		return nil, explain(err)
	}
	var sr searchResponse
	if err := json.Unmarshal(resp.Body, &sr); err != nil {
		return nil, &fetch.Error{Kind: fetch.KindMalformed, URL: su, Err: fmt.Errorf("decode search response: %w", err)}
	}
	if sr.Error != nil {
		return nil, &fetch.Error{Kind: fetch.KindHTTP4xx, URL: su,
			Err: fmt.Errorf("Wikipedia says: %s (%s)", canon.Clip(canon.Collapse(sr.Error.Info), 300), canon.Collapse(sr.Error.Code))}
	}
	if sr.Query == nil {
		return nil, &fetch.Error{Kind: fetch.KindMalformed, URL: su, Err: errors.New("decode search response: no query.search field")}
	}
	hits := sr.Query.Search
	// Summaries get most of what is left of the deadline, not all of it: when
	// they run late the search's own snippets stand in, and the source still
	// returns its pages in time rather than failing whole.
	sctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		sctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/5))
		defer cancel()
	}
	out := make([]models.Article, len(hits))
	keep := make([]bool, len(hits))
	sem := make(chan struct{}, summaryParallel)
	var wg sync.WaitGroup
	for i, h := range hits {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-sctx.Done():
				out[i], keep[i] = a.fromHit(h), true
				return
			}
			out[i], keep[i] = a.article(sctx, h)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i, art := range out {
		if keep[i] {
			kept = append(kept, art)
		} else {
			a.skipped.Add(1)
		}
	}
	return dedup(kept), nil
}

// explain adds Wikipedia's own message (a JSON problem document or API
// error) to a failed request.
func explain(err error) error {
	var fe *fetch.Error
	if errors.As(err, &fe) && fe.Status >= 400 && len(fe.Body) > 0 {
		if msg := fetch.JSONMessage(fe.Body); msg != "" {
			fe.Err = fmt.Errorf("Wikipedia says: %s", canon.Clip(canon.Collapse(msg), 300))
		}
	}
	return err
}

// article builds the article for one hit from its page summary, falling back
// to the hit itself; ok is false for a disambiguation page, which is no article.
func (a *Agent) article(ctx context.Context, h searchHit) (art models.Article, ok bool) {
	resp, err := a.client.Get(ctx, fetch.Request{URL: a.SummaryURL(h.Title), Accept: "application/json"})
	if err != nil {
		return a.fromHit(h), true
	}
	return a.fromSummary(h, resp.Body)
}

// fromSummary builds the article for hit h from its REST summary body (the
// hit alone when the body is not a summary); ok is false for a disambiguation page.
func (a *Agent) fromSummary(h searchHit, body []byte) (art models.Article, ok bool) {
	var s summary
	if err := json.Unmarshal(body, &s); err != nil || s.Title == "" {
		return a.fromHit(h), true
	}
	if s.Type == "disambiguation" {
		return models.Article{}, false
	}
	art = a.fromHit(h)
	if u := canon.HTTPURL(s.ContentURLs.Desktop.Page); u != "" {
		art.URL = u
		art.ID = canon.ID(art.URL)
	}
	art.Title = canon.Collapse(s.Title) // title is text; displaytitle holds the HTML
	text := strings.TrimSpace(s.Extract)
	if s.ExtractHTML != "" {
		// extract_html keeps the paragraph structure that extract flattens.
		if t := canon.Text(s.ExtractHTML); t != "" {
			text = t
		}
	}
	if text != "" {
		art.Summary = canon.Collapse(text)
	}
	if d := strings.TrimSpace(s.Description); d != "" {
		art.Categories = []string{d}
	}
	if s.Lang != "" {
		art.Language = s.Lang
	}
	// timestamp is the last edit, not a publication date: a page has none.
	if t, err := time.Parse(time.RFC3339, s.Timestamp); err == nil {
		art.Updated = t.UTC()
	}
	return art, true
}

func (a *Agent) fromHit(h searchHit) models.Article {
	u := canon.URL(a.PageURL(h.Title))
	art := models.Article{
		ID:       canon.ID(u),
		Source:   a.src.Name,
		Kind:     string(models.KindWikipedia),
		URL:      u,
		Title:    canon.Collapse(h.Title),
		Summary:  canon.Text(h.Snippet),
		Site:     "Wikipedia",
		Language: a.lang(),
	}
	// The hit's timestamp is the page's last edit too (see article).
	if t, err := time.Parse(time.RFC3339, h.Timestamp); err == nil {
		art.Updated = t.UTC()
	}
	return art
}

func (a *Agent) lang() string {
	if l := strings.ToLower(strings.TrimSpace(a.src.Language)); langTag.MatchString(l) {
		return l
	}
	if a.src.URL == "" {
		return "en"
	}
	return ""
}

// dedup drops pages reached twice (a redirect and its target share a URL).
func dedup(in []models.Article) []models.Article {
	seen := map[string]bool{}
	out := in[:0]
	for _, a := range in {
		if a.ID == "" || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		out = append(out, a)
	}
	return out
}
