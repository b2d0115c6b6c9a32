package models

import (
	"errors"
	"fmt"
	"time"
)

// ContractVersion is the version of the orchestrator ⇄ analyzer contract.
const ContractVersion = 1

// Default analysis options, as the contract states them.
const (
	DefaultMaxKeywords         = 10
	DefaultMaxSummarySentences = 5
	DefaultMaxArticleKeywords  = 5
)

// AnalysisRequest is what the orchestrator writes to research-analyze's stdin.
type AnalysisRequest struct {
	Version  int              `json:"version"`
	Query    string           `json:"query"`
	Articles []Article        `json:"articles"`
	Options  *AnalysisOptions `json:"options,omitempty"`
}

// AnalysisOptions tune the analysis. Every field is optional; nil means the default.
type AnalysisOptions struct {
	MaxKeywords         *int `json:"max_keywords,omitempty"`
	MaxSummarySentences *int `json:"max_summary_sentences,omitempty"`
	MaxArticleKeywords  *int `json:"max_article_keywords,omitempty"`
	// Explain asks for a per-article score explanation in the ranking.
	Explain bool `json:"explain,omitempty"`
}

// ResolvedOptions are AnalysisOptions with the defaults filled in.
type ResolvedOptions struct {
	MaxKeywords         int
	MaxSummarySentences int
	MaxArticleKeywords  int
	Explain             bool
}

// Resolve fills in the defaults. A nil receiver gives the defaults.
func (o *AnalysisOptions) Resolve() ResolvedOptions {
	r := ResolvedOptions{
		MaxKeywords:         DefaultMaxKeywords,
		MaxSummarySentences: DefaultMaxSummarySentences,
		MaxArticleKeywords:  DefaultMaxArticleKeywords,
	}
	if o == nil {
		return r
	}
	if o.MaxKeywords != nil {
		r.MaxKeywords = *o.MaxKeywords
	}
	if o.MaxSummarySentences != nil {
		r.MaxSummarySentences = *o.MaxSummarySentences
	}
	if o.MaxArticleKeywords != nil {
		r.MaxArticleKeywords = *o.MaxArticleKeywords
	}
	r.Explain = o.Explain
	return r
}

// MaxOption bounds every numeric option: more keywords or summary sentences
// than this is never useful and would only invite overflow.
const MaxOption = 10000

// ErrInvalidRequest marks a request that breaks the contract.
var ErrInvalidRequest = errors.New("invalid request")

// Validate checks the request against contract v1 and says what is wrong and where.
func (r *AnalysisRequest) Validate() error {
	if r.Version != ContractVersion {
		return fmt.Errorf("%w: version is %d, want %d", ErrInvalidRequest, r.Version, ContractVersion)
	}
	seen := make(map[string]int, len(r.Articles))
	for i, a := range r.Articles {
		if a.ID == "" {
			return fmt.Errorf("%w: articles[%d]: id is required", ErrInvalidRequest, i)
		}
		if a.Source == "" {
			return fmt.Errorf("%w: articles[%d] (id %q): source is required", ErrInvalidRequest, i, a.ID)
		}
		if j, dup := seen[a.ID]; dup {
			return fmt.Errorf("%w: articles[%d]: id %q already used by articles[%d]", ErrInvalidRequest, i, a.ID, j)
		}
		seen[a.ID] = i
	}
	if o := r.Options; o != nil {
		for _, opt := range []struct {
			name string
			v    *int
		}{
			{"max_keywords", o.MaxKeywords},
			{"max_summary_sentences", o.MaxSummarySentences},
			{"max_article_keywords", o.MaxArticleKeywords},
		} {
			if opt.v == nil {
				continue
			}
			if *opt.v < 0 || *opt.v > MaxOption {
				return fmt.Errorf("%w: options.%s is %d, must be between 0 and %d", ErrInvalidRequest, opt.name, *opt.v, MaxOption)
			}
		}
	}
	return nil
}

// AnalysisReport is what research-analyze writes to stdout.
type AnalysisReport struct {
	Version  int               `json:"version"`
	Query    string            `json:"query"`
	Stats    Stats             `json:"stats"`
	Ranking  []RankedArticle   `json:"ranking"`
	Keywords []Keyword         `json:"keywords"`
	Summary  []SummarySentence `json:"summary"`
	Groups   []Group           `json:"groups"`
}

