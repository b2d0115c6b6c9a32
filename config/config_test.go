package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

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
			name:    "misspelt top-level field gets a suggestion",
			yaml:    "limitz:\n  parallel: 2\n",
			wantErr: []string{"line 1: unknown field limitz; did you mean limits?"},
		},
		{
			name:    "misspelt nested field gets a suggestion",
			yaml:    "limits:\n  paralel: 2\n",
			wantErr: []string{"line 2: unknown field limits.paralel; did you mean limits.parallel?"},
		},
		{
			name:    "unknown field far from any gets no suggestion",
			yaml:    "frobnicate: 1\n",
			wantErr: []string{"line 1: unknown field frobnicate"},
		},
		{
			name:    "a duration without a unit",
			yaml:    "limits:\n  fetch_timeout: 30\n",
			wantErr: []string{"line 2: limits.fetch_timeout: 30 needs a unit, e.g. 30s"},
		},
		{
			name:    "a source's duration without a unit",
			yaml:    "sources:\n  - {name: a, kind: feed, url: 'https://x.org/f', timeout: 5}\n",
			wantErr: []string{"line 2: sources[0].timeout: 5 needs a unit, e.g. 5s"},
		},
		{
			name:    "not a duration",
			yaml:    "analyzer:\n  timeout: soon\n",
			wantErr: []string{`line 2: analyzer.timeout: "soon" is not a duration`},
		},
		{
			name: "days and weeks are durations",
			yaml: "limits:\n  fetch_timeout: 1d\nhttp:\n  per_host_interval: 1w\n",
			check: func(t *testing.T, c *Config) {
				assert.Equal(t, 24*time.Hour, c.Limits.FetchTimeout)
				assert.Equal(t, 7*24*time.Hour, c.HTTP.PerHostInterval)
			},
		},
		{
			name:    "a second document is an error",
			yaml:    "limits:\n  parallel: 2\n---\nlimits:\n  parallel: 3\n",
			wantErr: []string{"line 3: a second YAML document"},
		},
		{
			name:    "a user agent with a newline",
			yaml:    "http:\n  user_agent: \"research\\r\\nX-Evil: 1\"\n",
			wantErr: []string{"line 2: http.user_agent: must not contain control characters"},
		},
		{
			name:    "the top level is not a mapping",
			yaml:    "- a\n- b\n",
			wantErr: []string{"line 1: the top level must be a mapping"},
		},
		{
			name:    "syntax error names the line",
			yaml:    "limits:\n  parallel: [1\n",
			wantErr: []string{"cfg.yaml", "line"},
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

func TestBuildValidatesOnceAfterEveryLayer(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("limits:\n  fetch_timeout: -1s\n"), 0o644))
	noEnv := func(string) (string, bool) { return "", false }

	_, err := Build(bad, noEnv, nil)
	require.Error(t, err, "the file alone is invalid")
	assert.ErrorIs(t, err, ErrConfig)

	c, err := Build(bad, func(k string) (string, bool) {
		if k == "RESEARCH_TIMEOUT" {
			return "5s", true
		}
		return "", false
	}, nil)
	require.NoError(t, err, "the environment overrides the bad file value")
	assert.Equal(t, 5*time.Second, c.Limits.FetchTimeout)

	c, err = Build(bad, noEnv, func(c *Config) error { c.Limits.FetchTimeout = 7 * time.Second; return nil })
	require.NoError(t, err, "a flag overrides the bad file value")
	assert.Equal(t, 7*time.Second, c.Limits.FetchTimeout)

	_, err = Build(filepath.Join(dir, "missing.yaml"), noEnv, nil)
	assert.ErrorIs(t, err, ErrConfig, "a missing explicit file is a config error")

	_, err = Build("", func(k string) (string, bool) { return "soon", k == "RESEARCH_TIMEOUT" }, nil)
	assert.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, `environment RESEARCH_TIMEOUT: "soon" is not a duration`)

	huge := filepath.Join(dir, "huge.yaml")
	require.NoError(t, os.WriteFile(huge, make([]byte, MaxFileBytes+10), 0o644))
	_, err = Build(huge, noEnv, nil)
	assert.ErrorContains(t, err, "too large")
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"30s", 30 * time.Second, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"2d", 48 * time.Hour, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"1w", 7 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"0", 0, ""},
		{"30", 0, "30 needs a unit, e.g. 30s"},
		{"soon", 0, `"soon" is not a duration`},
		{"d", 0, "is not a duration"},
		{"", 0, "empty duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"feeds", "sources", "limits", "analyzer", "http", "digest"}
	assert.Equal(t, "limits", suggest("limitz", names))
	assert.Equal(t, "sources", suggest("source", names))
	assert.Equal(t, "analyzer", suggest("analyser", names))
	assert.Equal(t, "", suggest("frobnicate", names))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("limits:\n  parallel: 2\n"))
	f.Add([]byte("sources:\n  - {name: a, kind: feed, url: 'https://x.org/f', timeout: 5}\n---\na: 1\n"))
	f.Add([]byte("limitz: &a {x: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil {
			require.NoError(t, c.Validate())
		} else {
			require.ErrorIs(t, err, ErrConfig)
		}
	})
}

func TestMarshalRoundTrip(t *testing.T) {
	data, err := Default().Marshal()
	require.NoError(t, err)
	c, err := Parse("rt", data)
	require.NoError(t, err)
	c.Path, c.lines = "", nil
	assert.Equal(t, Default(), c)
}

func TestCheckerDescendsPointersAndMaps(t *testing.T) {
	type inner struct {
		Count int           `yaml:"count"`
		Wait  time.Duration `yaml:"wait"`
	}
	type outer struct {
		P *inner           `yaml:"p"`
		M map[string]inner `yaml:"m"`
	}
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("p:\n  cuont: 1\nm:\n  x:\n    wait: 5\n"), &doc))
	w := &checker{}
	w.walk(doc.Content[0], reflect.TypeOf(outer{}), "")
	require.Len(t, w.problems, 2)
	assert.Equal(t, "unknown field p.cuont; did you mean p.count?", w.problems[0].Msg)
	assert.Equal(t, "m.x.wait", w.problems[1].Field)
	assert.Equal(t, "5 needs a unit, e.g. 5s", w.problems[1].Msg)
}
