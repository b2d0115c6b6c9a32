package analysis

import (
	"testing"

	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeriesAreDifferentStories(t *testing.T) {
	// testdata/analysis/series-request.json: seven release notes of one
	// product sharing a template ("Tails 4.8 is out" … "Tails 4.14 is out",
	// the bodies differing in version numbers and a few changes) and one
	// security-release post of another project, modelled on two real feeds.
	req, err := loadRequest("..", "series-request.json")
	require.NoError(t, err)
	rep := Analyze(req)
	assert.Empty(t, rep.Groups, "releases of a series are different stories, and none is a duplicate")
	require.NotEmpty(t, rep.Ranking)
	assert.Equal(t, "node-sec", rep.Ranking[0].ID, "the post about the question leads")

	// strong-article-request.json: eight "Tessera 6.x is out" notes whose
	// bodies differ in little but the numbers, so their word shingles agree
	// at a Jaccard of 0.5–0.8 (MinHash's same-story and near-duplicate
	// range), beside a security-release post.
	req, err = loadRequest("..", "strong-article-request.json")
	require.NoError(t, err)
	rep = Analyze(req)
	assert.Empty(t, rep.Groups, "template-sharing notes are neither one story nor duplicates")
}

func TestSeriesConflict(t *testing.T) {
	cases := []struct {
		name     string
		a, b     string // titles
		bodyA    string
		bodyB    string
		conflict bool
	}{
		{"versions", "Tails 4.8 is out", "Tails 4.9 is out", "", "", true},
		{"episodes", "Episode 12: the long context", "Episode 13: the long context", "", "", true},
		{"dates", "Weekly roundup, March 3", "Weekly roundup, March 10", "", "", true},
		{"names", "Release notes for Firefox", "Release notes for Chromium", "", "", true},
		{"a rewrite keeps the number", "Magnitude 7.1 quake hits the coast", "Coast earthquake: 7.1 magnitude, 30 dead", "", "", false},
		{"a rewrite without a number", "Northwind releases Kestrel, a 70B open model", "Kestrel: an open model from Northwind", "", "", false},
		{"a name the other article has in its body", "Kestrel released by Northwind Labs", "An open model from Northwind",
			"", "Northwind Labs released Kestrel today.", false},
		{"title case is not names", "Block-Sparse Attention Kernels For Long Documents", "Sparse Attention Kernels, Explained", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := buildCorpus([]models.Article{art("a", tc.a, tc.bodyA), art("b", tc.b, tc.bodyB)})
			ps := buildStoryProfiles(c)
			assert.Equal(t, tc.conflict, seriesConflict(&ps[0], &ps[1]))
			assert.Equal(t, tc.conflict, seriesConflict(&ps[1], &ps[0]), "symmetric")
		})
	}
}

func TestTitleNumbers(t *testing.T) {
	assert.Equal(t, []string{"2020", "4.14"}, titleNumbers("Tails 4.14 is out (December 2020)"))
	assert.Equal(t, []string{"1,000", "12"}, titleNumbers("v12: 1,000 users."))
	assert.Empty(t, titleNumbers("No numbers here."))
}