// Stats are counts over the request's articles.
type Stats struct {
	Articles   int            `json:"articles"`
	Words      int            `json:"words"`
	BySource   map[string]int `json:"by_source"`
	ByDay      map[string]int `json:"by_day"`
	Duplicates int            `json:"duplicates"`
	// ReadingMinutes is the estimated time to read every article once.
	ReadingMinutes float64 `json:"reading_minutes,omitempty"`
}

// RankedArticle is one entry of the ranking, best first.
type RankedArticle struct {
	ID          string       `json:"id"`
	Score       float64      `json:"score"`
	Keywords    []string     `json:"keywords"`
	DuplicateOf string       `json:"duplicate_of"`
	Explain     *Explanation `json:"explain,omitempty"`
}

// Explanation breaks an article's score into its parts.
type Explanation struct {
	// Fields maps a field (title, summary, content) to its BM25F contribution.
	Fields map[string]float64 `json:"fields,omitempty"`
	// Terms maps a query term to its contribution.
	Terms      map[string]float64 `json:"terms,omitempty"`
	Centrality float64            `json:"centrality,omitempty"`
	Recency    float64            `json:"recency,omitempty"`
	Note       string             `json:"note,omitempty"`
}

// Keyword is one keyphrase of the whole set.
type Keyword struct {
	Phrase   string  `json:"phrase"`
	Score    float64 `json:"score"`
	Articles int     `json:"articles"`
}

// SummarySentence is a verbatim sentence of an article, citing it.
type SummarySentence struct {
	Text      string `json:"text"`
	ArticleID string `json:"article_id"`
}

// Group kinds.
const (
	GroupDuplicate = "duplicate"
	GroupSameStory = "same_story"
)

// Group is a set of articles that are near-duplicates or tell the same story.
// The first id is the group's canonical article.
type Group struct {
	Kind string   `json:"kind"`
	IDs  []string `json:"ids"`
}

// NewEmptyReport is the report of an empty request.
func NewEmptyReport(query string) *AnalysisReport {
	return &AnalysisReport{
		Version:  ContractVersion,
		Query:    query,
		Stats:    Stats{BySource: map[string]int{}, ByDay: map[string]int{}},
		Ranking:  []RankedArticle{},
		Keywords: []Keyword{},
		Summary:  []SummarySentence{},
		Groups:   []Group{},
	}
}

// Degradation reasons when the analysis stage fails.
const (
	ReasonTimeout        = "timeout"
	ReasonCrashed        = "crashed"
	ReasonBadOutput      = "bad_output"
	ReasonOutputTooLarge = "output_too_large"
	ReasonStartFailed    = "start_failed"
	// ReasonCancelled is used when the user interrupted the run during analysis.
	ReasonCancelled = "cancelled"
)

// Degraded says which stage failed and why; the run still succeeded.
type Degraded struct {
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// SourceResult is what one source gave: counts, timing and its error as data.
type SourceResult struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	URL       string `json:"url"`
	Fetched   int    `json:"fetched"`
	Kept      int    `json:"kept"`
	ElapsedMS int64  `json:"elapsed_ms"`
	Error     string `json:"error"`
	// ErrorKind classifies Error (timeout, dns, tls, refused, http_4xx, http_429,
	// http_5xx, too_large, not_a_feed, malformed, …) when there is one.
	ErrorKind string `json:"error_kind,omitempty"`
	// OffTopic counts feed items dropped as unrelated to the question.
	OffTopic int `json:"off_topic,omitempty"`
	// Started is when the fetch began, relative to the stage's start, in ms.
	StartedMS int64 `json:"started_ms,omitempty"`
	// Skipped counts what the source returned that is not an article and was
	// dropped (Wikipedia disambiguation pages).
	Skipped int `json:"skipped,omitempty"`
}

// Result is the whole outcome of a research run (`research --format json`).
type Result struct {
	Query       string          `json:"query"`
	GeneratedAt time.Time       `json:"generated_at"`
	Sources     []SourceResult  `json:"sources"`
	Articles    []Article       `json:"articles"`
	Analysis    *AnalysisReport `json:"analysis"`
	Degraded    *Degraded       `json:"degraded"`
}
