package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnswerSections(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{name: "off by default", yaml: ""},
		{name: "ollama", yaml: "llm:\n  endpoint: http://127.0.0.1:11434\n  model: llama3.2\n  timeout: 60s\n  token_budget: 4000\nsessions:\n  max_messages: 10\n  max_mb: 16\n"},
		{name: "openai", yaml: "llm:\n  endpoint: http://127.0.0.1:8080/v1\n  api: openai\n  model: qwen\n  api_key_env: MY_KEY\n"},
		{name: "bad values", yaml: "llm:\n  endpoint: localhost:11434\n  api: grpc\n  token_budget: 10\n  timeout: -1s\nsessions:\n  max_mb: -1\n",
			want: []string{"line 2: llm.endpoint", "line 3: llm.api", "line 4: llm.token_budget", "line 5: llm.timeout", "line 7: sessions.max_mb"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(tc.yaml))
			if len(tc.want) == 0 {
				require.NoError(t, err)
				assert.Equal(t, tc.yaml != "" && strings.Contains(tc.yaml, "endpoint"), cfg.LLM.On())
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
