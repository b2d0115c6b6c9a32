package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSkipsWithoutCorpus(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--corpus", filepath.Join(t.TempDir(), "missing")}, &out, &errb)
	assert.Equal(t, 0, code)
	assert.Contains(t, out.String(), "skipped: corpus not found")
}

func TestSynthWritesAValidRequest(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"synth", "--articles", "20", "--bytes", "300"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	var req models.AnalysisRequest
	require.NoError(t, json.Unmarshal(out.Bytes(), &req))
	require.NoError(t, req.Validate())
	assert.Len(t, req.Articles, 20)
}

func TestBadFlag(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run([]string{"--nope"}, &out, &errb))
}

func TestDemoRunsWithoutCorpus(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--only", "demo", "--corpus", filepath.Join(t.TempDir(), "missing")}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "nDCG@5  analyzer")
	assert.Contains(t, out.String(), "sparse attention")
}
