package isolation

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

const goodReport = `{"version":1,"query":"q","stats":{"articles":2,"words":10,"by_source":{"hn":2},"by_day":{},"duplicates":1},
"ranking":[{"id":"a","score":2,"keywords":["x"],"duplicate_of":""},{"id":"b","score":1,"keywords":[],"duplicate_of":"a"}],
"keywords":[{"phrase":"x","score":0.5,"articles":1}],"summary":[{"text":"S.","article_id":"b"}],
"groups":[{"kind":"duplicate","ids":["a","b"]}],"future_field":{"ignored":true}}`

func TestDecodeReport(t *testing.T) {
	ids := []string{"a", "b"}
	tests := []struct {
		name, in string
		ids      []string
		err      string // "" means valid
	}{
		{"valid", goodReport, ids, ""},
		{"valid with surrounding whitespace", "\n\t " + goodReport + "\r\n\n", ids, ""},
		{"empty request, nulls", `{"version":1,"query":"","stats":{},"ranking":null,"keywords":null,"summary":null,"groups":null}`, nil, ""},
		{"empty", "", ids, "no output"},
		{"whitespace", " \n\t", ids, "no output"},
		{"null", "null", ids, `starts with "null"`},
		{"array", `[{"version":1}]`, ids, `starts with "[{\"version\":1}]"`},
		{"string", `"report"`, ids, `starts with "\"report\""`},
		{"text", "Segmentation fault", ids, `starts with "Segmentation fault"`},
		{"truncated", goodReport[:100], ids, "invalid JSON: unexpected EOF"},
		{"junk after", goodReport + "\nok", ids, `2 more bytes after the report, starting with "ok"`},
		{"second object", goodReport + goodReport, ids, "more bytes after the report"},
		{"wrong type", `{"version":"1"}`, ids, "invalid JSON"},
		{"version 0", `{"query":"q"}`, nil, "version 0, want 1"},
		{"version 2", strings.Replace(goodReport, `"version":1`, `"version":2`, 1), ids, "version 2, want 1"},
		{"unknown ranking id", goodReport, []string{"a"}, `ranking[1] names unknown article "b"`},
		{"missing ranking id", goodReport, []string{"a", "b", "c"}, `ranking misses article "c" (2 of 3 ranked)`},
		{"duplicate ranking id", strings.Replace(goodReport, `"id":"b"`, `"id":"a"`, 1), ids, `ranking[1] lists article "a" a second time`},
		{"unknown duplicate_of", strings.Replace(goodReport, `"duplicate_of":"a"`, `"duplicate_of":"z"`, 1), ids, `duplicate of unknown article "z"`},
		{"unknown citation", strings.Replace(goodReport, `"article_id":"b"`, `"article_id":"z"`, 1), ids, `summary[0] cites unknown article "z"`},
		{"unknown group id", strings.Replace(goodReport, `"ids":["a","b"]`, `"ids":["a","z"]`, 1), ids, `groups[0] names unknown article "z"`},
		{"invalid UTF-8 junk", goodReport + "\xff\xfe", ids, "starting with \"\uFFFD\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := DecodeReport([]byte(tc.in), tc.ids)
			if tc.err == "" {
				require.NoError(t, err)
				require.NotNil(t, rep)
				assert.Equal(t, 1, rep.Version)
				assert.NotNil(t, rep.Ranking)
				assert.NotNil(t, rep.Keywords)
				assert.NotNil(t, rep.Summary)
				assert.NotNil(t, rep.Groups)
				assert.NotNil(t, rep.Stats.BySource)
				assert.NotNil(t, rep.Stats.ByDay)
				return
			}
			require.Error(t, err)
			assert.Nil(t, rep)
			assert.ErrorIs(t, err, ErrBadReport)
			assert.Contains(t, err.Error(), tc.err)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestDecodeReportRoundTrip(t *testing.T) {
	req := request(25, 50)
	b, err := json.Marshal(validReport(req))
	require.NoError(t, err)
	ids := make([]string, len(req.Articles))
	for i, a := range req.Articles {
		ids[i] = a.ID
	}
	rep, err := DecodeReport(b, ids)
	require.NoError(t, err)
	assert.Equal(t, validReport(req), rep)
}

// FuzzDecodeReport: whatever the analyzer prints, DecodeReport neither panics
// nor accepts a report that breaks the invariants the renderers rely on.
func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(goodReport), "a,b")
	f.Add([]byte(goodReport+"x"), "a,b")
	f.Add([]byte(`{"version":1}`), "")
	f.Add([]byte(`{"version":1,"ranking":[{"id":"a"},{"id":"a"}]}`), "a")
	f.Add([]byte("null"), "")
	f.Add([]byte(`{"version":1e400}`), "")
	f.Add([]byte("\xef\xbb\xbf{}"), "")
	f.Fuzz(func(t *testing.T, out []byte, idList string) {
		var ids []string
		seen := map[string]bool{}
		for _, id := range strings.Split(idList, ",") {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		rep, err := DecodeReport(out, ids)
		if err != nil {
			if rep != nil {
				t.Fatal("report returned with an error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if rep.Version != models.ContractVersion {
			t.Fatalf("accepted version %d", rep.Version)
		}
		if len(rep.Ranking) != len(ids) {
			t.Fatalf("accepted a ranking of %d for %d ids", len(rep.Ranking), len(ids))
		}
		ranked := map[string]bool{}
		for _, r := range rep.Ranking {
			if !seen[r.ID] || ranked[r.ID] {
				t.Fatalf("accepted ranking id %q", r.ID)
			}
			ranked[r.ID] = true
		}
		if !json.Valid(bytes.TrimSpace(out)) {
			t.Fatal("accepted invalid JSON")
		}
	})
}

func TestCappedBuffer(t *testing.T) {
	overflows := 0
	c := &cappedBuffer{max: 10, onOverflow: func() { overflows++ }}
	n, err := c.Write([]byte("12345"))
	assert.Equal(t, 5, n)
	require.NoError(t, err)
	n, err = c.Write([]byte("67890"))
	assert.Equal(t, 5, n)
	require.NoError(t, err)
	assert.False(t, c.over, "exactly the cap is not over it")
	n, err = c.Write([]byte("x"))
	assert.Equal(t, 0, n)
	require.ErrorIs(t, err, errOutputTooLarge)
	assert.True(t, c.over)
	_, err = c.Write([]byte("more"))
	require.ErrorIs(t, err, errOutputTooLarge)
	assert.Equal(t, 1, overflows)
	assert.Equal(t, "1234567890", string(c.buf))
}

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		writes []string
		want   string
	}{
		{"short", 8, []string{"ab", "cd"}, "abcd"},
		{"exact", 4, []string{"ab", "cd"}, "abcd"},
		{"many small", 4, strings.Split("abcdefghijklmnop", ""), "mnop"},
		{"one big", 4, []string{"abcdefgh"}, "efgh"},
		{"big then small", 4, []string{"abcdefgh", "ij"}, "ghij"},
		{"zero keeps nothing", 0, []string{"abc"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := &tailBuffer{n: tc.n}
			total := 0
			for _, w := range tc.writes {
				n, err := tb.Write([]byte(w))
				require.NoError(t, err)
				assert.Equal(t, len(w), n)
				total += len(w)
				assert.LessOrEqual(t, len(tb.buf), 2*tc.n+len(w))
			}
			assert.Equal(t, tc.want, string(tb.Bytes()))
			assert.EqualValues(t, total, tb.total)
		})
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		out  Outcome
		want string
	}{
		{"timeout with stderr", Outcome{Degraded: degrade(models.ReasonTimeout, "the analyzer timed out after 15s"), StderrBytes: 12},
			"the analyzer timed out after 15s (run with --debug for its stderr)"},
		{"timeout, silent child", Outcome{Degraded: degrade(models.ReasonTimeout, "the analyzer timed out after 15s")},
			"the analyzer timed out after 15s"},
		{"not found", Outcome{Degraded: degrade(models.ReasonStartFailed, "the analyzer was not found: looked in /x")},
			"the analyzer was not found: looked in /x"},
		{"cancelled", Outcome{Degraded: degrade(models.ReasonCancelled, "the analysis was cancelled"), StderrBytes: 3},
			"the analysis was cancelled"},
		{"ok", Outcome{Report: &models.AnalysisReport{Ranking: make([]models.RankedArticle, 3)}, PID: 42, Elapsed: 3_400_000},
			"analysed 3 articles in 3ms (pid 42)"},
		{"zero", Outcome{}, "no analysis"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.out.Summary())
		})
	}
}

