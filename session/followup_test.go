package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestContextualize(t *testing.T) {
	first := &Previous{Terms: []string{"sparse", "attention", "long", "documents"},
		Keyphrases: []string{"sparse attention", "long documents", "sliding window", "global tokens"}}
	tests := []struct {
		name     string
		question string
		prev     *Previous
		query    string
		carried  []string
		added    []string
		why      string
	}{
		{name: "first question stands alone", question: "sparse attention for long documents",
			query: "sparse attention for long documents"},
		{name: "refers back, one term of its own", question: "and how does it compare to Mamba?", prev: first,
			query: "mamba sparse attention long documents sliding window", carried: first.Terms,
			added: []string{"sliding window"}, why: "continues the previous question (“and”)"},
		{name: "short question carries", question: "benchmarks for these?", prev: first,
			query: "benchmarks sparse attention long documents sliding window", carried: first.Terms,
			added: []string{"sliding window"}, why: "refers back (“these”)"},
		{name: "two terms, no refer-back", question: "GPU kernels", prev: first,
			query: "gpu kernels sparse attention long documents", carried: first.Terms, why: "short question"},
		{name: "nothing of its own takes two key phrases", question: "tell me more", prev: first,
			query: "sparse attention long documents sliding window global tokens", carried: first.Terms,
			added: []string{"sliding window", "global tokens"}, why: "refers back (“more”)"},
		{name: "what about", question: "What about Rust?", prev: first,
			query: "rust sparse attention long documents sliding window", carried: first.Terms,
			added: []string{"sliding window"}, why: "continues the previous question (“what about”)"},
		{name: "a new long question stands alone", question: "rust async runtimes for embedded devices", prev: first,
			query: "rust async runtimes for embedded devices"},
		{name: "carried terms are capped", question: "and that?",
			prev:  &Previous{Terms: []string{"a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8"}},
			query: "a1 b2 c3 d4 e5 f6", carried: []string{"a1", "b2", "c3", "d4", "e5", "f6"}, why: "continues the previous question (“and”)"},
		{name: "own terms are not repeated", question: "and sparse kernels for it?", prev: first,
			query: "sparse kernels attention long documents", carried: []string{"attention", "long", "documents"}, why: "continues the previous question (“and”)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Contextualize(tc.question, tc.prev)
			assert.Equal(t, tc.query, f.Query)
			assert.Equal(t, tc.carried, f.Carried)
			assert.Equal(t, tc.added, f.Added)
			assert.Equal(t, tc.why, f.Why)
			assert.Equal(t, tc.why != "", f.IsFollowup())
		})
	}
}
