package page

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/models"
)

// ExtractionPage is what Enrich records in Article.Extraction when the page's
// text replaced the feed's.
const ExtractionPage = "page"

// keptFeed prefixes every Article.Extraction that kept the feed's text.
const keptFeed = "kept-feed: "

// Thresholds of the quality test (Judge).
const (
	// boilerplateLinkDensity: text more than this share links is a menu, not prose.
	boilerplateLinkDensity = 0.35
	// minSentences: fewer sentence ends than this is a caption or a teaser.
	minSentences = 3
	// boilerplateShortRunes: the sentence count and the boilerplate phrases
	// count only in text shorter than this; a long article may well mention
	// cookies, and a long list-like page may have no full stops.
	boilerplateShortRunes = 2500
)

// wallPhrases are what consent walls, paywalls and JavaScript-only shells say
// instead of the article.
var wallPhrases = regexp.MustCompile(`(?i)\b(` +
	`enable javascript|javascript is (disabled|required)|turn on javascript|` +
	`(we|this site) uses? cookies|cookie (policy|settings|preferences|consent)|accept (all )?cookies|` +
	`manage (your )?consent|your privacy choices|` +
	`subscribe (now )?to (continue|read)|subscribers only|already a subscriber|` +
	`sign in to (continue|read)|log in to (continue|read)|create a free account to|` +
	`please verify you are a human|are you a robot|access denied` +
	`)\b`)

// sentenceEnd matches the end of a sentence: ., ! or ? (and their CJK forms)
// followed by a space, a closing quote or the end of a line.
var sentenceEnd = regexp.MustCompile(`[.!?。！？]["'”’)\]]*(\s|$)`)

// Judge decides whether an extraction should replace the feed's own text
// (feedText: the longer of the feed's summary and content). It returns
// ExtractionPage when the page is better, or "kept-feed: <why>".
func Judge(ex *Extracted, feedText string) string {
	text := strings.TrimSpace(ex.Text)
	n := utf8.RuneCountInString(text)
	if m := utf8.RuneCountInString(strings.TrimSpace(feedText)); n <= m {
		return fmt.Sprintf("%sextraction shorter than feed text (%d < %d chars)", keptFeed, n, m)
	}
	if ex.LinkDensity > boilerplateLinkDensity {
		return fmt.Sprintf("%sextraction is mostly links (%.0f%% link text)", keptFeed, 100*ex.LinkDensity)
	}
	if s := len(sentenceEnd.FindAllStringIndex(text, minSentences)); s < minSentences && n < boilerplateShortRunes {
		return fmt.Sprintf("%sextraction has too few sentences (%d)", keptFeed, s)
	}
	if n < boilerplateShortRunes {
		if w := wallPhrases.FindString(text); w != "" {
			return fmt.Sprintf("%sextraction looks like boilerplate (%q)", keptFeed, strings.ToLower(w))
		}
	}
	return ExtractionPage
}

// Enrich fetches a's page, extracts it and, when the extraction is better
// than the text the feed gave (see Judge), sets a.Content to it and fills
// Title, Author, Published and Site where they are empty. Whatever happens it
// records the outcome in a.Extraction. It returns an error, naming the URL,
// when the page could not be fetched or held no article; the article keeps
// its feed text then.
//
// A panic while extracting (a bug tripped by a hostile page) is recovered
// into an error for this article alone: a is restored to what it was, so it
// keeps its feed text, and a.Extraction says what happened.
//
// a.URL is a link taken from fetched content: it is fetched only when it
// resolves to a public address (see fetch.Request.ContentLink). Enrich trusts
// no host; EnrichFrom trusts the host and port of the source it came from.
func Enrich(ctx context.Context, c *fetch.Client, a *models.Article) error {
	return EnrichFrom(ctx, c, a, "")
}

// EnrichFrom is Enrich for an article of the configured source whose URL is
// origin: links on origin's host and port may reach a private address (an
// intranet feed linking to its own pages).
func EnrichFrom(ctx context.Context, c *fetch.Client, a *models.Article, origin string) (err error) {
	saved := *a
	defer func() {
		if p := recover(); p != nil {
			*a = saved
			why := canon.Clip(canon.Collapse(fmt.Sprint(p)), 200)
			a.Extraction = keptFeed + "extraction failed (internal error: " + why + ")"
			err = fmt.Errorf("enrich %s: internal error: %s", a.URL, why)
		}
	}()
	return enrich(ctx, c, a, origin)
}

// extract is ExtractLink; tests replace it to make extraction misbehave.
var extract = ExtractLink

func enrich(ctx context.Context, c *fetch.Client, a *models.Article, origin string) error {
	if a.URL == "" {
		a.Extraction = keptFeed + "no URL to fetch"
		return fmt.Errorf("enrich %s: no URL", a.ID)
	}
	ex, err := extract(ctx, c, a.URL, origin)
	if err != nil {
		a.Extraction = keptFeed + failureReason(err)
		return err
	}
	feedText := a.Summary
	if utf8.RuneCountInString(a.Content) > utf8.RuneCountInString(feedText) {
		feedText = a.Content
	}
	a.Extraction = Judge(ex, feedText)
	if a.Extraction != ExtractionPage {
		return nil
	}
	a.Content = ex.Text
	if a.Title == "" {
		a.Title = ex.Title
	}
	if a.Author == "" {
		a.Author = ex.Byline
	}
	if a.Published.IsZero() {
		a.Published = ex.Published
	}
	if a.Site == "" {
		a.Site = ex.Site
	}
	if a.Language == "" {
		a.Language = ex.Lang
	}
	return nil
}

// failureReason is a short, one-line reason for Article.Extraction.
func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrNoArticle):
		return "page holds no article"
	case errors.Is(err, ErrNotHTML):
		return "page is not HTML"
	case errors.Is(err, ErrTooComplex):
		return "page too complex to extract"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "fetch cancelled or timed out"
	case fetch.KindOf(err) == fetch.KindBlocked:
		return "not fetched (a private address or a scheme other than http(s))"
	}
	if k := fetch.KindOf(err); k != "" {
		return "fetch failed (" + string(k) + ")"
	}
	return "fetch failed"
}

// EnrichAll enriches arts concurrently, at most parallel at a time (1 when
// parallel < 1). The caller chooses which articles to enrich. The result
// holds one error per article, nil where Enrich succeeded; articles not
// started before ctx ended get ctx's error and keep their feed text.
// No host is trusted (see Enrich); EnrichAllFrom names each article's source.
func EnrichAll(ctx context.Context, c *fetch.Client, arts []*models.Article, parallel int) []error {
	return EnrichAllFrom(ctx, c, arts, parallel, nil)
}

// EnrichAllFrom is EnrichAll where origin gives the URL of the configured
// source each article came from (see EnrichFrom); nil trusts no host.
func EnrichAllFrom(ctx context.Context, c *fetch.Client, arts []*models.Article, parallel int,
	origin func(*models.Article) string) []error {
	if parallel < 1 {
		parallel = 1
	}
	errs := make([]error, len(arts))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, a := range arts {
		if a == nil {
			continue
		}
		acquired := false
		select {
		case sem <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			if acquired {
				<-sem
			}
			a.Extraction = keptFeed + "fetch cancelled or timed out"
			errs[i] = fmt.Errorf("enrich %s: %w", a.URL, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			from := ""
			if origin != nil {
				from = origin(a)
			}
			errs[i] = EnrichFrom(ctx, c, a, from)
		}()
	}
	wg.Wait()
	return errs
}
