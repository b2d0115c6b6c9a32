package page

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/research-cli/research/internal/corpus"
)

// The readability corpus: Mozilla's test pages with Readability.js's output.
// Floors sit a little below what the extractor achieves (docs/extraction.md).
const (
	corpusMinMeanF1       = 0.95
	corpusMinReaderableF1 = 0.98
	corpusMinTitleMatch   = 0.95
	corpusFakeURL         = "http://fakehost/test/page.html" // the URL Readability.js's tests use
)

// corpusCase is one page of the corpus.
type corpusCase struct {
	name     string
	source   []byte
	expected string // the reference text
	meta     struct {
		Title      string `json:"title"`
		Byline     string `json:"byline"`
		Readerable bool   `json:"readerable"`
	}
}

// corpusDir is ../shared/corpus/pages/readability, or "" when it is absent.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	d, err := corpus.Dir("pages", "readability")
	if err != nil {
		return ""
	}
	return d
}

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	dir := corpusDir(tb)
	if dir == "" {
		tb.Skip("corpus ../shared/corpus/pages/readability not present")
	}
	entries, err := os.ReadDir(dir)
	require.NoError(tb, err)
	var cases []corpusCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := corpusCase{name: e.Name()}
		c.source, err = os.ReadFile(filepath.Join(dir, e.Name(), "source.html"))
		require.NoError(tb, err)
		exp, err := os.ReadFile(filepath.Join(dir, e.Name(), "expected.html"))
		require.NoError(tb, err)
		root, err := html.Parse(bytes.NewReader(exp))
		require.NoError(tb, err)
		c.expected = renderText(root).text
		m, err := os.ReadFile(filepath.Join(dir, e.Name(), "expected-metadata.json"))
		require.NoError(tb, err)
		require.NoError(tb, json.Unmarshal(m, &c.meta), e.Name())
		cases = append(cases, c)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	require.NotEmpty(tb, cases)
	return cases
}

// words tokenises text for scoring: lower-cased runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// wordF1 is the bag-of-words F1 between got and want.
func wordF1(got, want string) float64 {
	_, _, f := wordPRF(got, want)
	return f
}

// wordPRF is the bag-of-words precision, recall and F1 of got against want.
// An empty extraction of an empty reference is perfect; an empty side against
// a non-empty one scores 0 (precision of an empty extraction counts as 0, so
// that refusing a page never raises the mean precision).
func wordPRF(got, want string) (p, r, f float64) {
	g, w := words(got), words(want)
	if len(g) == 0 && len(w) == 0 {
		return 1, 1, 1
	}
	if len(g) == 0 || len(w) == 0 {
		return 0, 0, 0
	}
	counts := make(map[string]int, len(w))
	for _, t := range w {
		counts[t]++
	}
	overlap := 0
	for _, t := range g {
		if counts[t] > 0 {
			counts[t]--
			overlap++
		}
	}
	if overlap == 0 {
		return 0, 0, 0
	}
	p = float64(overlap) / float64(len(g))
	r = float64(overlap) / float64(len(w))
	return p, r, 2 * p * r / (p + r)
}

