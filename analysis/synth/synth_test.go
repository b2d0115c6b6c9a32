package synth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestIsDeterministicAndShaped(t *testing.T) {
	a := Request(60, 2000, 3, "q")
	b := Request(60, 2000, 3, "q")
	require.Equal(t, a, b, "same arguments, same request")
	assert.NotEqual(t, a.Articles[0].Content, Request(60, 2000, 4, "q").Articles[0].Content, "the seed matters")
	require.NoError(t, a.Validate())
	assert.Len(t, a.Articles, 60)
	for i, art := range a.Articles {
		assert.GreaterOrEqual(t, len(art.Content), 2000, "article %d", i)
		assert.Less(t, len(art.Content), 2000+400, "article %d", i)
		assert.False(t, art.Published.IsZero())
	}
	// Every 25th article republishes an earlier one.
	found := false
	for _, other := range a.Articles[:24] {
		if other.Title == a.Articles[24].Title {
			found = true
		}
	}
	assert.True(t, found, "article 24 copies an earlier article's title")
}

func TestShapes(t *testing.T) {
	cases := []struct {
		name      string
		shape     Shape
		minStops  float64 // share of words that are English function words
		maxStops  float64
		minWordsK int // distinct words in 60 articles, thousands
	}{
		{"zipf has function words", Zipf, 0.25, 0.6, 0},
		{"uniform has none and many distinct words", Uniform, 0, 0.01, 8},
	}
	isFunction := map[string]bool{}
	for _, w := range function {
		isFunction[w] = true
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := RequestShaped(60, 2000, 3, "q", tc.shape)
			require.NoError(t, req.Validate())
			total, stops := 0, 0
			distinct := map[string]bool{}
			for _, a := range req.Articles {
				for _, w := range strings.Fields(strings.ToLower(a.Content)) {
					w = strings.Trim(w, ".,")
					total++
					distinct[w] = true
					if isFunction[w] {
						stops++
					}
				}
			}
			share := float64(stops) / float64(total)
			assert.GreaterOrEqual(t, share, tc.minStops)
			assert.LessOrEqual(t, share, tc.maxStops)
			assert.GreaterOrEqual(t, len(distinct), tc.minWordsK*1000)
		})
	}
	t.Run("names", func(t *testing.T) {
		for _, sh := range []Shape{Zipf, Uniform} {
			got, err := ParseShape(sh.String())
			require.NoError(t, err)
			assert.Equal(t, sh, got)
		}
		_, err := ParseShape("gaussian")
		assert.Error(t, err)
	})
}
