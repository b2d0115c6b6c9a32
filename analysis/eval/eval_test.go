package eval

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestPorterPhrase(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Neural Networks", "neural network"},
		{"real-time Linux", "real time linux"},
		{"  multiple   agents ", "multipl agent"},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, PorterPhrase(tc.in))
		})
	}
}

func TestKeyphraseAtK(t *testing.T) {
	gold := []string{"neural networks", "image classification", "data augmentation", "dropout"}
	cases := []struct {
		name string
		pred []string
		k    int
		want PRF
	}{
		{"perfect at 4", []string{"neural network", "image classifications", "data augmentation", "dropout"}, 4, PRF{1, 1, 1}},
		{"half right", []string{"neural networks", "cats", "dropout", "dogs"}, 4, PRF{0.5, 0.5, 0.5}},
		{"k cuts the list", []string{"cats", "neural networks"}, 1, PRF{0, 0, 0}},
		{"fewer predictions than k: precision over those kept", []string{"dropout"}, 10, PRF{1, 0.25, 0.4}},
		{"stemmed duplicates count once", []string{"dropout", "dropouts"}, 10, PRF{1, 0.25, 0.4}},
		{"nothing predicted", nil, 5, PRF{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := KeyphraseAtK(tc.pred, gold, tc.k)
			assert.InDelta(t, tc.want.P, got.P, 1e-9)
			assert.InDelta(t, tc.want.R, got.R, 1e-9)
			assert.InDelta(t, tc.want.F, got.F, 1e-9)
		})
	}
}

func TestInspecFold(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		want     int
	}{
		{"odd", "15", 1}, {"even", "2024", 0}, {"zero", "0", 0}, {"nine", "9", 1}, {"empty", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, inspecFold(tc.id)) })
	}
}

func TestSentenceF1(t *testing.T) {
	got := SentenceF1([]int{0, 2, 2, 5}, []int{0, 1, 2})
	assert.InDelta(t, 2.0/3, got.P, 1e-9)
	assert.InDelta(t, 2.0/3, got.R, 1e-9)
	assert.Equal(t, PRF{}, SentenceF1(nil, []int{1}))
}

func TestRouge(t *testing.T) {
	cases := []struct {
		name         string
		cand, ref    string
		n            int
		wantP, wantR float64
	}{
		{"identical", "the cat sat", "The cat sat.", 1, 1, 1},
		{"unigram overlap is clipped", "the the the", "the cat", 1, 1.0 / 3, 0.5},
		{"bigrams", "the cat sat on the mat", "the cat lay on the mat", 2, 3.0 / 5, 3.0 / 5},
		{"no overlap", "dogs bark", "cats purr", 2, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Rouge(tc.cand, tc.ref, tc.n)
			assert.InDelta(t, tc.wantP, got.P, 1e-9)
			assert.InDelta(t, tc.wantR, got.R, 1e-9)
		})
	}
}

func TestNDCG(t *testing.T) {
	gains := map[string]float64{"a": 3, "b": 2, "c": 1}
	cases := []struct {
		name    string
		ranking []string
		want    float64
	}{
		{"ideal", []string{"a", "b", "c", "x"}, 1},
		{"nothing relevant", []string{"x", "y"}, 0},
		{"swapped top two", []string{"b", "a", "c"}, (2 + 3/1.5849625007211563 + 1/2.0) / (3 + 2/1.5849625007211563 + 1/2.0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, NDCG(tc.ranking, gains, 10), 1e-9)
		})
	}
	assert.Equal(t, 0.0, NDCG([]string{"a"}, map[string]float64{}, 10))
}

func TestBM25Baseline(t *testing.T) {
	b := NewBM25([]string{"1", "2", "3"}, []string{
		"wing flutter at supersonic speed",
		"heat transfer in boundary layers",
		"flutter flutter of panels",
	})
	got := b.Search("flutter")
	assert.Equal(t, []string{"3", "1", "2"}, got)
	assert.Equal(t, []string{"1", "2", "3"}, b.Search("nothing"), "ties keep document order")
}

func TestFindCorpusMissing(t *testing.T) {
	_, err := FindCorpus(t.TempDir())
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrNoCorpus))
}

