package render

import (
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
)

// Safe drops the characters that let text from the network drive a terminal
// or disguise itself (textsafe.Strip: escape sequences, C0 controls but tab and
// newline, DEL, C1 and bidi controls). Use it on any text built from fetched
// data before it reaches a terminal.
func Safe(s string) string { return textsafe.Strip(s) }

// safe makes one field read off the network fit its line: no controls, no
// bidi overrides, no line breaks (a title with a newline must not open a fake
// heading), spacing collapsed (textsafe.Line).
func safe(s string) string { return textsafe.Line(s) }

func safeAll(xs []string) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = safe(x)
	}
	return out
}

// sanitized is a copy of r with every string a person reads made safe for a
// terminal. JSON output does not need it: the encoder escapes controls.
func sanitized(r *models.Result) *models.Result {
	c := *r
	c.Query = safe(r.Query)
	c.Sources = make([]models.SourceResult, len(r.Sources))
	for i, s := range r.Sources {
		s.Name, s.URL, s.Error = safe(s.Name), safe(s.URL), safe(s.Error)
		c.Sources[i] = s
	}
	c.Articles = make([]models.Article, len(r.Articles))
	for i, a := range r.Articles {
		a.ID, a.Source, a.URL, a.Title, a.Author = safe(a.ID), safe(a.Source), safe(a.URL), safe(a.Title), safe(a.Author)
		a.AlsoIn = safeAll(a.AlsoIn)
		c.Articles[i] = a
	}
	if r.Analysis != nil {
		an := *r.Analysis
		an.Ranking = make([]models.RankedArticle, len(r.Analysis.Ranking))
		for i, e := range r.Analysis.Ranking {
			e.ID, e.DuplicateOf, e.Keywords = safe(e.ID), safe(e.DuplicateOf), safeAll(e.Keywords)
			an.Ranking[i] = e
		}
		an.Keywords = make([]models.Keyword, len(r.Analysis.Keywords))
		for i, k := range r.Analysis.Keywords {
			k.Phrase = safe(k.Phrase)
			an.Keywords[i] = k
		}
		an.Summary = make([]models.SummarySentence, len(r.Analysis.Summary))
		for i, s := range r.Analysis.Summary {
			s.Text, s.ArticleID = safe(s.Text), safe(s.ArticleID)
			an.Summary[i] = s
		}
		an.Groups = make([]models.Group, len(r.Analysis.Groups))
		for i, g := range r.Analysis.Groups {
			g.IDs = safeAll(g.IDs)
			an.Groups[i] = g
		}
		c.Analysis = &an
	}
	if r.Degraded != nil {
		d := *r.Degraded
		d.Detail = safe(d.Detail)
		c.Degraded = &d
	}
	return &c
}
