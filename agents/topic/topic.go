// Package topic decides whether an item from a source that is not
// query-aware (a feed) bears on the question, so that forty feeds do not bury
// the report in unrelated items.
package topic

import (
	"strings"
	"unicode"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"

	"github.com/research-cli/research/models"
)

// Filter holds a question's significant terms, stemmed. Build it once per
// question with New; it is safe for concurrent use.
type Filter struct {
	terms []string // stemmed, distinct, in query order
}

// New builds the filter for query.
func New(query string) *Filter {
	f := &Filter{}
	seen := map[string]bool{}
	for _, t := range Terms(query) {
		s := stem(t)
		if !seen[s] {
			seen[s] = true
			f.terms = append(f.terms, s)
		}
	}
	return f
}

// Keep reports whether a bears on query; see Filter.Keep.
func Keep(query string, a models.Article) bool { return New(query).Keep(a) }

// Needed is how many distinct query terms an item must mention to be kept:
// one when the question has one or two significant terms, two otherwise. A
// single shared word among three or more ("long" in "sparse attention for
// long documents") is too weak a signal; two are rarely a coincidence.
func (f *Filter) Needed() int {
	if len(f.terms) <= 2 {
		return min(1, len(f.terms))
	}
	return 2
}

// Keep reports whether a mentions enough of the question's significant terms
// (Needed) in its title, summary, content or categories (a feed's own tags), after lower-casing and stemming
// both sides. A question without significant terms keeps everything.
func (f *Filter) Keep(a models.Article) bool {
	need := f.Needed()
	if need == 0 {
		return true
	}
	found := make(map[string]bool, len(f.terms))
	want := make(map[string]bool, len(f.terms))
	for _, t := range f.terms {
		want[t] = true
	}
	// Words repeat: stem each distinct one once.
	stems := map[string]string{}
	fields := append([]string{a.Title, a.Summary, a.Content}, a.Categories...)
	for _, field := range fields {
		for _, w := range words(field) {
			s, ok := stems[w]
			if !ok {
				s = stem(w)
				stems[w] = s
			}
			if want[s] && !found[s] {
				found[s] = true
				if len(found) >= need {
					return true
				}
			}
		}
	}
	return false
}

// Terms returns the significant words of a question, lower-cased, without
// stop words, distinct and in order ("How do Rust async runtimes work?" gives
// rust, async, runtimes).
func Terms(query string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range words(query) {
		if stopWords[w] || seen[w] || len([]rune(w)) < 2 && !unicode.IsDigit([]rune(w)[0]) {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// words splits text into lower-cased words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func stem(w string) string {
	env := snowballstem.NewEnv(w)
	english.Stem(env)
	return env.Current()
}

// stopWords are English function words plus the words questions are made of
// ("how", "explain", "best"), which say nothing about the topic.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
a about above after again against all am an and any are aren as at be because been before being below
between both but by can cannot could did didn do does doesn doing don down during each few for from further
had hadn has hasn have haven having he her here hers herself him himself his how i if in into is isn it its
itself just let me more most mustn my myself no nor not now of off on once only or other ought our ours
ourselves out over own same shan she should shouldn so some such than that the their theirs them themselves
then there these they this those through to too under until up very was wasn we were weren what when where
which while who whom why will with won would wouldn you your yours yourself yourselves s t d ll m re ve
also via vs versus using use used within without whether into onto per
explain explained tell show find best good better way ways work works working thing things know get getting
vs latest new recent introduction overview guide tutorial
`) {
		m[w] = true
	}
	return m
}()
