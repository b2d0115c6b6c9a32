package analysis

import (
	"fmt"
	"testing"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShortItemsAreNotNearDuplicates covers the false positives a review
// found: short items (a title and a boilerplate summary, or a title alone)
// must be neither duplicates nor one story unless their text is the same.
func TestShortItemsAreNotNearDuplicates(t *testing.T) {
	lobsters := func(id, title string) models.Article {
		return models.Article{ID: id, Source: "lobsters", URL: "https://lobste.rs/s/" + id, Title: title, Summary: "Comments"}
	}
	link := func(id, title string) models.Article {
		return models.Article{ID: id, Source: "hackernews", URL: "https://news.example.com/item?id=" + id, Title: title}
	}
	cases := []struct {
		name   string
		arts   []models.Article
		groups []models.Group
	}{
		{"six Lobsters items with the summary Comments", []models.Article{
			lobsters("l1", "Rust async runtimes compared"),
			lobsters("l2", "A tour of the Zig build system"),
			lobsters("l3", "Why SQLite uses bytecode"),
			lobsters("l4", "Writing a Lisp interpreter in Go"),
			lobsters("l5", "The state of WebAssembly in 2026"),
			lobsters("l6", "Postgres 18 release notes"),
		}, []models.Group{}},
		{"Rust async runtimes, why and comparing", []models.Article{
			link("r1", "Rust async runtimes"),
			link("r2", "Why Rust async runtimes?"),
			link("r3", "Comparing Rust async runtimes"),
		}, []models.Group{}},
		{"Rust async runtimes with the summary Comments", []models.Article{
			lobsters("r1", "Rust async runtimes"),
			lobsters("r2", "Why Rust async runtimes?"),
			lobsters("r3", "Comparing Rust async runtimes"),
		}, []models.Group{}},
		{"attention is (not) all you need", []models.Article{
			link("a1", "Attention is all you need"),
			link("a2", "Attention is not all you need"),
		}, []models.Group{}},
		{"the same short text is a duplicate", []models.Article{
			lobsters("s1", "Rust async runtimes compared"),
			lobsters("s2", "Rust Async Runtimes, compared"),
		}, []models.Group{{Kind: models.GroupDuplicate, IDs: []string{"s1", "s2"}}}},
		{"the same title over different short bodies is no duplicate", []models.Article{
			{ID: "b1", Source: "s", Title: "Weekly roundup", Summary: "Compilers and linkers"},
			{ID: "b2", Source: "s", Title: "Weekly roundup", Summary: "Gardening tips"},
		}, []models.Group{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: tc.arts})
			assert.Equal(t, tc.groups, rep.Groups)
			wantDups := 0
			for _, g := range tc.groups {
				if g.Kind == models.GroupDuplicate {
					wantDups += len(g.IDs) - 1
				}
			}
			assert.Equal(t, wantDups, rep.Stats.Duplicates)
		})
	}
}

func TestShinglesNeedAFullShingle(t *testing.T) {
	an := text.NewAnalyzer()
	cases := []struct {
		name string
		in   string
		want int
	}{
		{"one word", "Comments", 0},
		{"two words", "async runtimes", 0},
		{"three words", "Rust async runtimes", 1},
		{"stop words do not count", "why is it all the same to you", 0},
		{"five words", "Rust async runtimes benchmark results", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			toks := an.Tokenize(text.English, tc.in, nil)
			_, hs := shingles(toks, nil, nil)
			assert.Len(t, hs, tc.want)
		})
	}
}

func TestNearDuplicateNeedsDistinctiveText(t *testing.T) {
	// Long enough: an edited copy is a near duplicate. The same edit on a
	// text of a few words is not.
	long := "The city council voted on Monday to expand the tram network to the northern suburbs, " +
		"and construction of the new line starts next spring."
	cases := []struct {
		name    string
		a, b    string
		grouped bool
	}{
		{"long text, one word changed", long, long + " Officials agreed.", true},
		{"short text, one word added", "Tram network expands north", "Tram network expands north again", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: []models.Article{
				{ID: "a", Source: "s", Title: "Tram", Content: tc.a},
				{ID: "b", Source: "s", Title: "Tram", Content: tc.b},
			}})
			if tc.grouped {
				require.Len(t, rep.Groups, 1, fmt.Sprint(rep.Groups))
				assert.Equal(t, models.GroupDuplicate, rep.Groups[0].Kind)
			} else {
				assert.Empty(t, rep.Groups)
			}
		})
	}
}

// TestURLFragments: links that differ only by a fragment are one page, except
// the items of a comment feed, whose fragments (both set, and different) name
// different comments.
func TestURLFragments(t *testing.T) {
	art := func(id, url, title, body string) models.Article {
		return models.Article{ID: id, Source: "comments", URL: url, Title: title, Content: body}
	}
	cases := []struct {
		name   string
		arts   []models.Article
		groups []models.Group
	}{
		{"two comments of one post are two items", []models.Article{
			art("c1", "https://blog.example/post/#comment-713578640", "Comment by ana", "I measured the same slowdown on ARM servers with the old allocator."),
			art("c2", "https://blog.example/post/#comment-713578641", "Comment by ben", "Has anyone tried the patch on a machine with more than two sockets?"),
		}, []models.Group{}},
		{"a page and the same page with a fragment are one", []models.Article{
			art("p1", "https://blog.example/post/", "Allocator slowdown", "We measured a slowdown on ARM servers."),
			art("p2", "https://blog.example/post/#more-12", "Why the allocator got slower", "Profiles point at the page cache."),
		}, []models.Group{{Kind: models.GroupDuplicate, IDs: []string{"p1", "p2"}}}},
		{"the same fragment twice is one", []models.Article{
			art("f1", "https://blog.example/post/#comment-1", "Comment by ana", "First text of the comment."),
			art("f2", "http://www.blog.example/post/#comment-1", "Comment by ana (edited)", "Second text, edited later."),
		}, []models.Group{{Kind: models.GroupDuplicate, IDs: []string{"f1", "f2"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: tc.arts})
			assert.Equal(t, tc.groups, rep.Groups)
		})
	}
}
