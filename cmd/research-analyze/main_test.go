package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/research-cli/research/analysis"
	"github.com/research-cli/research/analysis/synth"
	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden report")

// binary is the research-analyze executable built for these tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "research-analyze-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "research-analyze")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build research-analyze: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// Cleanup replaces goleak's os.Exit, so it exits itself.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

type result struct {
	code   int
	stdout []byte
	stderr string
}

func runBinary(t *testing.T, stdin []byte, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "run: %v", err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.Bytes(), stderr: errb.String()}
}

// checkReport decodes a report strictly and checks the contract invariants
// against the request.
func checkReport(t *testing.T, req *models.AnalysisRequest, out []byte) *models.AnalysisReport {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var rep models.AnalysisReport
	require.NoError(t, dec.Decode(&rep), "stdout must be one report")
	require.False(t, dec.More(), "stdout must hold exactly one JSON document")
	assertInvariants(t, req, &rep)
	return &rep
}

func assertInvariants(t *testing.T, req *models.AnalysisRequest, rep *models.AnalysisReport) {
	t.Helper()
	opts := req.Options.Resolve()
	assert.Equal(t, models.ContractVersion, rep.Version)
	assert.Equal(t, req.Query, rep.Query)
	assert.Equal(t, len(req.Articles), rep.Stats.Articles)
	byID := map[string]*models.Article{}
	for i := range req.Articles {
		byID[req.Articles[i].ID] = &req.Articles[i]
	}
	require.Len(t, rep.Ranking, len(req.Articles), "every article exactly once")
	seen := map[string]bool{}
	dups := 0
	for i, r := range rep.Ranking {
		assert.Contains(t, byID, r.ID)
		assert.False(t, seen[r.ID], "id %s twice", r.ID)
		seen[r.ID] = true
		assert.LessOrEqual(t, len(r.Keywords), opts.MaxArticleKeywords)
		if i > 0 {
			prev := rep.Ranking[i-1]
			assert.True(t, prev.Score > r.Score || (prev.Score == r.Score && prev.ID < r.ID), "order at %d", i)
		}
		if r.DuplicateOf != "" {
			dups++
			assert.Contains(t, byID, r.DuplicateOf)
		}
	}
	assert.Equal(t, dups, rep.Stats.Duplicates)
	assert.LessOrEqual(t, len(rep.Keywords), opts.MaxKeywords)
	assert.LessOrEqual(t, len(rep.Summary), opts.MaxSummarySentences)
	for _, s := range rep.Summary {
		a, ok := byID[s.ArticleID]
		require.True(t, ok, "summary cites unknown %q", s.ArticleID)
		assert.True(t, strings.Contains(a.Summary, s.Text) || strings.Contains(a.Content, s.Text),
			"summary sentence not verbatim in %s: %q", s.ArticleID, s.Text)
	}
	for _, g := range rep.Groups {
		assert.Contains(t, []string{models.GroupDuplicate, models.GroupSameStory}, g.Kind)
		assert.GreaterOrEqual(t, len(g.IDs), 2)
		for _, id := range g.IDs {
			assert.Contains(t, byID, id)
		}
	}
	total := 0
	for _, v := range rep.Stats.BySource {
		total += v
	}
	assert.Equal(t, len(req.Articles), total)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestContract(t *testing.T) {
	pub := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	one := &models.AnalysisRequest{Version: 1, Query: "attention mechanism", Articles: []models.Article{{
		ID: "a1", Source: "hackernews", URL: "https://example.org/post", Title: "Attention is all you need, revisited",
		Published: pub, Summary: "A look back at the transformer paper.",
		Content: "The attention mechanism lets a model weigh every token against every other token. " +
			"Self attention replaced recurrence in sequence models. Share this article with your friends.",
	}}}
	cases := []struct {
		name string
		req  *models.AnalysisRequest
	}{
		{"empty", &models.AnalysisRequest{Version: 1, Query: "anything", Articles: []models.Article{}}},
		{"one article", one},
		{"1000 articles with query", synth.Request(1000, 2000, 1, "kalo mine")},
		{"1000 articles without query", synth.Request(1000, 2000, 2, "")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runBinary(t, mustJSON(t, tc.req), nil)
			require.Equal(t, 0, res.code, "stderr: %s", res.stderr)
			rep := checkReport(t, tc.req, res.stdout)
			if len(tc.req.Articles) == 0 {
				assert.Equal(t, models.NewEmptyReport(tc.req.Query), rep)
			}
		})
	}
	t.Run("one article content", func(t *testing.T) {
		res := runBinary(t, mustJSON(t, one), nil)
		rep := checkReport(t, one, res.stdout)
		assert.Equal(t, map[string]int{"2026-11-20": 1}, rep.Stats.ByDay)
		assert.Equal(t, map[string]int{"hackernews": 1}, rep.Stats.BySource)
		assert.Positive(t, rep.Ranking[0].Score)
		require.NotEmpty(t, rep.Summary)
		for _, s := range rep.Summary {
			assert.NotContains(t, s.Text, "Share this", "boilerplate must not be summarised")
		}
	})
	t.Run("1000 articles find planted duplicates", func(t *testing.T) {
		req := synth.Request(1000, 2000, 1, "")
		res := runBinary(t, mustJSON(t, req), nil)
		rep := checkReport(t, req, res.stdout)
		assert.GreaterOrEqual(t, rep.Stats.Duplicates, 1000/25-2, "synth plants one near-copy every 25 articles")
	})
}

