package fetch

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := io.WriteString(w, s)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func brotlied(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := brotli.NewWriter(&b)
	_, err := io.WriteString(w, s)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func TestReadBody(t *testing.T) {
	const limit = 100
	exact := strings.Repeat("a", limit)
	over := strings.Repeat("a", limit+1)
	cases := []struct {
		name     string
		body     []byte
		encoding string
		length   int64
		want     string
		err      error
	}{
		{name: "exactly the cap", body: []byte(exact), want: exact},
		{name: "one byte over", body: []byte(over), err: errTooLarge},
		{name: "declared over the cap", body: []byte("short"), length: limit + 1, err: errTooLarge},
		{name: "gzip within", body: gzipped(t, exact), encoding: "gzip", want: exact},
		{name: "x-gzip within", body: gzipped(t, "hi"), encoding: "X-GZIP", want: "hi"},
		{name: "gzip inflating over", body: gzipped(t, over), encoding: "gzip", err: errDecodedTooLarge},
		{name: "brotli within", body: brotlied(t, exact), encoding: "br", want: exact},
		{name: "brotli inflating over", body: brotlied(t, over), encoding: "br", err: errDecodedTooLarge},
		{name: "empty gzip", body: nil, encoding: "gzip", want: ""},
		{name: "truncated gzip", body: gzipped(t, exact)[:20], encoding: "gzip", err: io.ErrUnexpectedEOF},
		{name: "identity", body: []byte("x"), encoding: "identity", want: "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader makes the cap logic see the smallest reads possible.
			got, err := readBody(iotest.OneByteReader(bytes.NewReader(tc.body)), tc.encoding, tc.length, limit)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
	t.Run("unsupported encoding", func(t *testing.T) {
		_, err := readBody(strings.NewReader("x"), "compress", 0, limit)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `unsupported Content-Encoding "compress"`)
	})
	t.Run("corrupt gzip", func(t *testing.T) {
		_, err := readBody(strings.NewReader("definitely not gzip"), "gzip", 0, limit)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "decoding gzip body")
	})
}

// FuzzReadBody feeds arbitrary bytes as each encoding: it must never panic
// nor return more than the cap.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("plain"), "")
	f.Add(gzipped(f, strings.Repeat("z", 5000)), "gzip")
	f.Add(brotlied(f, strings.Repeat("z", 5000)), "br")
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, "gzip")
	f.Fuzz(func(t *testing.T, body []byte, encoding string) {
		const limit = 1024
		got, err := readBody(bytes.NewReader(body), encoding, -1, limit)
		if err == nil {
			assert.LessOrEqual(t, len(got), limit)
		}
	})
}
