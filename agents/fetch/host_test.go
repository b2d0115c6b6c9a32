package fetch

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name, value string
		want        time.Duration
	}{
		{"seconds", "120", 2 * time.Minute},
		{"spaces", " 3 ", 3 * time.Second},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
		{"empty", "", 0},
		{"absurd", "99999999999999999", 365 * 24 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, parseRetryAfter(tc.value, now))
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Wed, 25 Nov 2026 12:00:00 GMT", "", "-1", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, time.Now())
		assert.GreaterOrEqual(t, d, time.Duration(0))
	})
}

func TestHostKey(t *testing.T) {
	cases := map[string]string{
		"http://Example.org/feed":    "example.org:80",
		"https://example.org/feed":   "example.org:443",
		"https://EXAMPLE.org:443/x":  "example.org:443",
		"http://127.0.0.1:8080/x":    "127.0.0.1:8080",
		"https://[2001:db8::1]/feed": "[2001:db8::1]:443",
	}
	for raw, want := range cases {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			assert.Equal(t, want, hostKey(u))
		})
	}
}
