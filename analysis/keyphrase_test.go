package analysis_test

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/research-cli/research/analysis"
	"github.com/research-cli/research/analysis/background"
	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadRequest(t *testing.T, path string) *models.AnalysisRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var req models.AnalysisRequest
	require.NoError(t, json.Unmarshal(b, &req))
	require.NoError(t, req.Validate())
	return &req
}

// normalised lower-cases s and turns hyphens into spaces, as keyphrases are
// shown.
func normalised(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'' || r > 0x7f)
	}), " ")
}

// One strongly relevant article among many weakly relevant ones: a project
// blog's security-release post and a privacy OS's eight release notes, which
// say "security" and "release" in passing. The question is about the post,
// so the set's keyphrases must come from it, not from the release notes'
// shared boilerplate ("manual upgrade", "usb stick").
func TestStrongArticleOutweighsMarginalOnes(t *testing.T) {
	req := loadRequest(t, "../testdata/analysis/strong-article-request.json")
	rep := analysis.Analyze(req)
	require.Equal(t, "node-2026-03-security", rep.Ranking[0].ID, "the security-release post ranks first")
	require.Greater(t, rep.Ranking[0].Score, 5*rep.Ranking[1].Score, "…far ahead of the release notes")
	var post string
	var notes []string
	for _, a := range req.Articles {
		if a.ID == "node-2026-03-security" {
			post = normalised(a.Title + " " + a.Summary + " " + a.Content)
		} else {
			notes = append(notes, normalised(a.Title+" "+a.Summary+" "+a.Content))
		}
	}
	require.GreaterOrEqual(t, len(rep.Keywords), 5)
	for _, k := range rep.Keywords[:5] {
		assert.Contains(t, post, k.Phrase, "set keyphrase %q describes the post the question is about", k.Phrase)
	}
	onlyNotes := 0
	for _, k := range rep.Keywords {
		if !strings.Contains(post, k.Phrase) {
			onlyNotes++
		}
	}
	assert.LessOrEqual(t, onlyNotes, 2, "few of the set's keyphrases come from the release notes alone: %v", rep.Keywords)

	// The control: asked about the release notes, the same articles give the
	// notes' shared phrases.
	req.Query = "tessera upgrade usb stick"
	rep = analysis.Analyze(req)
	require.NotEmpty(t, rep.Keywords)
	assert.GreaterOrEqual(t, rep.Keywords[0].Articles, 8, "%q: the release notes share it", rep.Keywords[0].Phrase)
}

// A one-article request's set list ranks the article's phrases by their own
// evidence: it starts as the article's own list does, not alphabetically.
func TestOneArticleSetFollowsArticle(t *testing.T) {
	req, _ := loadDemo(t)
	ten := 10
	agree := 0
	for _, a := range req.Articles {
		one := &models.AnalysisRequest{Version: models.ContractVersion, Query: req.Query, Articles: []models.Article{a},
			Options: &models.AnalysisOptions{MaxArticleKeywords: &ten, MaxKeywords: &ten}}
		rep := analysis.Analyze(one)
		if len(rep.Keywords) == 0 || len(rep.Ranking[0].Keywords) == 0 {
			continue
		}
		if rep.Keywords[0].Phrase == rep.Ranking[0].Keywords[0] {
			agree++
		}
	}
	assert.GreaterOrEqual(t, agree, len(req.Articles)*2/3, "the set list's first phrase is the article's own first in most one-article requests")
}

// The demo's per-article lists hold noun phrases: none of the fragments a
// review found ("reduce memory traffic sixfold", "llm forgets", …), no phrase
// that starts with a word the background tagger calls a verb or ends with one
// it calls an adverb.
func TestDemoKeyphrasesAreNounPhrases(t *testing.T) {
	req, _ := loadDemo(t)
	rep := analysis.Analyze(req)
	fragments := []string{"answer position rather", "reduce memory traffic sixfold", "third failure", "nothing else",
		"eleven open models", "right tokens", "llm forgets", "optimal density falls", "window size matters"}
	for _, r := range rep.Ranking {
		for _, k := range r.Keywords {
			assert.NotContains(t, fragments, k, "article %s", r.ID)
			words := strings.Fields(k)
			if s, ok := background.WordShares(words[0]); ok {
				assert.Less(t, s.Get(background.Verb), 11, "%q starts with a verb", k)
			}
			if s, ok := background.WordShares(words[len(words)-1]); ok {
				assert.Less(t, s.Get(background.Adverb), 8, "%q ends with an adverb", k)
				assert.GreaterOrEqual(t, s.Get(background.Noun)+s.Get(background.Gerund), 4, "%q ends with a word that is rarely a noun", k)
			}
		}
	}
}

func TestNounPhraseCandidates(t *testing.T) {
	ten := 10
	for _, tc := range []struct {
		name, title, content string
		want, not            []string
	}{
		{"verb after a noun", "Why your LLM forgets the middle of long documents",
			"Models with long context windows still lose facts placed in the middle of the input.",
			[]string{"long documents"}, []string{"llm forgets"}},
		{"verb first, adverb last", "Block-sparse kernels",
			"The kernels reduce memory traffic sixfold on long sequences and run quickly.",
			[]string{"memory traffic"}, []string{"reduce memory traffic sixfold", "reduce memory traffic", "memory traffic sixfold"}},
		{"adverb after the head", "Long-document benchmarks",
			"Report accuracy by answer position rather than a single number for long-document question answering.",
			nil, []string{"answer position rather"}},
		{"number words and pronouns", "Evaluation",
			"We evaluate eleven open models. Nothing else changed between the runs of the positional bias study.",
			[]string{"open models"}, []string{"eleven open models", "nothing"}},
		{"participle last", "Control systems",
			"A robust control system described in earlier work is extended to nonlinear plants.",
			nil, []string{"control system described", "robust control system described"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &models.AnalysisRequest{Version: models.ContractVersion, Articles: []models.Article{{ID: "a", Source: "s",
				Title: tc.title, Content: tc.content, Language: "en"}}, Options: &models.AnalysisOptions{MaxArticleKeywords: &ten}}
			require.NoError(t, req.Validate())
			got := analysis.Analyze(req).Ranking[0].Keywords
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, got, n)
			}
		})
	}
}

// The report is the same bytes whatever the number of workers: each worker
// caches word kinds in its own order of articles.
func TestKeyphrasesDeterministicAcrossWorkers(t *testing.T) {
	demo, _ := loadDemo(t)
	strong := loadRequest(t, "../testdata/analysis/strong-article-request.json")
	for name, req := range map[string]*models.AnalysisRequest{"demo": demo, "strong article": strong} {
		t.Run(name, func(t *testing.T) {
			var want []byte
			for _, procs := range []int{1, 2, 3, 8} {
				prev := runtime.GOMAXPROCS(procs)
				got, err := json.Marshal(analysis.Analyze(req))
				runtime.GOMAXPROCS(prev)
				require.NoError(t, err)
				if want == nil {
					want = got
					continue
				}
				assert.Equal(t, string(want), string(got), "GOMAXPROCS=%d", procs)
			}
		})
	}
}
