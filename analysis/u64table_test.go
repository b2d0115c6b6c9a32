package analysis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestU64Table(t *testing.T) {
	tb := newU64Table(4)
	ref := map[uint64]int32{}
	for i := range uint64(5000) {
		k := mix64(i + 1)
		if k == 0 {
			continue
		}
		tb.put(k, int32(i))
		ref[k] = int32(i)
		if i%3 == 0 {
			tb.put(k, int32(i+1)) // overwrite
			ref[k] = int32(i + 1)
		}
	}
	require.Len(t, tb.used, len(ref))
	for k, v := range ref {
		got, ok := tb.get(k)
		require.True(t, ok)
		require.Equal(t, v, got)
	}
	_, ok := tb.get(12345)
	assert.False(t, ok || ref[12345] != 0)
	tb.reset()
	for k := range ref {
		_, ok := tb.get(k)
		require.False(t, ok, "reset empties the table")
	}
	tb.put(7, 1)
	v, ok := tb.get(7)
	assert.True(t, ok)
	assert.Equal(t, int32(1), v)
}
