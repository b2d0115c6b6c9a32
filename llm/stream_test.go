package llm

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func collect(parse func(r *strings.Reader, emit func(string) error) (string, error), in string) (string, string, error) {
	var b strings.Builder
	model, err := parse(strings.NewReader(in), func(s string) error { b.WriteString(s); return nil })
	return b.String(), model, err
}

func ndjson(r *strings.Reader, emit func(string) error) (string, error) {
	return ParseNDJSON(r, 1024, emit)
}
func sse(r *strings.Reader, emit func(string) error) (string, error) { return ParseSSE(r, 1024, emit) }

func TestParseNDJSON(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		model string
		err   error
	}{
		{name: "documented", in: `{"model":"llama3.2","created_at":"2026-12-08T01:00:00Z","message":{"role":"assistant","content":"The"},"done":false}
{"model":"llama3.2","created_at":"2026-12-08T01:00:00Z","message":{"role":"assistant","content":" sky"},"done":false}
{"model":"llama3.2","created_at":"2026-12-08T01:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458}
`, want: "The sky", model: "llama3.2"},
		{name: "crlf and blank lines", in: "{\"message\":{\"content\":\"a\"}}\r\n\r\n{\"message\":{\"content\":\"b\"},\"done\":true}\r\n", want: "ab"},
		{name: "done without newline", in: `{"message":{"content":"a"},"done":true}`, want: "a"},
		{name: "whole last line not done", in: `{"message":{"content":"a"}}`, want: "a", err: ErrMidLine},
		{name: "stops at done", in: "{\"message\":{\"content\":\"a\"},\"done\":true}\nnot json at all\n", want: "a"},
		{name: "ends early", in: "{\"message\":{\"content\":\"a\"}}\n", want: "a", err: ErrUnfinished},
		{name: "empty", in: "", err: ErrUnfinished},
		{name: "not json", in: "<html>\n", err: ErrBadStream},
		{name: "broken mid-line", in: "{\"message\":{\"content\":\"a\"}}\n{\"message\":{\"con", want: "a", err: ErrMidLine},
		{name: "line too long", in: `{"message":{"content":"` + strings.Repeat("x", 2000) + "\"}}\n", err: ErrLineTooLong},
		{name: "error line", in: "{\"error\":\"model 'x' not found\"}\n", err: &ServerError{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, model, err := collect(ndjson, tc.in)
			assert.Equal(t, tc.want, got)
			if tc.model != "" {
				assert.Equal(t, tc.model, model)
			}
			checkErr(t, tc.err, err)
		})
	}
}

func checkErr(t *testing.T, want, got error) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		assert.NoError(t, got)
	case *ServerError:
		var se *ServerError
		assert.True(t, errors.As(got, &se), "want a ServerError, got %v", got)
	default:
		assert.ErrorIs(t, got, w)
	}
}