// TestEvaluationTargets runs the evaluation on the shared corpus when it is
// there, and fails when quality regresses below loose bounds.
func TestEvaluationTargets(t *testing.T) {
	dir, err := FindCorpus(".")
	if err != nil {
		t.Skipf("evaluation corpus not available: %v", err)
	}
	t.Run("keyphrases", func(t *testing.T) {
		r, err := Keyphrases(dir)
		require.NoError(t, err)
		assert.Equal(t, 500, r.Docs)
		assert.GreaterOrEqual(t, r.At10.F, 0.34, "Inspec F1@10")
		assert.GreaterOrEqual(t, r.At5.F, 0.28, "Inspec F1@5")
		assert.Equal(t, r.Docs, r.Folds[0].Docs+r.Folds[1].Docs, "folds partition the documents")
		for k, f := range r.Folds {
			assert.Positive(t, f.Docs, "fold %d is not empty", k)
			assert.GreaterOrEqual(t, f.F1At10, 0.34, "Inspec F1@10 on fold %d", k)
		}
		// Issue 11's targets, with a little room for a change elsewhere:
		// F1@10 0.38 on each fold, F1@5 0.33, and a one-article request's set
		// list within half a point of the article's own.
		for k, f := range r.Folds {
			assert.GreaterOrEqual(t, f.F1At10, 0.375, "Inspec F1@10 on fold %d (issue 11: 0.38)", k)
		}
		assert.GreaterOrEqual(t, r.At5.F, 0.325, "Inspec F1@5 (issue 11: 0.33)")
		assert.GreaterOrEqual(t, r.Single.SetF1At10, r.Single.ArticleF1At10-0.005, "one-article set list within 0.5 point of the article's list")
		// The folds' averages weighted by size are the overall average.
		n0, n1 := float64(r.Folds[0].Docs), float64(r.Folds[1].Docs)
		assert.InDelta(t, r.At10.F, (n0*r.Folds[0].F1At10+n1*r.Folds[1].F1At10)/(n0+n1), 1e-9)
	})
	t.Run("summaries", func(t *testing.T) {
		r, err := Summaries(dir)
		require.NoError(t, err)
		assert.Equal(t, 50, r.Docs)
		assert.Greater(t, r.TitleQuery.Rouge2.F, r.Lead.Rouge2.F, "query-focused summary beats Lead-k on ROUGE-2")
		assert.Greater(t, r.NoQuery.Rouge2.F, r.Lead.Rouge2.F, "generic summary beats Lead-k on ROUGE-2")
		// LexRank (docs/quality.md): 0.7596 / 0.7632 on the dev split.
		assert.GreaterOrEqual(t, r.NoQuery.Sentence.F, 0.72, "sentence F1 without a query")
		assert.GreaterOrEqual(t, r.TitleQuery.Sentence.F, 0.72, "sentence F1 with the title as the query")
		assert.Greater(t, r.NoQuery.Sentence.F, r.Lead.Sentence.F+0.15, "centrality, not position")
		assert.Equal(t, r.Docs, r.Folds[0].Docs+r.Folds[1].Docs, "folds partition the documents")
		for k, f := range r.Folds {
			assert.Positive(t, f.Docs, "fold %d is not empty", k)
			assert.Greater(t, f.NoQuery.Sentence.F, f.Lead.Sentence.F, "fold %d", k)
		}
	})
	t.Run("ranking", func(t *testing.T) {
		every := 1
		if testing.Short() || raceEnabled {
			every = 4 // a quarter of the queries keeps the race-enabled run fast
		}
		r, err := Ranking(dir, every)
		require.NoError(t, err)
		assert.Greater(t, r.NDCG10, r.Baseline, "BM25F with stemming beats plain BM25")
		assert.GreaterOrEqual(t, r.NDCG10, 0.34)
		assert.Equal(t, r.Queries, r.Folds[0].Queries+r.Folds[1].Queries, "folds partition the queries")
		for k, f := range r.Folds {
			if f.Queries > 0 { // every 4th query lies in one fold only
				assert.Greater(t, f.NDCG10, f.Baseline, "fold %d", k)
			}
		}
	})
}