func TestChildEnv(t *testing.T) {
	parent := []string{"PATH=/bin", "HOME=/root", "LANG=C", "LC_CTYPE=C.UTF-8", "TZ=UTC", "TMPDIR=/tmp",
		"AWS_SECRET_ACCESS_KEY=s", "GITHUB_TOKEN=t", "HTTPS_PROXY=http://u:p@h", "http_proxy=x", "PATHX=1", "malformed"}
	got := childEnv(parent, 1024, []string{"X=1"})
	assert.Equal(t, []string{"PATH=/bin", "HOME=/root", "LANG=C", "LC_CTYPE=C.UTF-8", "TZ=UTC", "TMPDIR=/tmp",
		MemoryLimitEnv + "=1024", "X=1"}, got)
	assert.NotContains(t, childEnv(parent, -1, nil), MemoryLimitEnv+"=-1")
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	assert.Equal(t, DefaultTimeout, c.Timeout)
	assert.Equal(t, DefaultMemoryLimit, c.MemoryLimit)
	assert.Equal(t, 30*time.Second, c.CPULimit)
	assert.Equal(t, uint64(30), c.cpuSeconds())
	assert.Zero(t, c.MaxOutput, "zero: sized from the request")
	assert.Equal(t, DefaultStderrTail, c.StderrTail)
	assert.Equal(t, uint64(2), Config{CPULimit: 1001 * time.Millisecond}.cpuSeconds(), "rounded up")
	assert.Equal(t, uint64(0), Config{CPULimit: -1}.withDefaults().cpuSeconds(), "negative disables")
	assert.Equal(t, int64(-1), Config{MemoryLimit: -1}.withDefaults().MemoryLimit, "negative disables")
}