func TestInvalidRequests(t *testing.T) {
	cases := []struct {
		name   string
		input  string
		stderr string
	}{
		{"empty input", "", "empty input"},
		{"truncated JSON", "{\"version\": 1,\n\"articles\": [", "line 2"},
		{"bad character", `{"version": 1, "articles": [}`, "bad JSON at byte 29"},
		{"trailing garbage", `{"version": 1, "articles": []} {}`, "after top-level value"},
		{"wrong version", `{"version": 2, "articles": []}`, "version is 2, want 1"},
		{"missing version", `{"articles": []}`, "version is 0"},
		{"missing id", `{"version": 1, "articles": [{"source": "s"}]}`, "articles[0]: id is required"},
		{"missing source", `{"version": 1, "articles": [{"id": "x"}]}`, `articles[0] (id "x"): source is required`},
		{"duplicate id", `{"version": 1, "articles": [{"id": "x", "source": "s"}, {"id": "x", "source": "s"}]}`, `articles[1]: id "x" already used by articles[0]`},
		{"wrong type", `{"version": "1", "articles": []}`, "field version at"},
		{"wrong type in an article", `{"version": 1, "articles": [{"id": "x", "source": "s", "title": 5}]}`, "field articles.title at"},
		{"negative option", `{"version": 1, "articles": [], "options": {"max_keywords": -1}}`, "options.max_keywords is -1"},
		{"not an object", `[1, 2]`, "array"},
		{"huge option", `{"version": 1, "articles": [], "options": {"max_keywords": 9223372036854775807}}`, "options.max_keywords is 9223372036854775807, must be between 0 and 10000"},
		{"published not a date", `{"version": 1, "articles": [{"id": "x", "source": "s"}, {"id": "y", "source": "s", "published": "yesterday"}]}`, `articles[1] (id "y"): published: "YESTERDAY" is not a date`},
		{"published a number", `{"version": 1, "articles": [{"id": "x", "source": "s", "published": 1764000000}]}`, `articles[0] (id "x"): published: JSON 1764000000 where a date string is expected`},
		{"published impossible date", `{"version": 1, "articles": [{"id": "x", "source": "s", "published": "2026-02-30"}]}`, `articles[0] (id "x"): published`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runBinary(t, []byte(tc.input), nil)
			assert.Equal(t, 2, res.code)
			assert.Empty(t, res.stdout, "stdout must be empty for an invalid request")
			assert.Contains(t, res.stderr, tc.stderr)
			assert.Contains(t, res.stderr, "invalid request")
		})
	}
	t.Run("unknown argument", func(t *testing.T) {
		res := runBinary(t, nil, nil, "--frobnicate")
		assert.Equal(t, 2, res.code)
		assert.Empty(t, res.stdout)
	})
}

