// Package hackernews is the agent for Hacker News, searched through the
// Algolia HN Search API (https://hn.algolia.com/api).
package hackernews

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/agents/topic"
	"github.com/research-cli/research/models"
)

// DefaultBaseURL is the Algolia HN Search API.
const DefaultBaseURL = "https://hn.algolia.com/api/v1"

// DefaultMaxResults is how many stories a search asks for when the source
// does not say.
const DefaultMaxResults = 20

// DiscussionURL is the Hacker News page of an item.
func DiscussionURL(id string) string { return "https://news.ycombinator.com/item?id=" + id }

// Agent searches Hacker News stories.
type Agent struct {
	src    models.Source
	client *fetch.Client
}

// New returns the agent for src; src.URL is the API's base URL (default
// DefaultBaseURL).
func New(src models.Source, client *fetch.Client) *Agent {
	return &Agent{src: src, client: client}
}

// MaxResults is the most stories a search asks for (Algolia's hitsPerPage
// and pagination limit).
var MaxResults = models.MaxResultsLimit[models.KindHackerNews]

// KeyTerms are the words of a question Algolia is asked for: the question's
// words without stop and question words ("is", "it", "for", "how"), each as
// the user wrote it (so "C++" and "Node.js" survive), surrounding punctuation
// trimmed. A question with no such word is kept whole.
func KeyTerms(query string) []string {
	var out []string
	seen := map[string]bool{}
	for _, tok := range strings.Fields(query) {
		tok = strings.Trim(tok, `?!.,;:"'()[]{}<>`)
		key := strings.ToLower(tok)
		if tok == "" || seen[key] {
			continue
		}
		if len(topic.Terms(tok)) == 0 && !strings.ContainsAny(tok, "+#") {
			continue // a stop word, a lone symbol ("&") or letter
		}
		seen[key] = true
		out = append(out, tok)
	}
	if len(out) == 0 {
		return strings.Fields(query)
	}
	return out
}

// SearchURL is the request Search makes for query. Algolia requires every
// word of query to match, so a natural question ("is sparse attention worth
// it for long documents") would find only stories containing all of them:
// the query is the question's key terms, and from three of them on they are
// all optionalWords, so stories matching most terms rank first and those
// matching some still come back.
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
	terms := KeyTerms(query)
	v := url.Values{}
	v.Set("query", strings.Join(terms, " "))
	if len(terms) >= 3 {
		v.Set("optionalWords", strings.Join(terms, " "))
	}
	v.Set("tags", "story")
	v.Set("hitsPerPage", strconv.Itoa(n))
	return base + "/search?" + v.Encode()
}

// Search returns the stories matching query, in the API's relevance order.
func (a *Agent) Search(ctx context.Context, query string) ([]models.Article, error) {
	u := a.SearchURL(query)
	resp, err := a.client.Get(ctx, fetch.Request{URL: u, Accept: "application/json"})
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) && fe.Status >= 400 && len(fe.Body) > 0 {
			if msg := fetch.JSONMessage(fe.Body); msg != "" { // {"message": "…", "status": 400}
				fe.Err = fmt.Errorf("Algolia says: %s", canon.Clip(canon.Collapse(msg), 300))
			}
		}
		return nil, err
	}
	arts, err := Parse(resp.Body, a.src.Name)
	if err != nil {
		return nil, &fetch.Error{Kind: fetch.KindMalformed, URL: u, Err: err}
	}
	return arts, nil
}

// searchResponse is the part of an Algolia search response the agent reads.
type searchResponse struct {
	Hits *[]hit `json:"hits"`
}

type hit struct {
	ObjectID    string  `json:"objectID"`
	Title       string  `json:"title"`
	URL         string  `json:"url"`
	Author      string  `json:"author"`
	CreatedAt   string  `json:"created_at"`
	CreatedAtI  int64   `json:"created_at_i"`
	Points      *int    `json:"points"`
	NumComments *int    `json:"num_comments"`
	StoryText   *string `json:"story_text"`
}

// Parse turns an Algolia search response into articles for the named source.
func Parse(body []byte, source string) ([]models.Article, error) {
	var r searchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decode search response: %w", err)
	}
	if r.Hits == nil {
		return nil, errors.New("decode search response: no hits field")
	}
	out := make([]models.Article, 0, len(*r.Hits))
	seen := map[string]bool{}
	for _, h := range *r.Hits {
		if h.ObjectID == "" || seen[h.ObjectID] {
			continue
		}
		seen[h.ObjectID] = true
		disc := DiscussionURL(h.ObjectID)
		link := canon.HTTPURL(h.URL) // a javascript: or data: "url" is no link
		if link == "" {
			link = disc // Ask HN, Show HN without a link: the discussion is the story
		}
		a := models.Article{
			ID:            canon.ID(link),
			Source:        source,
			Kind:          string(models.KindHackerNews),
			URL:           link,
			Title:         canon.Collapse(h.Title), // text, not HTML: "Why Option<T> beats null" keeps its <T>
			Author:        canon.Collapse(h.Author),
			Published:     created(h),
			DiscussionURL: disc,
			Site:          "Hacker News",
		}
		if h.Points != nil {
			a.Points = *h.Points
		}
		if h.NumComments != nil {
			a.Comments = *h.NumComments
		}
		if h.StoryText != nil {
			a.Content = canon.Text(*h.StoryText)
			a.Summary = canon.Clip(a.Content, 600)
			if a.Summary == a.Content {
				a.Content = ""
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func created(h hit) time.Time {
	if t, err := time.Parse(time.RFC3339, h.CreatedAt); err == nil {
		return t.UTC()
	}
	if h.CreatedAtI > 0 {
		return time.Unix(h.CreatedAtI, 0).UTC()
	}
	return time.Time{}
}