func sameField(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// corpusScore is the evaluation of the extractor over the corpus.
type corpusScore struct {
	meanF1, titleRate, bylineRate float64
	// meanPrecision and meanRecall are the word-level means behind meanF1.
	meanPrecision, meanRecall float64
	// readerableF1 is the mean over the pages Readability.js itself deems
	// readerable; the others are tiny test pages this extractor rejects as
	// holding no article, each scoring 0 in meanF1.
	readerableF1 float64
	perCase      map[string]float64
	perCaseP     map[string]float64
	perCaseR     map[string]float64
	noArticle    []string
	mismatches   []string // "case: field got %q want %q"
}

func scoreCorpus(cases []corpusCase) corpusScore {
	s := corpusScore{perCase: map[string]float64{}, perCaseP: map[string]float64{}, perCaseR: map[string]float64{}}
	var titles, bylines, readerable int
	for _, c := range cases {
		var got, title, byline string
		ex, err := ExtractHTML(c.source, corpusFakeURL)
		switch {
		case err == nil:
			got, title, byline = ex.Text, ex.Title, ex.Byline
		case errors.Is(err, ErrNoArticle):
			s.noArticle = append(s.noArticle, c.name)
		}
		p, r, f := wordPRF(got, c.expected)
		s.perCase[c.name] = f
		s.perCaseP[c.name], s.perCaseR[c.name] = p, r
		s.meanF1 += f
		s.meanPrecision += p
		s.meanRecall += r
		if c.meta.Readerable {
			s.readerableF1 += f
			readerable++
		}
		if sameField(title, c.meta.Title) {
			titles++
		} else {
			s.mismatches = append(s.mismatches, fmt.Sprintf("%s: title %q, want %q", c.name, title, c.meta.Title))
		}
		if sameField(byline, c.meta.Byline) {
			bylines++
		} else {
			s.mismatches = append(s.mismatches, fmt.Sprintf("%s: byline %q, want %q", c.name, byline, c.meta.Byline))
		}
	}
	n := float64(len(cases))
	s.meanF1 /= n
	s.meanPrecision /= n
	s.meanRecall /= n
	s.readerableF1 /= float64(max(readerable, 1))
	s.titleRate = float64(titles) / n
	s.bylineRate = float64(bylines) / n
	return s
}

// TestCorpusF1 scores the extraction against Readability.js's reference
// output on the readability corpus; it skips when the corpus is absent.
func TestCorpusF1(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus evaluation skipped in -short mode")
	}
	cases := loadCorpus(t)
	s := scoreCorpus(cases)
	names := make([]string, 0, len(s.perCase))
	for n := range s.perCase {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if s.perCase[names[i]] != s.perCase[names[j]] {
			return s.perCase[names[i]] < s.perCase[names[j]]
		}
		return names[i] < names[j]
	})
	for _, n := range names[:min(15, len(names))] {
		t.Logf("low F1: %-40s %.3f (P %.3f R %.3f)", n, s.perCase[n], s.perCaseP[n], s.perCaseR[n])
	}
	for _, m := range s.mismatches {
		t.Logf("metadata mismatch: %s", m)
	}
	t.Logf("corpus: %d pages, mean word F1 %.4f (P %.4f R %.4f; readerable pages %.4f), title match %.3f, byline match %.3f, no-article %v",
		len(cases), s.meanF1, s.meanPrecision, s.meanRecall, s.readerableF1, s.titleRate, s.bylineRate, s.noArticle)
	require.GreaterOrEqual(t, s.meanF1, corpusMinMeanF1, "mean word-level F1")
	require.GreaterOrEqual(t, s.readerableF1, corpusMinReaderableF1, "mean word-level F1 over readerable pages")
	require.GreaterOrEqual(t, s.titleRate, corpusMinTitleMatch, "title match rate")
}

// BenchmarkCorpus measures extraction time per page and throughput over the
// corpus, and reports the mean F1 alongside.
func BenchmarkCorpus(b *testing.B) {
	cases := loadCorpus(b)
	var total int64
	for _, c := range cases {
		total += int64(len(c.source))
	}
	b.SetBytes(total)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		for _, c := range cases {
			_, _ = ExtractHTML(c.source, corpusFakeURL)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	pages := float64(b.N * len(cases))
	b.ReportMetric(float64(elapsed)/float64(time.Millisecond)/pages, "ms/page")
	s := scoreCorpus(cases)
	b.ReportMetric(s.meanF1, "meanF1")
	b.ReportMetric(s.meanPrecision, "meanP")
	b.ReportMetric(s.meanRecall, "meanR")
	b.ReportMetric(s.readerableF1, "readerableF1")
}
