package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadInput(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 700_000) // 11.2 MB: several chunks
	file := filepath.Join(t.TempDir(), "req.json")
	require.NoError(t, os.WriteFile(file, data, 0o600))
	open := func(t *testing.T) io.Reader {
		f, err := os.Open(file)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		return f
	}
	tests := []struct {
		name  string
		r     func(t *testing.T) io.Reader
		limit int64
		want  int
	}{
		{"regular file", open, 1 << 30, len(data)},
		{"regular file at the limit", open, int64(len(data)), len(data)},
		{"regular file over the limit", open, 1000, -1},
		{"stream", func(*testing.T) io.Reader { return bytes.NewReader(data) }, 1 << 30, len(data)},
		{"stream in one-byte reads", func(*testing.T) io.Reader { return iotest.OneByteReader(bytes.NewReader(data[:100_000])) }, 1 << 30, 100_000},
		{"stream at the limit", func(*testing.T) io.Reader { return bytes.NewReader(data) }, int64(len(data)), len(data)},
		{"stream over the limit", func(*testing.T) io.Reader { return bytes.NewReader(data) }, 5 << 20, -1},
		{"stream one byte over", func(*testing.T) io.Reader { return bytes.NewReader(data) }, int64(len(data)) - 1, -1},
		{"empty", func(*testing.T) io.Reader { return bytes.NewReader(nil) }, 1 << 30, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readInput(tc.r(t), tc.limit)
			if tc.want < 0 {
				require.ErrorIs(t, err, errTooLarge)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tc.want)
			assert.True(t, bytes.Equal(data[:tc.want], got))
		})
	}
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := readInput(io.MultiReader(bytes.NewReader(data[:10]), iotest.ErrReader(boom)), 1<<30)
		assert.ErrorIs(t, err, boom)
	})
	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		defer r.Close()
		go func() { w.Write(data); w.Close() }()
		got, err := readInput(r, 1<<30)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got))
	})
}

// readRequest reads a stream into a mapping (on Linux) that release frees,
// and refuses an oversized one without keeping it.
func TestReadRequest(t *testing.T) {
	data := bytes.Repeat([]byte("request "), 600_000) // 4.8 MB: several doublings from 1 MiB
	tests := []struct {
		name  string
		r     io.Reader
		limit int64
		want  int
	}{
		{"stream", bytes.NewReader(data), 1 << 30, len(data)},
		{"one-byte reads", iotest.OneByteReader(bytes.NewReader(data[:70_000])), 1 << 30, 70_000},
		{"exactly the first mapping", bytes.NewReader(data[:firstMappingSize()]), 1 << 30, firstMappingSize()},
		{"at the limit", bytes.NewReader(data), int64(len(data)), len(data)},
		{"over the limit", bytes.NewReader(data), int64(len(data)) - 1, -1},
		{"empty", bytes.NewReader(nil), 1 << 30, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, release, err := readRequest(tc.r, tc.limit)
			if tc.want < 0 {
				require.ErrorIs(t, err, errTooLarge)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tc.want)
			assert.True(t, bytes.Equal(data[:tc.want], got))
			release()
		})
	}
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		_, _, err := readRequest(io.MultiReader(bytes.NewReader(data[:10]), iotest.ErrReader(boom)), 1<<30)
		assert.ErrorIs(t, err, boom)
	})
}

func TestSoftLimitLeavesAMargin(t *testing.T) {
	assert.Equal(t, int64(1932735284), softLimit(2<<30))
	assert.Less(t, softLimit(16<<20), int64(16<<20))
	assert.Positive(t, softLimit(1))
}
