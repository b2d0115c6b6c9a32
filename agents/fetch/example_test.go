package fetch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/research-cli/research/agents/fetch"
)

// A second fetch of an unchanged document is a 304 answered from the cache.
func ExampleClient_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = io.WriteString(w, `<rss version="2.0"><channel><title>Example</title></channel></rss>`)
	}))
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "fetch-example")
	defer os.RemoveAll(dir)

	c, err := fetch.New(fetch.Options{CachePath: filepath.Join(dir, "http.db")})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for range 2 {
		resp, err := c.Get(context.Background(), fetch.Request{URL: srv.URL + "/feed", Accept: "application/rss+xml"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.Status, resp.FromCache, len(resp.Body))
	}
	fmt.Println("cache hits:", c.Stats().CacheHits)
	// Output:
	// 200 false 66
	// 304 true 66
	// cache hits: 1
}

// Errors are one line naming the URL; KindOf classifies them.
func ExampleKindOf() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	}))
	defer srv.Close()
	c, _ := fetch.New(fetch.Options{})
	defer c.Close()
	_, err := c.Get(context.Background(), fetch.Request{URL: srv.URL + "/feed"})
	fmt.Println(fetch.KindOf(err))
	fmt.Println(err.Error()[len(srv.URL):])
	// Output:
	// http_4xx
	// /feed: HTTP 410 Gone
}
