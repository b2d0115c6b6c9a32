package models

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestViewFoldsDuplicatesAndSameStoriesOnce(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	r := &Result{
		Articles: []Article{
			{ID: "a", Source: "hn", Published: day(1)},
			{ID: "b", Source: "blog", Published: day(2), AlsoIn: []string{"lobsters"}},
			{ID: "c", Source: "mirror", Published: day(3)},
			{ID: "d", Source: "arxiv", Published: day(4)},
			{ID: "e", Source: "wiki", Published: day(5)},
			{ID: "f", Source: "feed", Published: day(6)},
		},
		Analysis: &AnalysisReport{
			Ranking: []RankedArticle{{ID: "c", Score: 5}, {ID: "a", Score: 4, DuplicateOf: "c"}, {ID: "d", Score: 3},
				{ID: "b", Score: 2, DuplicateOf: "a"}, {ID: "e", Score: 1}},
			Groups: []Group{{Kind: GroupSameStory, IDs: []string{"e", "d"}}},
		},
	}
	v := r.View()
	require.Len(t, v.Items, 3)
	assert.Equal(t, "c", v.Items[0].Article.ID, "the best-ranked member of a duplicate chain leads it")
	assert.Equal(t, []string{"a", "b"}, ids(v.Items[0].Duplicates), "a chain of duplicate_of folds into one item")
	assert.Equal(t, "d", v.Items[1].Article.ID)
	assert.Equal(t, []string{"e"}, ids(v.Items[1].SameStory))
	assert.Equal(t, "f", v.Items[2].Article.ID, "an unranked article comes last")
	assert.False(t, v.Items[2].Ranked)
	for id, n := range map[string]int{"c": 1, "a": 1, "b": 1, "d": 2, "e": 2, "f": 3, "zz": 0} {
		assert.Equal(t, n, v.Cite(id), id)
	}
	assert.Equal(t, []string{"hn", "blog", "lobsters"}, v.Items[0].AlsoReportedBy())

	r.Analysis = nil
	v = r.View()
	require.Len(t, v.Items, 6, "without an analysis nothing is folded")
	assert.Equal(t, "f", v.Items[0].Article.ID, "newest first")
	assert.Equal(t, "a", r.Articles[0].ID, "the result is not reordered")
}

func ids(as []Article) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}