func TestUnknownFieldsIgnored(t *testing.T) {
	in := `{"version": 1, "future": true, "articles": [{"id": "x", "source": "s", "title": "Hello world", "extra": [1]}]}`
	res := runBinary(t, []byte(in), nil)
	require.Equal(t, 0, res.code, res.stderr)
	var rep models.AnalysisReport
	require.NoError(t, json.Unmarshal(res.stdout, &rep))
	assert.Equal(t, "x", rep.Ranking[0].ID)
}

func TestVersion(t *testing.T) {
	res := runBinary(t, nil, nil, "--version")
	assert.Equal(t, 0, res.code)
	assert.Equal(t, "research-analyze "+analysis.Version+" (contract v1)\n", string(res.stdout))
}

func TestMemoryLimit(t *testing.T) {
	req := synth.Request(300, 3000, 5, "kalo")
	in := mustJSON(t, req)
	t.Run("a workable limit still analyses", func(t *testing.T) {
		res := runBinary(t, in, []string{memoryLimitEnv + "=268435456"})
		require.Equal(t, 0, res.code, res.stderr)
		checkReport(t, req, res.stdout)
	})
	t.Run("a limit below the live heap slows the GC but still completes", func(t *testing.T) {
		res := runBinary(t, in, []string{memoryLimitEnv + "=16777216"})
		require.Equal(t, 0, res.code, res.stderr)
		checkReport(t, req, res.stdout)
	})
	t.Run("a bad value is ignored with a warning", func(t *testing.T) {
		res := runBinary(t, in, []string{memoryLimitEnv + "=lots"})
		require.Equal(t, 0, res.code, res.stderr)
		assert.Contains(t, res.stderr, "ignoring")
	})
}

func TestAddressSpaceLeavesRoomForTheRuntime(t *testing.T) {
	assert.Equal(t, uint64(2<<30+2<<20), addressSpace(1<<20))
	assert.Greater(t, addressSpace(1<<30), uint64(3<<30))
}

