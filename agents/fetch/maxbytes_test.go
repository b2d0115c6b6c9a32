package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestMaxBytes: a per-request cap lowers the client's cap for that
// request only, never raises it, and holds for compressed bodies and stored
// copies too.
func TestRequestMaxBytes(t *testing.T) {
	plain := bytes.Repeat([]byte("<p>a</p>"), (2<<20)/8) // 2 MiB
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(plain)
	require.NoError(t, zw.Close())
	require.Less(t, gz.Len(), 1<<20, "the compressed body fits the cap; only its inflation does not")
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/gzip" {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(gz.Bytes())
			return
		}
		_, _ = w.Write(plain)
	}))
	tests := []struct {
		name      string
		clientCap int64
		maxBytes  int64
		path      string
		message   string // "" when the body must arrive whole
	}{
		{"no per-request cap", 0, 0, "/plain", ""},
		{"per-request cap above the body", 0, 4 << 20, "/plain", ""},
		{"per-request cap below the body", 0, 1 << 20, "/plain", "response larger than 1.0 MiB"},
		{"per-request cap cannot raise the client's", 1 << 20, 8 << 20, "/plain", "response larger than 1.0 MiB"},
		{"gzip inflating past the per-request cap", 0, 1 << 20, "/gzip", "response larger than 1.0 MiB after decompression"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, Options{MaxBodyBytes: tc.clientCap})
			resp, err := c.Get(context.Background(), Request{URL: srv.URL + tc.path, MaxBytes: tc.maxBytes})
			if tc.message == "" {
				require.NoError(t, err)
				assert.Equal(t, plain, resp.Body)
				return
			}
			require.Error(t, err)
			assert.Equal(t, KindTooLarge, KindOf(err))
			assert.Equal(t, srv.URL+tc.path+": "+tc.message, err.Error())
		})
	}
}

// TestRequestMaxBytesStoredCopy: a copy stored under the client's cap is not
// handed to a request with a smaller one.
func TestRequestMaxBytesStoredCopy(t *testing.T) {
	vs := &validatorServer{body: string(bytes.Repeat([]byte("<entry>x</entry>"), 8<<10))} // 128 KiB
	srv := newServer(t, vs)
	c := newClient(t, Options{CachePath: filepath.Join(t.TempDir(), "http.db")})
	ctx := context.Background()
	_, err := c.Get(ctx, Request{URL: srv.URL + "/feed"})
	require.NoError(t, err)

	_, err = c.Get(ctx, Request{URL: srv.URL + "/feed", MaxBytes: 64 << 10})
	require.Error(t, err)
	assert.Equal(t, KindTooLarge, KindOf(err))
	assert.Contains(t, err.Error(), "response larger than 64 KiB (the stored copy)")

	again, err := c.Get(ctx, Request{URL: srv.URL + "/feed", MaxBytes: 1 << 20})
	require.NoError(t, err)
	assert.True(t, again.FromCache)
}
