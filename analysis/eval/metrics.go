// Package eval measures the analyzer against public benchmark data: keyphrase
// F1@k on Inspec, extractive summaries (sentence F1, ROUGE-1/2) on BBC News,
// and ranking (nDCG@10) on Cranfield, each beside a baseline computed the
// same way. The metric functions are pure; the loaders read the corpus.
package eval

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/porter"
)

// words splits s into lower-cased runs of letters and digits; hyphens and
// all other punctuation separate words.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// PorterPhrase normalises a keyphrase for matching: lower-cased words, each
// stemmed with the original Porter stemmer, joined by single spaces. This is
// the standard protocol for Inspec.
func PorterPhrase(p string) string {
	env := snowballstem.NewEnv("")
	ws := words(p)
	for i, w := range ws {
		env.SetCurrent(w)
		porter.Stem(env)
		ws[i] = env.Current()
	}
	return strings.Join(ws, " ")
}

// PRF holds precision, recall and F1.
type PRF struct{ P, R, F float64 }

func prf(tp, predicted, gold int) PRF {
	var m PRF
	if predicted > 0 {
		m.P = float64(tp) / float64(predicted)
	}
	if gold > 0 {
		m.R = float64(tp) / float64(gold)
	}
	if m.P+m.R > 0 {
		m.F = 2 * m.P * m.R / (m.P + m.R)
	}
	return m
}

// KeyphraseAtK scores the first k predicted keyphrases against the gold
// ones after Porter normalisation: precision over the predictions kept (at
// most k, duplicates after stemming removed), recall over all gold phrases.
func KeyphraseAtK(pred, gold []string, k int) PRF {
	goldSet := map[string]bool{}
	for _, g := range gold {
		if n := PorterPhrase(g); n != "" {
			goldSet[n] = true
		}
	}
	seen := map[string]bool{}
	tp, kept := 0, 0
	for _, p := range pred {
		if kept == k {
			break
		}
		n := PorterPhrase(p)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		kept++
		if goldSet[n] {
			tp++
		}
	}
	return prf(tp, kept, len(goldSet))
}

// SentenceF1 scores selected sentence indexes against reference indexes.
func SentenceF1(selected, reference []int) PRF {
	ref := map[int]bool{}
	for _, r := range reference {
		ref[r] = true
	}
	seen := map[int]bool{}
	tp := 0
	for _, s := range selected {
		if seen[s] {
			continue
		}
		seen[s] = true
		if ref[s] {
			tp++
		}
	}
	return prf(tp, len(seen), len(ref))
}

// Rouge is ROUGE-N between a candidate and a reference text: clipped n-gram
// overlap over lower-cased words, without stemming or stop-word removal.
func Rouge(candidate, reference string, n int) PRF {
	c, r := ngrams(words(candidate), n), ngrams(words(reference), n)
	ct, rt := 0, 0
	for _, v := range c {
		ct += v
	}
	overlap := 0
	for g, v := range r {
		rt += v
		overlap += min(v, c[g])
	}
	return prf(overlap, ct, rt)
}

func ngrams(ws []string, n int) map[string]int {
	m := map[string]int{}
	for i := 0; i+n <= len(ws); i++ {
		m[strings.Join(ws[i:i+n], " ")]++
	}
	return m
}

// NDCG is nDCG@k of a ranking with graded relevance (linear gains, as
// trec_eval computes it). Unjudged documents have gain 0.
func NDCG(ranking []string, gains map[string]float64, k int) float64 {
	dcg := 0.0
	for i, id := range ranking[:min(k, len(ranking))] {
		dcg += gains[id] / math.Log2(float64(i+2))
	}
	ideal := make([]float64, 0, len(gains))
	for _, g := range gains {
		ideal = append(ideal, g)
	}
	slices.SortFunc(ideal, func(a, b float64) int { return cmp.Compare(b, a) })
	idcg := 0.0
	for i, g := range ideal[:min(k, len(ideal))] {
		idcg += g / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// BM25 is plain Okapi BM25 (Lucene's idf, k1 1.2, b 0.75) over lower-cased
// words without stemming or stop words: the ranking baseline.
type BM25 struct {
	ids   []string
	tfs   []map[string]int
	lens  []int
	avg   float64
	df    map[string]int
	total int
}

// NewBM25 indexes documents given as id → text, in the order of ids.
func NewBM25(ids []string, texts []string) *BM25 {
	b := &BM25{ids: ids, df: map[string]int{}}
	sum := 0
	for _, t := range texts {
		ws := words(t)
		tf := map[string]int{}
		for _, w := range ws {
			tf[w]++
		}
		for w := range tf {
			b.df[w]++
		}
		b.tfs = append(b.tfs, tf)
		b.lens = append(b.lens, len(ws))
		sum += len(ws)
	}
	b.total = len(texts)
	if b.total > 0 {
		b.avg = float64(sum) / float64(b.total)
	}
	return b
}

// Search returns the document ids best first, ties by index.
func (b *BM25) Search(query string) []string {
	qs := words(query)
	scores := make([]float64, b.total)
	for _, q := range qs {
		df := b.df[q]
		if df == 0 {
			continue
		}
		idf := math.Log(1 + (float64(b.total)-float64(df)+0.5)/(float64(df)+0.5))
		for i, tf := range b.tfs {
			f := float64(tf[q])
			if f == 0 {
				continue
			}
			norm := 1.2 * (1 - 0.75 + 0.75*float64(b.lens[i])/b.avg)
			scores[i] += idf * f / (f + norm)
		}
	}
	order := make([]int, b.total)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, c int) int { return cmp.Compare(scores[c], scores[a]) })
	out := make([]string, len(order))
	for k, i := range order {
		out[k] = b.ids[i]
	}
	return out
}