// TestGolden pins the report of a small fixed request byte for byte.
func TestGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "testdata", "analysis", "request.json"))
	require.NoError(t, err)
	res := runBinary(t, in, nil)
	require.Equal(t, 0, res.code, res.stderr)
	golden := filepath.Join("..", "..", "testdata", "analysis", "report.golden.json")
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, res.stdout, "", "  "))
	if *update {
		require.NoError(t, os.WriteFile(golden, pretty.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with -update to create it")
	assert.Equal(t, string(want), pretty.String())
	// And the same bytes on a second run.
	again := runBinary(t, in, nil)
	assert.Equal(t, res.stdout, again.stdout)
}

func TestRunInProcess(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(nil, strings.NewReader(`{"version":1,"articles":[{"id":"a","source":"s","title":"Hello"}]}`), &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), `"id":"a"`)
}

func FuzzDecodeAnalyze(f *testing.F) {
	f.Add([]byte(`{"version":1,"query":"go","articles":[{"id":"a","source":"s","title":"Go","content":"Go is a language. It is fun to write."}]}`))
	f.Add([]byte(`{"version":1,"articles":[{"id":"a","source":"s","content":"Same text here for both of them, really the same."},{"id":"b","source":"t","content":"Same text here for both of them, really the same."}]}`))
	f.Add([]byte(`{"version":1,"query":"","articles":[],"options":{"max_keywords":0,"max_summary_sentences":0}}`))
	f.Add([]byte(`{"version":1,"articles":[{"id":"é","source":"s","title":"Ünïcödé ﬁ ｆｕｌｌ","content":"Ça va? Oui!! — très bien… 日本語のテキスト。"}]}`))
	f.Add([]byte(`{"version":1,"articles":[{"id":"a","source":"s","published":""},{"id":"b","source":"s","published":"2026-11-20"},{"id":"c","source":"s","published":"2026-11-20 10:00:00+0100"}]}`))
	f.Add([]byte(`{"version":1,"articles":[{"id":"a","source":"s","published":null},{"id":"b","source":"s","published":"2099-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRequest(data)
		if err != nil {
			return
		}
		rep := analysis.Analyze(req)
		assertInvariants(t, req, rep)
		_, err = json.Marshal(rep)
		require.NoError(t, err)
	})
}

func TestPublishedForms(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.UTC)
	}
	cases := []struct {
		name  string
		value string // the JSON value, or "" to leave the field out
		want  time.Time
	}{
		{"absent", "", time.Time{}},
		{"null", `null`, time.Time{}},
		{"empty string", `""`, time.Time{}},
		{"blank string", `"  "`, time.Time{}},
		{"date only", `"2026-11-20"`, utc(2026, 11, 20, 0, 0, 0)},
		{"RFC 3339", `"2026-11-20T10:00:00Z"`, utc(2026, 11, 20, 10, 0, 0)},
		{"RFC 3339 with offset", `"2026-11-20T11:00:00+01:00"`, utc(2026, 11, 20, 10, 0, 0)},
		{"fractional seconds", `"2026-11-20T10:00:00.123Z"`, time.Date(2026, 11, 20, 10, 0, 0, 123e6, time.UTC)},
		{"lower-case t and z", `"2026-11-20t10:00:00z"`, utc(2026, 11, 20, 10, 0, 0)},
		{"space for the T", `"2026-11-20 10:00:00+00:00"`, utc(2026, 11, 20, 10, 0, 0)},
		{"no zone is UTC", `"2026-11-20T10:00:00"`, utc(2026, 11, 20, 10, 0, 0)},
		{"no seconds", `"2026-11-20T10:00Z"`, utc(2026, 11, 20, 10, 0, 0)},
		{"zone without colon", `"2026-11-20T12:00:00+0200"`, utc(2026, 11, 20, 10, 0, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			field := ""
			if tc.value != "" {
				field = `, "published": ` + tc.value
			}
			in := `{"version": 1, "articles": [{"id": "x", "source": "s", "title": "Hello"` + field + `}]}`
			req, err := decodeRequest([]byte(in))
			require.NoError(t, err)
			got := req.Articles[0].Published
			assert.True(t, tc.want.Equal(got), "got %v, want %v", got, tc.want)
			assert.Equal(t, tc.want.IsZero(), got.IsZero())
		})
	}
	t.Run("through the binary", func(t *testing.T) {
		in := `{"version": 1, "articles": [{"id": "a", "source": "s", "title": "Hello", "published": ""},` +
			`{"id": "b", "source": "s", "title": "World", "published": "2026-11-20"}]}`
		res := runBinary(t, []byte(in), nil)
		require.Equal(t, 0, res.code, res.stderr)
		var rep models.AnalysisReport
		require.NoError(t, json.Unmarshal(res.stdout, &rep))
		assert.Equal(t, map[string]int{"2026-11-20": 1}, rep.Stats.ByDay)
	})
}

// TestInternalErrorIsExitOneAndLastLine injects panics where Analyze runs:
// the status must be 1 (not the runtime's 2, "invalid request"), and the
// last line of stderr, which the parent shows, the one-line message.
func TestInternalErrorIsExitOneAndLastLine(t *testing.T) {
	cases := []struct {
		name  string
		value any
		want  string
	}{
		{"plain panic", "boom", "research-analyze: internal error: boom"},
		{"runtime error", fmt.Errorf("index out of range [5] with length 3"), "research-analyze: internal error: index out of range [5] with length 3"},
		{"worker panic", &analysis.WorkerPanic{Value: "boom\nsecond line", Stack: []byte("goroutine 7 [running]:\nworker.go:12 +0x97\n")},
			"research-analyze: internal error: panic in analysis worker: boom second line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			analyze = func(*models.AnalysisRequest) *models.AnalysisReport { panic(tc.value) }
			defer func() { analyze = analysis.Analyze }()
			var out, errb bytes.Buffer
			code := run(nil, strings.NewReader(`{"version":1,"articles":[{"id":"a","source":"s","title":"Hello"}]}`), &out, &errb)
			assert.Equal(t, 1, code)
			assert.Empty(t, out.String())
			lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
			require.Greater(t, len(lines), 1, "a stack, then the message")
			assert.Equal(t, tc.want, lines[len(lines)-1])
			assert.Contains(t, errb.String(), "goroutine", "the stack is there, before the message")
		})
	}
}
