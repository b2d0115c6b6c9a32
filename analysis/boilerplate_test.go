package analysis

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// boilerplateOracle is the regular expression the literal phrases replaced;
// the test keeps it as the reference for what counts as boilerplate.
var boilerplateOracle = regexp.MustCompile(`(?i)(share (this|on (facebook|twitter|x|linkedin|reddit|whatsapp))|` +
	`(we|this (site|website)) uses? cookies|accept (all )?cookies|cookie (policy|settings|preferences|consent)|` +
	`^read more|read more (at|on|here|about)|subscribe (to (our|the)|now|today|for (free|more))|` +
	`(sign up|register) (for|to) (our|the|a) (free )?newsletter|all rights reserved|copyright ©|© ?\d{4}|` +
	`click here|follow us|^advertisement|related (articles|stories|posts)|(log|sign) ?in to (comment|continue|read)|` +
	`terms of (use|service)|privacy policy|getty images|contributed to this report|https?://|www\.|` +
	`^(photo|image|video|source|credit)s?:|^(updated|published|posted)( on)? |(enable|requires?) javascript|` +
	`(update|upgrade) your browser|browser (does not|doesn't) support|this (article|story) (was|is) (originally|first)|` +
	`\bemail\b.*\bto a friend|sponsored (content|post|by)|affiliate link)`)

func TestBoilerplateMatchesTheOracle(t *testing.T) {
	sentences := []string{
		"Share this article with your friends.", "Share on Twitter and LinkedIn.", "We use cookies to improve the site.",
		"This website uses cookies.", "Please accept all cookies to continue.", "Read our cookie policy.",
		"Read more at example.org.", "Read more about the study.", "Subscribe to our newsletter today.",
		"Sign up for our free newsletter.", "Register to the newsletter now.", "All rights reserved.",
		"Copyright © Example Media.", "© 2024 Example Media.", "Click here to download.", "Follow us on Mastodon.",
		"Advertisement", "Related stories: more news.", "Log in to comment.", "Sign in to read the full story.",
		"Terms of Service apply.", "See our privacy policy.", "Photo: Getty Images.", "Image: the author.",
		"Credits: staff.", "Updated on 3 May, the article says more.", "Published 2 June.", "Visit https://example.org now.",
		"Go to www.example.org.", "Please enable JavaScript to view.", "This page requires JavaScript.",
		"Please upgrade your browser.", "Your browser does not support video.", "This article was originally published elsewhere.",
		"Email this story to a friend.", "Sponsored content from our partner.", "This post contains an affiliate link.",
		"Reporters contributed to this report.",
		// content that must be kept
		"Cookies are small files that a browser stores.", "The court ruled on copyright law in 2024.",
		"JavaScript engines compile code just in time.", "Sparse attention reduces the cost of long documents.",
		"Readers who read more books sleep better.", "Share prices fell by three percent on Monday.",
		"The policy on privacy changed last year.", "He updated the model last week.",
	}
	for _, s := range sentences {
		assert.Equal(t, boilerplateOracle.MatchString(s), isBoilerplate(s), s)
	}
}

func BenchmarkBoilerplate(b *testing.B) {
	s := "Sliding-window attention with a small set of global tokens remains one of the simplest ways to apply transformers to long documents, yet most published evaluations stop at 16k tokens."
	b.Run("literals", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			isBoilerplate(s)
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			boilerplateOracle.MatchString(s)
		}
	})
}

// TestPhraseIndexAgreesWithContains checks the first-byte phrase index
// against one strings.Contains per phrase, at every position of a text that
// holds each phrase.
func TestPhraseIndexAgreesWithContains(t *testing.T) {
	naive := func(s string) bool {
		for _, p := range boilerplatePhrases {
			if strings.Contains(s, p) {
				return true
			}
		}
		return false
	}
	cases := map[string]string{
		"empty":      "",
		"content":    "sliding-window attention with global tokens stays simple.",
		"near miss":  "share prices fell; subscribe to the idea; cookie jar; http:/ www",
		"non-ascii":  "le café © ß straße — “quoted” ‘share this’",
		"truncated":  "share thi",
		"at the end": "the last words are all rights reserved",
	}
	for _, p := range boilerplatePhrases {
		cases["phrase "+p] = "a " + p + " b"
		cases["prefix "+p] = p
		cases["cut "+p] = "x" + p[:len(p)-1]
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, naive(s), containsAnyPhrase(s))
		})
	}
}
