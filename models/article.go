// Package models holds the types shared by every part of research: articles,
// source specifications and the JSON contract v1 between the orchestrator and
// research-analyze (docs/contract.md). It imports nothing else of the project.
package models

import "time"

// Article is one item gathered from a source. The first block of fields is the
// contract v1 article; the rest are optional extras that a source may fill and
// that the analyzer ignores.
type Article struct {
	ID        string    `json:"id"`
	Source    string    `json:"source"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Author    string    `json:"author,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Summary   string    `json:"summary,omitempty"`
	Content   string    `json:"content,omitempty"`

	// Kind is the kind of source the article came from (hackernews, feed, …).
	Kind string `json:"kind,omitempty"`
	// Language is a BCP 47 tag when the source declares one.
	Language string `json:"language,omitempty"`
	// Points and Comments are the discussion's score and size (Hacker News).
	Points   int `json:"points,omitempty"`
	Comments int `json:"comments,omitempty"`
	// DiscussionURL is where the article is discussed, when that differs from URL.
	DiscussionURL string `json:"discussion_url,omitempty"`
	// Categories are the source's own tags or subject classes.
	Categories []string `json:"categories,omitempty"`
	// PDFURL links the full text of a paper (arXiv).
	PDFURL string `json:"pdf_url,omitempty"`
	// Site is the publishing site's name, when known.
	Site string `json:"site,omitempty"`
	// Extraction says what happened when the full page was fetched: "" when it
	// was not tried, "page" when the page's text was kept, or
	// "kept-feed: <why>" when the feed's own text was better.
	Extraction string `json:"extraction,omitempty"`
	// AlsoIn names the other sources that carried the same URL.
	AlsoIn []string `json:"also_in,omitempty"`

	// Updated is when the source last changed the item (a Wikipedia page's
	// last edit, an arXiv paper's latest version); not a publication date.
	Updated time.Time `json:"updated,omitzero"`
	// DOI, JournalRef and Comment are a paper's citation details as its
	// source gives them (arXiv's doi, journal_ref and comment).
	DOI        string `json:"doi,omitempty"`
	JournalRef string `json:"journal_ref,omitempty"`
	Comment    string `json:"comment,omitempty"`
}

// SourceKind names a kind of source an agent knows how to query.
type SourceKind string

// The kinds of source.
const (
	KindHackerNews SourceKind = "hackernews"
	KindWikipedia  SourceKind = "wikipedia"
	KindArxiv      SourceKind = "arxiv"
	KindFeed       SourceKind = "feed"
)

// Kinds lists every known source kind, in a stable order.
var Kinds = []SourceKind{KindHackerNews, KindWikipedia, KindArxiv, KindFeed}

// MaxResultsLimit is the most a source of each kind may ask for (its
// max_results): a search API's page size, or less where every result costs a
// request of its own (a Wikipedia hit is one summary request).
var MaxResultsLimit = map[SourceKind]int{
	KindHackerNews: 1000, // Algolia's hitsPerPage and pagination limit
	KindWikipedia:  50,   // srlimit allows 500, but each hit is one summary request
	KindArxiv:      2000, // the API's largest slice per call
	KindFeed:       1000, // items kept from one feed
}

// Source is one configured source: what to query and how.
type Source struct {
	Name string     `json:"name" yaml:"name"`
	Kind SourceKind `json:"kind" yaml:"kind"`
	// URL is the service's base URL, or the feed's URL.
	URL string `json:"url" yaml:"url"`
	// Timeout is this source's own deadline; zero means the configured default.
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// MaxResults caps how many items a search source asks for; zero means the agent's default.
	MaxResults int `json:"max_results,omitempty" yaml:"max_results,omitempty"`
	// Language is the Wikipedia language edition ("en", "de", …).
	Language string `json:"language,omitempty" yaml:"language,omitempty"`
}
