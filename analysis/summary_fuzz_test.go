package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReferenceAndSeries feeds arbitrary text to the sentence and title
// parsers of the summary and same-story code: no panic, bounded output,
// words lower-cased, numbers sorted, distinct and taken from the title.
func FuzzReferenceAndSeries(f *testing.F) {
	f.Add("If you evaluate it, use those two, and report.")
	f.Add("Tails 4.14 is out (December 2020), v12: 1,000 users.")
	f.Add("\"Still,\" — ”It’s“ 4.. ,5, :6: \xff\xfe ÇA VA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_ = opensWithReference(s)
		ws := lowerWords(s, 12)
		require.LessOrEqual(t, len(ws), 12)
		for _, w := range ws {
			require.NotEmpty(t, w.w)
			require.Equal(t, strings.ToLower(w.w), w.w)
		}
		nums := titleNumbers(s)
		require.True(t, slices.IsSorted(nums))
		for i, n := range nums {
			require.Contains(t, s, n)
			require.True(t, isDigit(n[0]) && isDigit(n[len(n)-1]), "%q", n)
			if i > 0 {
				require.NotEqual(t, nums[i-1], n)
			}
		}
	})
}
