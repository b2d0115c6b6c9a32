package background

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmbeddedTable(t *testing.T) {
	require.Greater(t, Docs(), 10000, "the embedded table loads")
	for _, tc := range []struct {
		word string
		want Class
	}{
		{"attention", Noun}, {"system", Noun}, {"reduce", Verb}, {"rather", Adverb}, {"also", Adverb},
		{"using", Gerund}, {"based", Participle}, {"entire", Adjective},
	} {
		t.Run(tc.word, func(t *testing.T) {
			s, ok := WordShares(tc.word)
			require.True(t, ok)
			assert.Equal(t, tc.want, s.Dominant(), "%v", s)
			total := 0
			for c := range NumClasses {
				total += s.Get(c)
			}
			assert.InDelta(t, 16, total, 4, "shares are sixteenths")
		})
	}
	_, ok := WordShares("qzxvwtk")
	assert.False(t, ok, "an unknown word has no shares")
	assert.Greater(t, DocFreq("system"), DocFreq("attent"), "a common stem is in more documents than a rarer one")
	assert.Greater(t, DocFreq("attent"), 0)
	assert.Zero(t, DocFreq("qzxvwtk"))
}

func TestLoadRejectsCorruptTables(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"bad magic": []byte("XXXX000000000000"),
		"truncated": raw[:len(raw)-3],
		"huge":      append([]byte("RBG1\x01\x00\x00\x00\xff\xff\xff\x7f\x00\x00\x00\x00"), make([]byte, 8)...),
	} {
		t.Run(name, func(t *testing.T) {
			tb, err := Load(b)
			require.Error(t, err)
			assert.Zero(t, tb.Docs())
			assert.Zero(t, tb.DocFreq("system"))
			_, ok := tb.WordShares("system")
			assert.False(t, ok)
		})
	}
}

// The prefix index finds every stored key where a plain binary search does.
func TestPrefixIndexFindsEveryKey(t *testing.T) {
	tb := Embedded()
	for _, c := range []struct {
		keys []byte
		n    int
		idx  *prefixIndex
	}{{tb.stems, tb.ns, tb.stemAt}, {tb.words, tb.nw, tb.wordAt}} {
		for i := 0; i < c.n; i += 7 {
			key := uint32(c.keys[4*i]) | uint32(c.keys[4*i+1])<<8 | uint32(c.keys[4*i+2])<<16 | uint32(c.keys[4*i+3])<<24
			require.Equal(t, search(c.keys, 0, c.n, key), c.idx.find(c.keys, c.n, key))
			require.GreaterOrEqual(t, c.idx.find(c.keys, c.n, key), 0)
		}
	}
}

// TestWarmChangesNoAnswer: a warmed table answers as one that built its
// indexes on first use; a zero Table may be warmed too.
func TestWarmChangesNoAnswer(t *testing.T) {
	cold, err := Load(raw)
	require.NoError(t, err)
	warm, err := Load(raw)
	require.NoError(t, err)
	warm.Warm()
	Table{}.Warm()
	for _, w := range []string{"system", "attent", "the", "zzzqxv", ""} {
		assert.Equal(t, cold.DocFreq(w), warm.DocFreq(w), w)
		cs, cok := cold.WordShares(w)
		ws, wok := warm.WordShares(w)
		assert.Equal(t, cok, wok, w)
		assert.Equal(t, cs, ws, w)
	}
}
