package synth

import (
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
