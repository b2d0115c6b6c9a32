package llm

import (
	"encoding/json"
	"strings"
	"testing"
)

func benchStream(b *testing.B, openai bool) {
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		piece := "token" + strings.Repeat("x", i%7) + " "
		if openai {
			c, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk", "choices": []any{map[string]any{"delta": map[string]string{"content": piece}}}})
			sb.WriteString("data: " + string(c) + "\n\n")
		} else {
			c, _ := json.Marshal(map[string]any{"model": "llama3.2", "created_at": "2026-12-08T01:00:00Z", "message": map[string]string{"role": "assistant", "content": piece}, "done": false})
			sb.WriteString(string(c) + "\n")
		}
	}
	if openai {
		sb.WriteString("data: [DONE]\n\n")
	} else {
		sb.WriteString(`{"done":true}` + "\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var err error
		emit := func(string) error { return nil }
		if openai {
			_, err = ParseSSE(strings.NewReader(in), 0, emit)
		} else {
			_, err = ParseNDJSON(strings.NewReader(in), 0, emit)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/token")
}

// BenchmarkParseNDJSON and BenchmarkParseSSE parse a 2,000-token answer.
func BenchmarkParseNDJSON(b *testing.B) { benchStream(b, false) }
func BenchmarkParseSSE(b *testing.B)    { benchStream(b, true) }

// BenchmarkPrompt builds the prompt from five long articles at the default budget.
func BenchmarkPrompt(b *testing.B) {
	req := Request{Question: "how does sparse attention scale?"}
	for i := 1; i <= 5; i++ {
		req.Sources = append(req.Sources, Source{N: i, Title: "title", URL: "https://example.org", Text: strings.Repeat("word of the article ", 3000)})
	}
	for b.Loop() {
		Prompt(req, DefaultTokenBudget)
	}
}
