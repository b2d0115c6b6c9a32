package models

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func intp(n int) *int { return &n }

func TestValidate(t *testing.T) {
	ok := Article{ID: "a", Source: "s"}
	tests := []struct {
		name string
		req  AnalysisRequest
		want string
	}{
		{"valid", AnalysisRequest{Version: 1, Articles: []Article{ok}}, ""},
		{"empty articles", AnalysisRequest{Version: 1}, ""},
		{"wrong version", AnalysisRequest{Version: 2}, "version is 2, want 1"},
		{"missing version", AnalysisRequest{}, "version is 0"},
		{"missing id", AnalysisRequest{Version: 1, Articles: []Article{ok, {Source: "s"}}}, "articles[1]: id is required"},
		{"missing source", AnalysisRequest{Version: 1, Articles: []Article{{ID: "x"}}}, `articles[0] (id "x"): source is required`},
		{"duplicate id", AnalysisRequest{Version: 1, Articles: []Article{ok, ok}}, `articles[1]: id "a" already used by articles[0]`},
		{"negative option", AnalysisRequest{Version: 1, Options: &AnalysisOptions{MaxKeywords: intp(-1)}}, "options.max_keywords is -1"},
		{"huge option", AnalysisRequest{Version: 1, Options: &AnalysisOptions{MaxSummarySentences: intp(1 << 60)}}, "options.max_summary_sentences is 1152921504606846976, must be between 0 and 10000"},
		{"first bad option in a fixed order", AnalysisRequest{Version: 1, Options: &AnalysisOptions{MaxKeywords: intp(-1), MaxSummarySentences: intp(-2), MaxArticleKeywords: intp(-3)}}, "options.max_keywords is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidRequest)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestResolveDefaults(t *testing.T) {
	var none *AnalysisOptions
	assert.Equal(t, ResolvedOptions{MaxKeywords: 10, MaxSummarySentences: 5, MaxArticleKeywords: 5}, none.Resolve())
	got := (&AnalysisOptions{MaxKeywords: intp(0), MaxSummarySentences: intp(2), Explain: true}).Resolve()
	assert.Equal(t, ResolvedOptions{MaxKeywords: 0, MaxSummarySentences: 2, MaxArticleKeywords: 5, Explain: true}, got)
}

func TestArticleJSONOmitsEmptyOptionalFields(t *testing.T) {
	data, err := json.Marshal(Article{ID: "a", Source: "s"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"a","source":"s","url":"","title":""}`, string(data), "url and title are always present, as the contract shows")

	var a Article
	require.NoError(t, json.Unmarshal([]byte(`{"id":"a","source":"s","published":"2026-11-20T10:00:00Z","unknown":1}`), &a))
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), a.Published)
}

func TestEmptyReportHasEmptyListsNotNull(t *testing.T) {
	data, err := json.Marshal(NewEmptyReport("q"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":1,"query":"q","stats":{"articles":0,"words":0,"by_source":{},"by_day":{},"duplicates":0},
		"ranking":[],"keywords":[],"summary":[],"groups":[]}`, string(data))
}
