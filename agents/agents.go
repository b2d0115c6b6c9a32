// Package agents defines what every source agent does: turn a question into
// articles. Each kind of source lives in its own sub-package; all of them reach
// the network only through agents/fetch.
package agents

import (
	"context"

	"github.com/research-cli/research/models"
)

// Agent queries one source.
type Agent interface {
	// Search returns the source's articles for the query. A feed is not
	// query-aware and returns all of its items; the caller filters them.
	Search(ctx context.Context, query string) ([]models.Article, error)
}

// Skipper is an Agent that drops some of what its source returned because it
// is not an article (a Wikipedia disambiguation page); Skipped says how many,
// once Search has returned. The orchestrator reports it per source.
type Skipper interface {
	Skipped() int
}
