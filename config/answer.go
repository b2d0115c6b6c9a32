package config

import (
	"fmt"
	"net/url"
	"time"
)

// Sessions configures where conversations are remembered and how much of
// them. Zero values mean the session package's defaults.
type Sessions struct {
	// Store is the SQLite file; "" means $XDG_DATA_HOME/research/sessions.db.
	Store string `yaml:"store,omitempty"`
	// MaxMessages is how many messages a session keeps verbatim (older ones
	// are folded into its summary).
	MaxMessages int `yaml:"max_messages,omitempty"`
	// MaxArticles is how many shown articles a session remembers.
	MaxArticles int `yaml:"max_articles,omitempty"`
	// MaxMB caps the store file's live data; past it the least recently used
	// sessions are removed.
	MaxMB int `yaml:"max_mb,omitempty"`
}

// LLM configures the optional answer written by a language model. It is off
// while Endpoint is empty (the default). Zero values mean the llm package's
// defaults.
type LLM struct {
	// Endpoint is the model server's base URL, e.g. http://127.0.0.1:11434
	// (Ollama) or http://127.0.0.1:8080/v1 (OpenAI-compatible).
	Endpoint string `yaml:"endpoint,omitempty"`
	// API is "ollama" (default) or "openai".
	API   string `yaml:"api,omitempty"`
	Model string `yaml:"model,omitempty"`
	// Timeout bounds the whole answer; IdleTimeout the wait for the next piece.
	Timeout     time.Duration `yaml:"timeout,omitempty"`
	IdleTimeout time.Duration `yaml:"idle_timeout,omitempty"`
	// TokenBudget bounds the prompt: instructions, question and articles' text.
	TokenBudget int `yaml:"token_budget,omitempty"`
	// MaxAnswerTokens is how long the answer may be.
	MaxAnswerTokens int `yaml:"max_answer_tokens,omitempty"`
	// Articles is how many of the top-ranked articles the model is given (default 5).
	Articles int `yaml:"articles,omitempty"`
	// APIKeyEnv names the environment variable holding a bearer token, for
	// servers that want one; the key itself never goes in the file.
	APIKeyEnv string `yaml:"api_key_env,omitempty"`
}

// On reports whether answers are to be written by the model.
func (l LLM) On() bool { return l.Endpoint != "" }

// DefaultLLMModel is the model named when llm.model is left out.
const DefaultLLMModel = "llama3.2"

// answerProblems checks the sessions and llm sections.
func (c *Config) answerProblems() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...), Line: c.lineOf(field)})
	}
	s := c.Sessions
	if s.MaxMessages < 0 || s.MaxMessages > 10000 {
		add("sessions.max_messages", "must be between 1 and 10000")
	}
	if s.MaxArticles < 0 || s.MaxArticles > 100000 {
		add("sessions.max_articles", "must be between 1 and 100000")
	}
	if s.MaxMB < 0 || s.MaxMB > 1<<20 {
		add("sessions.max_mb", "must be between 1 and 1048576")
	}
	l := c.LLM
	if l.Endpoint != "" {
		if u, err := url.Parse(l.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("llm.endpoint", "%q is not an http(s) URL (for Ollama: http://127.0.0.1:11434)", l.Endpoint)
		}
	}
	switch l.API {
	case "", "ollama", "openai":
	default:
		add("llm.api", "%q is not one of ollama, openai", l.API)
	}
	if l.Timeout < 0 {
		add("llm.timeout", "must be positive (for example 90s)")
	}
	if l.IdleTimeout < 0 {
		add("llm.idle_timeout", "must be positive (for example 30s)")
	}
	if l.TokenBudget != 0 && (l.TokenBudget < 256 || l.TokenBudget > 1<<20) {
		add("llm.token_budget", "must be between 256 and 1048576")
	}
	if l.MaxAnswerTokens < 0 || l.MaxAnswerTokens > 1<<20 {
		add("llm.max_answer_tokens", "must be between 1 and 1048576")
	}
	if l.Articles < 0 || l.Articles > 100 {
		add("llm.articles", "must be between 1 and 100")
	}
	return ps
}
