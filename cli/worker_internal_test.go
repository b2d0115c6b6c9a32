package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/digest"
)

func TestPlansOf(t *testing.T) {
	tests := []struct {
		name    string
		dg      config.Digest
		want    map[string][]string // plan -> digest names
		wantErr string
	}{
		{"no schedule", config.Digest{Topics: []string{"a"}}, map[string][]string{}, ""},
		{"one digest of all topics", config.Digest{Topics: []string{"a", " a ", "b"}, Schedule: "0 7 * * *"},
			map[string][]string{"digest": {"digest"}}, ""},
		{"per topic", config.Digest{Topics: []string{"a", "b"}, Schedule: "6h", PerTopic: true},
			map[string][]string{"digest": {"digest/a", "digest/b"}}, ""},
		{"groups", config.Digest{Groups: []config.DigestGroup{{Name: "ml", Topics: []string{"x"}, Schedule: "@daily"},
			{Name: "web", Topics: []string{"y", "z"}, Schedule: "1h", PerTopic: true}}},
			map[string][]string{"ml": {"ml"}, "web": {"web/y", "web/z"}}, ""},
		{"schedule without topics", config.Digest{Schedule: "1h"}, nil, "no topics"},
		{"bad schedule", config.Digest{Topics: []string{"a"}, Schedule: "every morning"}, nil, "schedule of digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plans, err := plansOf(&config.Config{Digest: tc.dg})
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			got := map[string][]string{}
			for _, p := range plans {
				for _, d := range p.Digests {
					got[p.Name] = append(got[p.Name], d.Name)
					assert.NotEmpty(t, d.Topics)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDigestKeyIsStablePerPeriod(t *testing.T) {
	p := time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC)
	k := digestKey("digest/a", p)
	assert.Len(t, k, 32)
	assert.Equal(t, k, digestKey("digest/a", p.In(time.FixedZone("X", 3600))), "the same period in another zone")
	assert.NotEqual(t, k, digestKey("digest/a", p.Add(time.Hour)))
	assert.NotEqual(t, k, digestKey("digest/b", p))
}

func TestNoSourceAnswered(t *testing.T) {
	failed := digest.Topic{Sources: 2, FailedSources: []digest.FailedSource{{Name: "a"}, {Name: "b"}}}
	half := digest.Topic{Sources: 2, FailedSources: []digest.FailedSource{{Name: "a"}}}
	assert.True(t, noSourceAnswered(&digest.Digest{Topics: []digest.Topic{failed, failed}}))
	assert.False(t, noSourceAnswered(&digest.Digest{Topics: []digest.Topic{failed, half}}))
	assert.False(t, noSourceAnswered(&digest.Digest{}))
}