func TestParseSSE(t *testing.T) {
	chunk := func(s string) string {
		return `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{"content":"` + s + `"},"finish_reason":null}]}` + "\n\n"
	}
	tests := []struct {
		name string
		in   string
		want string
		err  error
	}{
		{name: "documented", in: `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n" +
			chunk("Hello") + chunk(" world") +
			`data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n", want: "Hello world"},
		{name: "comments and fields", in: ": keep-alive\nevent: message\nid: 1\nretry: 100\n" + chunk("a") + "data:[DONE]\n\n", want: "a"},
		{name: "crlf", in: strings.ReplaceAll(chunk("a")+"data: [DONE]\n\n", "\n", "\r\n"), want: "a"},
		{name: "multi-line data", in: "data: {\"choices\":[{\"delta\":\ndata: {\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n", want: "a"},
		{name: "done without blank line", in: chunk("a") + "data: [DONE]\n", want: "a"},
		{name: "done without newline", in: chunk("a") + "data: [DONE]", want: "a"},
		{name: "finish reason then eof", in: chunk("a") + `data: {"choices":[{"delta":{},"finish_reason":"length"}]}` + "\n\n", want: "a"},
		{name: "ends early", in: chunk("a"), want: "a", err: ErrUnfinished},
		{name: "broken mid-line", in: chunk("a") + "data: {\"choi", want: "a", err: ErrMidLine},
		{name: "invalid json", in: "data: {nope}\n\n", err: ErrBadStream},
		{name: "error event", in: `data: {"error":{"message":"rate limited","type":"x"}}` + "\n\n", err: &ServerError{}},
		{name: "line too long", in: "data: " + strings.Repeat("x", 2000) + "\n\n", err: ErrLineTooLong},
		{name: "empty", in: "", err: ErrUnfinished},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := collect(sse, tc.in)
			assert.Equal(t, tc.want, got)
			checkErr(t, tc.err, err)
		})
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	in := "{\"message\":{\"content\":\"a\"}}\n{\"message\":{\"content\":\"b\"}}\n"
	n := 0
	_, err := ParseNDJSON(strings.NewReader(in), 0, func(string) error { n++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

func TestCiteFilter(t *testing.T) {
	valid := func(n int) bool { return n >= 1 && n <= 5 }
	tests := []struct {
		name  string
		in    []string
		want  string
		cited []int
	}{
		{"kept", []string{"a [1] b [2, 3]."}, "a [1] b [2, 3].", []int{1, 2, 3}},
		{"dropped", []string{"a [6] b [0]."}, "a b.", nil},
		{"mixed", []string{"a [1, 7; 2]"}, "a [1, 2]", []int{1, 2}},
		{"range", []string{"a [2-4] b [4-9]"}, "a [2-4] b", []int{2, 3, 4}},
		{"split across pieces", []string{"a [", "1", "0] b [", "3]"}, "a b [3]", []int{3}},
		{"not a citation", []string{"see [the docs] and [x1] and []"}, "see [the docs] and [x1] and []", nil},
		{"nested open", []string{"[[2]"}, "[[2]", []int{2}},
		{"unclosed", []string{"tail [12"}, "tail [12", nil},
		{"spaces kept", []string{"a  ", " b ", "[1] "}, "a   b [1] ", []int{1}},
		{"too long", []string{"[" + strings.Repeat("1,", 30) + "]"}, "[" + strings.Repeat("1,", 30) + "]", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			f := &CiteFilter{Valid: valid, Out: func(s string) { b.WriteString(s) }}
			for _, p := range tc.in {
				f.Write(p)
			}
			f.Flush()
			assert.Equal(t, tc.want, b.String())
			if tc.cited == nil {
				assert.Empty(t, f.Cited())
			} else {
				assert.Equal(t, tc.cited, f.Cited())
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	assert.Equal(t, "clear red text", Sanitize("clear\x1b[2J red\u009b31m text"))
	assert.Equal(t, "abc", Sanitize("a\u202eb\u2066c\u200f"))
	assert.Equal(t, "line\nline", Sanitize("line\r\nline"))
}

func TestPromptBudget(t *testing.T) {
	long := strings.Repeat("word ", 5000)
	req := Request{Question: "q?", Sources: []Source{
		{N: 1, Title: "one", URL: "https://e.org/1", Text: long},
		{N: 2, Title: "two", URL: "https://e.org/2", Text: "short text"},
		{N: 3, Title: "three", URL: "https://e.org/3", Text: long},
	}}
	tests := []struct {
		name     string
		budget   int
		included []int
	}{
		{"room for all", 1000, []int{1, 2, 3}},
		{"room for two", 240, []int{1, 2}},
		{"room for none", 10, []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, inc := Prompt(req, tc.budget)
			require.Len(t, msgs, 2)
			assert.Equal(t, tc.included, inc)
			total := utf8.RuneCountInString(msgs[0].Content) + utf8.RuneCountInString(msgs[1].Content)
			if len(inc) > 0 {
				assert.LessOrEqual(t, total, tc.budget*CharsPerToken+len(inc)+8, "within the budget")
			}
			assert.Contains(t, msgs[1].Content, "Question: q?")
		})
	}
	long2 := req
	long2.Context = strings.Repeat("Q: an old question about something else entirely\n", 200) + "Q9: the latest question"
	msgs, inc := Prompt(long2, 1000)
	assert.Equal(t, []int{1, 2, 3}, inc, "a long conversation does not crowd out the articles")
	assert.Contains(t, msgs[1].Content, "Q9: the latest question")
	assert.Less(t, strings.Count(msgs[1].Content, "an old question"), 30)
	msgs, _ = Prompt(req, 1000)
	assert.Contains(t, msgs[1].Content, "short text", "a short text is given whole")
	assert.Contains(t, msgs[1].Content, "…", "a long one is cut, and the cut is marked")
}

// FuzzParseNDJSON: any input ends with an answer or an error, never a panic,
// and never yields more text than it read.
func FuzzParseNDJSON(f *testing.F) {
	f.Add("{\"message\":{\"content\":\"a\"},\"done\":true}\n")
	f.Add("{\"error\":\"x\"}\n")
	f.Add("{\"message\":{\"con")
	f.Add("\n\n\r\n{}\n")
	f.Fuzz(func(t *testing.T, in string) {
		n := 0
		_, _ = ParseNDJSON(strings.NewReader(in), 512, func(s string) error { n += len(s); return nil })
		if n > len(in)*6 { // a \uXXXX escape is 6 bytes for at most 3 of UTF-8; generous
			t.Fatalf("emitted %d bytes from %d", n, len(in))
		}
	})
}

// FuzzParseSSE: the same for server-sent events.
func FuzzParseSSE(f *testing.F) {
	f.Add("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n")
	f.Add(": c\nevent: x\ndata:\ndata: [DONE]\n")
	f.Add("data: {\"error\":{\"message\":\"x\"}}\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		n := 0
		_, _ = ParseSSE(strings.NewReader(in), 512, func(s string) error { n += len(s); return nil })
		if n > len(in)*6 {
			t.Fatalf("emitted %d bytes from %d", n, len(in))
		}
	})
}

// FuzzCiteFilter: whatever the pieces, no invalid citation survives and the
// filter never loses text that is not a citation.
func FuzzCiteFilter(f *testing.F) {
	f.Add("a [1] b [9] [x] [", 3)
	f.Add("[[[[2]]]]", 1)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		valid := func(n int) bool { return n == 1 || n == 2 }
		var b strings.Builder
		cf := &CiteFilter{Valid: valid, Out: func(s string) { b.WriteString(s) }}
		if cut < 0 {
			cut = -cut
		}
		if cut > len(in) {
			cut = len(in)
		}
		for cut > 0 && cut < len(in) && !utf8.RuneStart(in[cut]) {
			cut--
		}
		cf.Write(in[:cut])
		cf.Write(in[cut:])
		cf.Flush()
		out := b.String()
		whole, _ := FilterCitations(in, valid)
		if utf8.ValidString(in) && out != whole {
			t.Fatalf("split at %d gives %q, whole gives %q", cut, out, whole)
		}
		for _, n := range cf.Cited() {
			if !valid(n) {
				t.Fatalf("cited %d", n)
			}
		}
	})
}
