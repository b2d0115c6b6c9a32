package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

// TestKindTimeouts: arXiv gets a long default deadline (it stalls throttled
// clients before answering 429); a source's own timeout still wins, and a
// kind without one uses source_timeout.
func TestKindTimeouts(t *testing.T) {
	c, err := Parse("test.yaml", []byte(`
limits:
  source_timeout: 7s
  kind_timeouts:
    feed: 1d
sources:
  - {name: arxiv, kind: arxiv, url: https://export.arxiv.org}
  - {name: arxiv-fast, kind: arxiv, url: https://export.arxiv.org, timeout: 5s}
  - {name: hn, kind: hackernews, url: https://hn.algolia.com/api/v1}
  - {name: blog, kind: feed, url: https://example.org/feed.xml}
`))
	require.NoError(t, err)
	assert.Equal(t, DefaultArxivTimeout, c.SourceTimeout(c.Sources[0]))
	assert.GreaterOrEqual(t, c.SourceTimeout(c.Sources[0]), 30*time.Second)
	assert.Equal(t, 5*time.Second, c.SourceTimeout(c.Sources[1]), "the source's own timeout wins")
	assert.Equal(t, 7*time.Second, c.SourceTimeout(c.Sources[2]))
	assert.Equal(t, 24*time.Hour, c.SourceTimeout(c.Sources[3]), "days are accepted")
	resolved := c.ResolvedSources()
	assert.Equal(t, []time.Duration{DefaultArxivTimeout, 5 * time.Second, 7 * time.Second, 24 * time.Hour},
		[]time.Duration{resolved[0].Timeout, resolved[1].Timeout, resolved[2].Timeout, resolved[3].Timeout})
	assert.Zero(t, c.Sources[0].Timeout, "the config itself is not changed")
	assert.Greater(t, Default().Limits.FetchTimeout, DefaultArxivTimeout, "the stage outlasts arXiv's deadline")
}

func TestSourceLimitsValidated(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"wikipedia max_results", "sources:\n  - {name: w, kind: wikipedia, max_results: 500}\n",
			"sources[0].max_results: 500 is more than a wikipedia source allows (at most 50)"},
		{"hackernews max_results", "sources:\n  - {name: h, kind: hackernews, max_results: 5000}\n",
			"sources[0].max_results: 5000 is more than a hackernews source allows (at most 1000)"},
		{"negative kind timeout", "limits:\n  kind_timeouts:\n    arxiv: -1s\n", "limits.kind_timeouts.arxiv: must not be negative"},
		{"contact with a newline", "http:\n  contact: \"a@b.c\\nX-Evil: 1\"\n", "http.contact: must be an e-mail address or URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	c, err := Parse("ok.yaml", []byte("http:\n  contact: ops@example.org\nsources:\n  - {name: w, kind: wikipedia, max_results: 50}\n"))
	require.NoError(t, err)
	assert.Equal(t, "ops@example.org", c.HTTP.Contact)
	assert.Equal(t, 50, models.MaxResultsLimit[models.KindWikipedia])
}
