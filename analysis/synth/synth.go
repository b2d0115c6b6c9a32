// Package synth generates deterministic synthetic analysis requests with a
// realistic shape: Zipf-distributed vocabulary, English function words,
// topics, sentences and paragraphs, several sources and days, and some
// near-duplicate articles. Tests and benchmarks use it; nothing else should.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/research-cli/research/models"
)

var function = strings.Fields(`the of and to a in is that for it as was with be by on not he this are or his from at
which but have an they you were their one all we can her has there been if more when will would who so no`)

var syllables = strings.Fields(`ka lo mi ne su ta ri po an el or in ex con pro tra ver mo li da ge ba cu fi ho ja ze
qua stra pre tion ment al er ing ly ous ic ive`)

// vocab builds n distinct pseudo-words of 2 to 4 syllables.
func vocab(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		k := 2 + r.IntN(3)
		var b strings.Builder
		for range k {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Shape is the word distribution of a synthetic request.
type Shape int

const (
	// Zipf is the realistic shape: about 40% English function words, 20%
	// topic words, the rest Zipf-distributed over a 20,000-word vocabulary.
	Zipf Shape = iota
	// Uniform draws every word uniformly from the 20,000-word vocabulary: no
	// stop words and no skew, so there are far more distinct terms per
	// article, phrases and shingles than in real text. A worst case for the
	// analyzer's per-term and per-shingle work.
	Uniform
)

// ParseShape returns the Shape named name ("zipf" or "uniform").
func ParseShape(name string) (Shape, error) {
	switch name {
	case "zipf":
		return Zipf, nil
	case "uniform":
		return Uniform, nil
	}
	return Zipf, fmt.Errorf("unknown shape %q (want zipf or uniform)", name)
}

// String returns the shape's name.
func (s Shape) String() string {
	if s == Uniform {
		return "uniform"
	}
	return "zipf"
}

// Request returns a request of n articles of about contentBytes of content
// each, Zipf-shaped, the same for the same arguments.
func Request(n, contentBytes int, seed uint64, query string) *models.AnalysisRequest {
	return RequestShaped(n, contentBytes, seed, query, Zipf)
}

// RequestShaped is Request with the given word distribution.
func RequestShaped(n, contentBytes int, seed uint64, query string, shape Shape) *models.AnalysisRequest {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := vocab(r, 20000)
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(words)-1))
	const topics = 40
	topicWords := make([][]string, topics)
	for t := range topicWords {
		for range 12 {
			topicWords[t] = append(topicWords[t], words[r.IntN(2000)])
		}
	}
	sources := []string{"hackernews", "arxiv", "wikipedia", "go-blog", "lwn"}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	sentence := func(topic int) string {
		k := 8 + r.IntN(18)
		parts := make([]string, k)
		for i := range parts {
			if shape == Uniform {
				parts[i] = words[r.IntN(len(words))]
				continue
			}
			switch x := r.IntN(10); {
			case x < 4:
				parts[i] = function[r.IntN(len(function))]
			case x < 6:
				parts[i] = topicWords[topic][r.IntN(len(topicWords[topic]))]
			default:
				parts[i] = words[zipf.Uint64()]
			}
		}
		parts[0] = strings.ToUpper(parts[0][:1]) + parts[0][1:]
		if r.IntN(6) == 0 {
			parts[k/2] += ","
		}
		return strings.Join(parts, " ") + "."
	}
	body := func(topic, size int) string {
		var b strings.Builder
		for b.Len() < size {
			if b.Len() > 0 {
				if r.IntN(5) == 0 {
					b.WriteString("\n\n")
				} else {
					b.WriteString(" ")
				}
			}
			b.WriteString(sentence(topic))
		}
		return b.String()
	}

	req := &models.AnalysisRequest{Version: models.ContractVersion, Query: query, Articles: make([]models.Article, n)}
	for i := range n {
		topic := r.IntN(topics)
		a := models.Article{
			ID:        fmt.Sprintf("a%05d", i),
			Source:    sources[r.IntN(len(sources))],
			URL:       fmt.Sprintf("https://example.org/%d/post-%d", topic, i),
			Title:     strings.TrimSuffix(sentence(topic), "."),
			Author:    "Author " + words[r.IntN(100)],
			Published: base.Add(time.Duration(r.IntN(30*24*60)) * time.Minute),
			Summary:   sentence(topic),
			Content:   body(topic, contentBytes),
		}
		// Every 25th article republishes an earlier one with a small edit.
		if i%25 == 24 {
			src := req.Articles[r.IntN(i)]
			a.Title, a.Summary = src.Title, src.Summary
			a.Content = src.Content + " " + sentence(topic)
		}
		req.Articles[i] = a
	}
	return req
}
