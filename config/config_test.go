package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

func TestDefaultIsValid(t *testing.T) {
	require.NoError(t, Default().Validate())
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
		check   func(t *testing.T, c *Config)
	}{
		{
			name: "empty file keeps defaults",
			yaml: "",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, Default().Sources, c.Sources)
			},
		},
		{
			name: "sources replace the defaults and durations parse",
			yaml: `
feeds:
  keep_off_topic: true
limits:
  source_timeout: 3s
sources:
  - name: hn
    kind: hackernews
    url: http://127.0.0.1:9/api/v1
  - name: blog
    kind: feed
    url: https://example.org/feed.xml
    timeout: 2s
`,
			check: func(t *testing.T, c *Config) {
				require.Len(t, c.Sources, 2)
				assert.True(t, c.Feeds.KeepOffTopic)
				assert.Equal(t, 3*time.Second, c.Limits.SourceTimeout)
				assert.Equal(t, 2*time.Second, c.SourceTimeout(c.Sources[1]))
				assert.Equal(t, 3*time.Second, c.SourceTimeout(c.Sources[0]))
				assert.Equal(t, 15*time.Second, c.Analyzer.Timeout, "unset fields keep their default")
			},
		},
		{
			name:    "unknown field names the line",
			yaml:    "limits:\n  parallel: 2\n  paralel: 3\n",
			wantErr: []string{"cfg.yaml", "line 3", "paralel"},
		},
		{
			name:    "wrong type names the line",
			yaml:    "limits:\n  parallel: many\n",
			wantErr: []string{"line 2", "many"},
		},
		{
			name: "every invalid field is reported",
			yaml: `
sources:
  - name: a
    kind: gopher
    url: ftp://x
  - name: a
    kind: feed
`,
			wantErr: []string{`line 4: sources[0].kind: "gopher" is not one of`, `line 5: sources[0].url: "ftp://x" is not an http(s) URL`,
				`line 6: sources[1].name: "a" is already used by sources[0]`, "line 6: sources[1].url: is required for a feed"},
		},
		{
			name:    "no sources",
			yaml:    "sources: []\n",
			wantErr: []string{"line 1: sources: no sources configured"},
		},
		{
			name:    "numbers that would overflow",
			yaml:    "analyzer:\n  memory_limit_mb: 9000000000000\n  max_keywords: 800000000000000000\nhttp:\n  max_body_mb: 99999999999\n",
			wantErr: []string{"line 2: analyzer.memory_limit_mb: must be between", "line 3: analyzer.max_keywords: must be between 0 and 10000", "line 5: http.max_body_mb"},
		},
		{
			name:    "bad limits",
			yaml:    "limits:\n  parallel: 0\n  fetch_timeout: -1s\n",
			wantErr: []string{"line 2: limits.parallel: must be between 1 and 1024", "limits.fetch_timeout: must be positive"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("cfg.yaml", []byte(tt.yaml))
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)

	t.Run("no user file gives defaults", func(t *testing.T) {
		c, err := Load("")
		require.NoError(t, err)
		assert.Equal(t, "", c.Path)
		assert.Len(t, c.Sources, len(Default().Sources))
	})
	t.Run("user file is read", func(t *testing.T) {
		p := filepath.Join(dir, "research", "config.yaml")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("sources:\n  - {name: x, kind: feed, url: 'http://127.0.0.1/f'}\n"), 0o644))
		c, err := Load("")
		require.NoError(t, err)
		assert.Equal(t, p, c.Path)
		require.Len(t, c.Sources, 1)
		assert.Equal(t, models.KindFeed, c.Sources[0].Kind)
	})
	t.Run("explicit missing file is an error", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "nope.yaml"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "nope.yaml")
	})
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{"durations", map[string]string{"RESEARCH_TIMEOUT": "5s", "RESEARCH_ANALYSIS_TIMEOUT": "1m"}, "", func(t *testing.T, c *Config) {
			assert.Equal(t, 5*time.Second, c.Limits.FetchTimeout)
			assert.Equal(t, time.Minute, c.Analyzer.Timeout)
		}},
		{"analyzer path", map[string]string{"RESEARCH_ANALYZER": "/opt/ra"}, "", func(t *testing.T, c *Config) {
			assert.Equal(t, "/opt/ra", c.Analyzer.Path)
		}},
		{"bad duration", map[string]string{"RESEARCH_TIMEOUT": "soon"}, "RESEARCH_TIMEOUT", nil},
		{"bad number", map[string]string{"RESEARCH_ENRICH_PAGES": "x"}, "RESEARCH_ENRICH_PAGES", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			err := c.ApplyEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	data, err := Default().Marshal()
	require.NoError(t, err)
	c, err := Parse("rt", data)
	require.NoError(t, err)
	c.Path, c.lines = "", nil
	assert.Equal(t, Default(), c)
}
