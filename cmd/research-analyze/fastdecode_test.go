package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/analysis/synth"
	"github.com/research-cli/research/models"
)

// sameAsWhole checks that decodeRequest (the parallel fast path when it
// applies) gives exactly what one json.Unmarshal of the document gives: the
// same request, or the same error message.
func sameAsWhole(t *testing.T, data []byte) {
	t.Helper()
	if len(bytes.TrimSpace(data)) == 0 {
		return // decodeRequest's own check, before either decoder
	}
	got, gotErr := decodeRequest(data)
	want, wantErr := decodeWhole(data)
	if wantErr != nil || gotErr != nil {
		require.Error(t, gotErr, "fast path accepted what encoding/json rejects: %v", wantErr)
		require.Error(t, wantErr, "fast path rejected what encoding/json accepts: %v", gotErr)
		assert.Equal(t, wantErr.Error(), gotErr.Error())
		return
	}
	assert.Equal(t, want, got)
}

// decodeCases are the forms a fast decoder gets wrong: duplicate keys, key
// case, invalid UTF-8, escapes, numbers, nulls, odd white space, unknown
// members, nesting, and invalid documents of every kind.
var decodeCases = []struct {
	name string
	in   string
	fast bool // the fast path applies (it must then agree; otherwise it falls back)
}{
	{"plain", `{"version":1,"query":"q","articles":[{"id":"a","source":"s","title":"T"}]}`, true},
	{"white space everywhere", " \r\n\t{ \"version\" : 1 , \"articles\" :\n[ { \"id\":\"a\" , \"source\":\"s\" } ,\n{\"id\":\"b\",\"source\":\"s\"} ] , \"query\" : \"q\" }\n ", true},
	{"no articles", `{"version":1,"articles":[]}`, true},
	{"null articles", `{"version":1,"articles":null}`, true},
	{"articles absent", `{"version":1}`, true},
	{"null element", `{"version":1,"articles":[null]}`, true},
	{"options", `{"version":1,"articles":[],"options":{"max_keywords":3,"explain":true}}`, true},
	{"options null", `{"version":1,"articles":[],"options":null}`, true},
	{"duplicate top-level key", `{"version":1,"articles":[{"id":"a","source":"s"}],"articles":[{"id":"b","source":"t"}]}`, false},
	{"duplicate version", `{"version":2,"version":1,"articles":[]}`, false},
	{"duplicate key in an article", `{"version":1,"articles":[{"id":"a","id":"b","source":"s","title":"x","title":"y"}]}`, true},
	{"key case top-level", `{"Version":1,"ARTICLES":[{"id":"a","source":"s"}]}`, false},
	{"key case in an article", `{"version":1,"articles":[{"ID":"a","Source":"s","TITLE":"t"}]}`, true},
	{"escaped key", `{"vers\u0069on":1,"articles":[]}`, false},
	{"unknown top-level member", `{"version":1,"future":{"a":[1,2,{"b":"]"}]},"articles":[]}`, false},
	{"unknown member in an article", `{"version":1,"articles":[{"id":"a","source":"s","extra":{"x":["}",{"y":"\""}]}}]}`, true},
	{"invalid UTF-8 in a string", "{\"version\":1,\"articles\":[{\"id\":\"a\xff\",\"source\":\"s\",\"title\":\"caf\xc3\"}]}", true},
	{"invalid UTF-8 outside strings", "{\"version\":1,\"articles\":[]}\xff", false},
	{"escapes", `{"version":1,"query":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800","articles":[{"id":"a\\","source":"s\\\""}]}`, true},
	{"quote after backslashes", `{"version":1,"articles":[{"id":"a\\\\","source":"\\\"]}"}]}`, true},
	{"version 1.0", `{"version":1.0,"articles":[]}`, false},
	{"version 1e0", `{"version":1e0,"articles":[]}`, false},
	{"version -0", `{"version":-0,"articles":[]}`, true},
	{"version huge", `{"version":123456789012345678901234567890,"articles":[]}`, false},
	{"version string", `{"version":"1","articles":[]}`, false},
	{"points float in an article", `{"version":1,"articles":[{"id":"a","source":"s","points":1.5}]}`, false},
	{"option leading zero", `{"version":1,"articles":[],"options":{"max_keywords":01}}`, false},
	{"bad literal", `{"version":1,"articles":[],"options":nul}`, false},
	{"trailing comma in articles", `{"version":1,"articles":[{"id":"a","source":"s"},]}`, false},
	{"trailing comma in object", `{"version":1,"articles":[],}`, false},
	{"missing comma", `{"version":1 "articles":[]}`, false},
	{"missing colon", `{"version" 1,"articles":[]}`, false},
	{"unbalanced element", `{"version":1,"articles":[{"id":"a","source":"s"]}`, false},
	{"mismatched brackets", `{"version":1,"articles":[{"id":"a","source":"s"]]}`, false},
	{"unterminated string", `{"version":1,"articles":[{"id":"a`, false},
	{"trailing garbage", `{"version":1,"articles":[]} {}`, false},
	{"not an object", `[1,2]`, false},
	{"article not an object", `{"version":1,"articles":["a"]}`, false},
	{"articles not an array", `{"version":1,"articles":{"id":"a"}}`, false},
	{"control character in a string", "{\"version\":1,\"articles\":[{\"id\":\"a\x01\",\"source\":\"s\"}]}", false},
	{"bad published", `{"version":1,"articles":[{"id":"a","source":"s","published":"soon"},{"id":"b","source":"s","published":5}]}`, true},
	{"published forms", `{"version":1,"articles":[{"id":"a","source":"s","published":"2026-11-20"},{"id":"b","source":"s","published":null},{"id":"c","source":"s","published":" 2026-11-20t10:00:00z "}]}`, true},
	{"invalid contract", `{"version":1,"articles":[{"id":"a","source":"s"},{"id":"a","source":"s"}]}`, true},
	{"deep nesting in an article", `{"version":1,"articles":[{"id":"a","source":"s","x":` + nested(2000) + `}]}`, false},
}

func nested(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

func TestDecodeFastMatchesEncodingJSON(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, ok := decodeFast([]byte(tc.in))
			assert.Equal(t, tc.fast, ok, "fast path taken")
			sameAsWhole(t, []byte(tc.in))
		})
	}
	t.Run("synthetic request", func(t *testing.T) {
		raw, err := json.Marshal(synth.Request(300, 2000, 1, "kalo mine"))
		require.NoError(t, err)
		_, _, _, ok := decodeFast(raw)
		require.True(t, ok, "the common form takes the fast path")
		sameAsWhole(t, raw)
	})
}

// FuzzDecodeFastMatchesEncodingJSON: for any input, the parallel decoder and
// encoding/json agree on the request or on the error message.
func FuzzDecodeFastMatchesEncodingJSON(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsWhole(t, data)
	})
}

// The parallel decode gives the same request whatever the number of cores.
func TestDecodeFastSameAcrossGOMAXPROCS(t *testing.T) {
	raw, err := json.Marshal(synth.Request(500, 500, 2, "kalo"))
	require.NoError(t, err)
	var want *models.AnalysisRequest
	for _, procs := range []int{1, 2, 3, 8} {
		prev := runtime.GOMAXPROCS(procs)
		got, err := decodeRequest(raw)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		if want == nil {
			want = got
			continue
		}
		assert.Equal(t, want, got, "GOMAXPROCS=%d", procs)
	}
}
