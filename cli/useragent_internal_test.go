package cli

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/config"
)

// TestUserAgentCarriesContact: http.contact reaches the User-Agent every
// request sends, in the form Wikimedia's policy asks for.
func TestUserAgentCarriesContact(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	cfg := config.Default()
	cfg.HTTP.Cache = "off"
	cfg.HTTP.Contact = "ops@example.org"
	c, err := newClient(cfg, nil)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Get(t.Context(), fetch.Request{URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, "research/"+Version+" (https://github.com/research-cli/research; ops@example.org) Go-http-client", <-got)
}
