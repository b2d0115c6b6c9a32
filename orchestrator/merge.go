package orchestrator

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/page"
	"github.com/research-cli/research/models"
)

// merge flattens the sources' articles in source order, folding exact
// duplicates (the same canonical URL) into the first, filling its empty fields
// from the others, and counts what each source kept.
func merge(results []models.SourceResult, perSource [][]models.Article) []models.Article {
	var out []models.Article
	byURL := map[string]int{}
	ids := map[string]bool{}
	for si, arts := range perSource {
		for _, a := range arts {
			key := ""
			if a.URL != "" {
				key = canon.URL(a.URL)
			}
			if key != "" {
				// Items of one source that its agent told apart by their URLs'
				// fragments (a comment feed's …/post#comment-1 and #comment-2)
				// stay apart.
				if at, dup := byURL[key]; dup && (out[at].Source != a.Source || out[at].URL == a.URL) {
					fold(&out[at], a)
					continue
				} else if !dup {
					byURL[key] = len(out)
				}
			}
			a.ID = uniqueID(ids, a.ID, a.Source, len(out))
			out = append(out, a)
			results[si].Kept++
		}
	}
	return out
}

// fold merges b, an exact duplicate, into a.
func fold(a *models.Article, b models.Article) {
	if b.Source != a.Source && !slices.Contains(a.AlsoIn, b.Source) {
		a.AlsoIn = append(a.AlsoIn, b.Source)
	}
	if a.Title == "" {
		a.Title = b.Title
	}
	if a.Author == "" {
		a.Author = b.Author
	}
	if a.Published.IsZero() {
		a.Published = b.Published
	}
	if len(b.Summary) > len(a.Summary) {
		a.Summary = b.Summary
	}
	if len(b.Content) > len(a.Content) {
		a.Content = b.Content
	}
	if a.Points == 0 {
		a.Points, a.Comments = b.Points, b.Comments
	}
	if a.DiscussionURL == "" {
		a.DiscussionURL = b.DiscussionURL
	}
	if a.Updated.IsZero() {
		a.Updated = b.Updated
	}
	if a.DOI == "" {
		a.DOI, a.JournalRef, a.Comment = b.DOI, b.JournalRef, b.Comment
	}
	if a.PDFURL == "" {
		a.PDFURL = b.PDFURL
	}
}

// uniqueID keeps ids unique within the run, as the contract requires.
func uniqueID(seen map[string]bool, id, source string, n int) string {
	if id == "" {
		id = fmt.Sprintf("%s-%d", source, n+1)
	}
	base := id
	for i := 2; seen[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	seen[id] = true
	return id
}

// enrich fetches the full page of the best candidates: articles with a web
// page whose own text is short, discussion stories first (they carry the
// least text), then the newest feed items.
func (o *Orchestrator) enrich(ctx context.Context, arts []models.Article) {
	start := time.Now()
	type cand struct {
		i    int
		rank int
	}
	var cands []cand
	for i, a := range arts {
		if !strings.HasPrefix(a.URL, "http") || len(a.Content) >= 1500 {
			continue
		}
		switch models.SourceKind(a.Kind) {
		case models.KindHackerNews:
			cands = append(cands, cand{i, 0})
		case models.KindFeed:
			cands = append(cands, cand{i, 1})
		}
	}
	sort.SliceStable(cands, func(x, y int) bool {
		a, b := cands[x], cands[y]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return arts[a.i].Published.After(arts[b.i].Published)
	})
	if len(cands) > o.opts.EnrichPages {
		cands = cands[:o.opts.EnrichPages]
	}
	if len(cands) == 0 {
		o.opts.Observer.EnrichFinished(0, 0, time.Since(start))
		return
	}
	ptrs := make([]*models.Article, len(cands))
	for k, c := range cands {
		ptrs[k] = &arts[c.i]
	}
	pctx, cancel := context.WithTimeout(ctx, o.opts.PageTimeout)
	defer cancel()
	o.opts.Enrich(pctx, ptrs)
	improved := 0
	for _, p := range ptrs {
		if p.Extraction == page.ExtractionPage {
			improved++
		}
	}
	o.opts.Observer.EnrichFinished(len(ptrs), improved, time.Since(start))
}

// analysisArticles is the contract view of the articles: only the fields the
// analyzer reads, so the request stays small.
func analysisArticles(arts []models.Article) []models.Article {
	out := make([]models.Article, len(arts))
	for i, a := range arts {
		out[i] = models.Article{ID: a.ID, Source: a.Source, URL: a.URL, Title: a.Title, Author: a.Author,
			Published: a.Published, Summary: a.Summary, Content: a.Content}
	}
	return out
}

// orderArticles puts the articles in reading order (models.Result.Ordered):
// the analysis' ranking when there is one, else newest first.
func orderArticles(r *models.Result) {
	r.Articles = r.Ordered()
}
