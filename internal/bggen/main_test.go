package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/research-cli/research/analysis/background"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture writes a small WordNet dict directory and Go source tree.
func fixture(t *testing.T) (wordnet, goroot string) {
	t.Helper()
	wordnet, goroot = t.TempDir(), t.TempDir()
	header := "  1 This software and database is being provided to you, the LICENSEE\n"
	var noun strings.Builder
	noun.WriteString(header)
	for i := range 60 {
		noun.WriteString("0000" + string(rune('0'+i%10)) + " 03 n 01 kernel 0 000 | a fast kernel reduces the memory traffic of the attention layer; \"the kernel runs quickly\"\n")
	}
	files := map[string]string{
		"data.noun": noun.String(),
		"data.verb": header + "00001 29 v 01 reduce 0 000 | make smaller; \"we reduce the cost\"\n",
		"data.adj":  header + "00001 00 a 01 sparse 0 000 | not dense; \"a sparse matrix\"\n",
		"data.adv":  header + "00001 02 r 01 quickly 0 000 | with speed; \"she ran quickly\"\n",
		// index lines: lemma pos synset_cnt p_cnt [pointers] sense_cnt tagsense_cnt offsets
		"index.noun": header + "kernel n 1 1 @ 1 5 00001\nseabed n 1 0 1 0 00002\nplainnoun n 1 0 1 0 00003\n",
		"index.verb": header + "reduce v 1 0 1 9 00001\n",
		"index.adj":  header + "sparse a 1 0 1 3 00001\nrecurrent a 1 0 1 1 00002\nkernel_like a 1 0 1 0 00003\n",
		"index.adv":  header + "quickly r 1 0 1 4 00001\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(wordnet, name), []byte(body), 0o644))
	}
	src := filepath.Join(goroot, "src", "pkg")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "testdata"), 0o755))
	goFile := "// Copyright 2026 The Go Authors. All rights reserved.\n\n// Package pkg computes sparse attention.\n//\n//\tx := pkg.Reduce()\n//\n// The memory traffic falls when the kernel is fused.\npackage pkg\n\n// Reduce reduces the memory traffic.\nfunc Reduce() {}\n"
	require.NoError(t, os.WriteFile(filepath.Join(src, "pkg.go"), []byte(goFile), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "testdata", "skip.go"), []byte("// Skipped entirely because it is test data.\npackage x\n"), 0o644))
	return wordnet, goroot
}

func TestGenerateTable(t *testing.T) {
	wordnet, goroot := fixture(t)
	out := filepath.Join(t.TempDir(), "t.bin")
	require.NoError(t, run(wordnet, goroot, out))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	tb, err := background.Load(b)
	require.NoError(t, err)
	// 60 noun glosses make 3 documents (25 a document), one each for the
	// other parts of speech, and the Go file one.
	assert.Equal(t, 3+3+1, tb.Docs())
	assert.Equal(t, 4, tb.DocFreq("kernel"), "three noun documents and the Go file")
	assert.Zero(t, tb.DocFreq("skip"), "testdata is not read")
	assert.Zero(t, tb.DocFreq("copyright"), "licence headers are not read")
	s, ok := tb.WordShares("kernel")
	require.True(t, ok)
	assert.Equal(t, background.Noun, s.Dominant())
	s, ok = tb.WordShares("quickly")
	require.True(t, ok)
	assert.Equal(t, background.Adverb, s.Dominant())
	// WordNet's index adds what the text has too rarely: an adjective-only
	// lemma, a noun ending like a participle; not a plain noun, not a
	// multi-word lemma.
	s, ok = tb.WordShares("recurrent")
	require.True(t, ok)
	assert.Equal(t, background.Adjective, s.Dominant())
	s, ok = tb.WordShares("seabed")
	require.True(t, ok)
	assert.Equal(t, background.Noun, s.Dominant())
	_, ok = tb.WordShares("plainnoun")
	assert.False(t, ok)
	_, ok = tb.WordShares("kernel_like")
	assert.False(t, ok)
	// "sparse" is tagged in the text ("a sparse matrix"), and WordNet never
	// has it as a noun, so whatever noun share the tagger gave it moves to
	// the adjective.
	s, ok = tb.WordShares("sparse")
	if ok {
		assert.Zero(t, s.Get(background.Noun))
	}

	// The same input gives the same bytes.
	out2 := filepath.Join(t.TempDir(), "t.bin")
	require.NoError(t, run(wordnet, goroot, out2))
	b2, err := os.ReadFile(out2)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(b, b2))
}

func TestGenerateTableNeedsWordNet(t *testing.T) {
	_, goroot := fixture(t)
	err := run(filepath.Join(t.TempDir(), "missing"), goroot, filepath.Join(t.TempDir(), "t.bin"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wordnet-base")
}

func TestSplit(t *testing.T) {
	assert.Equal(t, []string{"The", "kernel", "'", "s", "long", "-", "document", "path", "isn't", "3x", "."},
		split("The kernel 's long-document path isn't 3x."))
}
