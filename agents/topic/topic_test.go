package topic

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	research "github.com/research-cli/research"
	"github.com/research-cli/research/agents/feed"
	"github.com/research-cli/research/models"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"sparse attention for long documents", []string{"sparse", "attention", "long", "documents"}},
		{"How do Rust async runtimes work?", []string{"rust", "async", "runtimes"}},
		{"  the THE a  ", nil},
		{"C++ vs. Go: GC pauses in 2026", []string{"go", "gc", "pauses", "2026"}},
		{"attention, Attention, ATTENTION", []string{"attention"}},
		{"Übersicht über Aufmerksamkeit", []string{"übersicht", "über", "aufmerksamkeit"}},
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			assert.Equal(t, tc.want, Terms(tc.query))
		})
	}
}

func TestKeep(t *testing.T) {
	const q = "sparse attention for long documents"
	tests := []struct {
		name  string
		query string
		a     models.Article
		want  bool
	}{
		{"empty query keeps all", "", models.Article{Title: "Postgres vacuum"}, true},
		{"stop words only keep all", "what is the", models.Article{Title: "Postgres vacuum"}, true},
		{"two terms in the title", q, models.Article{Title: "Sparse attention, explained"}, true},
		{"stemmed forms", q, models.Article{Title: "Attending to sparsity", Summary: "Reading a long document."}, true},
		{"terms spread over fields", q, models.Article{Title: "Kernels", Summary: "We made it sparse.", Content: "It reads long inputs."}, true},
		{"plural and case", q, models.Article{Summary: "DOCUMENTS that are Long"}, true},
		{"one weak term", q, models.Article{Title: "The long road to Go 1.26", Summary: "A release story."}, false},
		{"one term repeated", q, models.Article{Title: "Sparse matrices", Summary: "sparse sparse sparse"}, false},
		{"unrelated", q, models.Article{Title: "Postgres 19 makes vacuum less of a chore", Content: "Freezing pages eagerly."}, false},
		{"substring is not a word", q, models.Article{Title: "Longevity of sparsetools"}, false},
		{"categories count", q, models.Article{Title: "Kernels that skip tiles", Categories: []string{"sparse attention"}}, true},
		{"one-term query", "kubernetes", models.Article{Summary: "Running Kubernetes at home"}, true},
		{"one-term query miss", "kubernetes", models.Article{Summary: "Running Nomad at home"}, false},
		{"two-term query needs one", "rust async", models.Article{Title: "Async closures land"}, true},
		{"two-term query miss", "rust async", models.Article{Title: "Go generics"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Keep(tc.query, tc.a))
			assert.Equal(t, tc.want, New(tc.query).Keep(tc.a))
		})
	}
}

// TestKeepFixtureFeeds checks the filter on the demo's recorded feeds: the
// items about the demo question stay, the rest go.
func TestKeepFixtureFeeds(t *testing.T) {
	f := New("sparse attention for long documents")
	kept := map[string]bool{}
	for _, name := range []string{"ml-weekly.xml", "systems-digest.atom", "preprint-watch.json", "lab-notes.rdf"} {
		b, err := research.Fixtures.ReadFile("testdata/fixtures/feeds/" + name)
		require.NoError(t, err)
		arts, err := feed.Parse(b, "", "http://fixtures.test/", models.Source{Name: name})
		require.NoError(t, err)
		for _, a := range arts {
			kept[a.Title] = f.Keep(a)
		}
	}
	var on, off []string
	for title, k := range kept {
		if k {
			on = append(on, title)
		} else {
			off = append(off, title)
		}
	}
	for _, title := range []string{
		"Sliding windows at 64k tokens: what actually breaks",
		"Why your LLM forgets the middle of long documents",
		"Benchmarks for long-document question answering, compared",
		"Where the memory goes: KV caches for long-context inference",
		"The quadratic bottleneck of attention is mostly a myth below 8k tokens",
		"Writing block-sparse attention kernels that beat dense",
		"Longformer Revisited: Sliding Windows and Global Tokens at 64k Tokens",
	} {
		assert.True(t, kept[title], "should keep %q", title)
	}
	for _, title := range []string{
		"Notes from the GPU shortage, year three",
		"A gentle introduction to diffusion models for audio",
		"Postgres 19 makes vacuum less of a chore",
		"What the Rust 2027 edition will change",
		"Graph neural networks for weather forecasting at kilometre scale",
		"Our lab is moving to a new cluster",
	} {
		assert.False(t, kept[title], "should drop %q", title)
	}
	t.Logf("kept %d: %s", len(on), strings.Join(on, " | "))
	t.Logf("dropped %d: %s", len(off), strings.Join(off, " | "))
}

func BenchmarkKeep(b *testing.B) {
	f := New("sparse attention for long documents")
	a := models.Article{Title: "Postgres 19 makes vacuum less of a chore", Content: strings.Repeat("Freezing pages eagerly spreads the work. ", 200)}
	b.ReportAllocs()
	for b.Loop() {
		f.Keep(a)
	}
}
