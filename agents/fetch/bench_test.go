package fetch

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// feedCorpus builds n RSS documents of about size bytes each, from a fixed
// seed so every run serves the same bytes. Words are drawn from a mixed
// vocabulary so gzip sees text-like redundancy, not a run of one string.
func feedCorpus(n, size int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := strings.Fields(`research fetch feed article question analysis source server cache politeness
		network latency bandwidth token summary keyphrase duplicate ranking relevance client deadline
		retry backoff jitter header body compression charset encoding parser extraction readability
		wikipedia arxiv hacker news story comment point author category abstract published updated`)
	docs := make([]string, n)
	for i := range docs {
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title>`, i)
		for item := 0; b.Len() < size; item++ {
			fmt.Fprintf(&b, "<item><title>Item %d-%d</title><link>https://example.org/%d/%d</link><description>", i, item, i, item)
			for w := 0; w < 60; w++ {
				b.WriteString(vocab[rng.IntN(len(vocab))])
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%x</description></item>", rng.Uint64())
		}
		b.WriteString("</channel></rss>")
		docs[i] = b.String()
	}
	return docs
}

// feedServer serves the corpus at /feed/<i> like a well-behaved feed host:
// ETag and Last-Modified, gzip when asked (and compress is set), a bare 304
// when unchanged. /changing/<i> serves the same bytes under a new ETag every
// time, so a cache must store a fresh copy on each request.
func feedServer(tb testing.TB, docs []string, compress bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		changing := strings.HasPrefix(r.URL.Path, "/changing/")
		if _, err := fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/changing"), "/feed/%d", &i); err != nil || i < 0 || i >= len(docs) {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"feed-%d-v1"`, i)
		if changing {
			etag = fmt.Sprintf(`"feed-%d-%d"`, i, rand.Uint64())
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Tue, 24 Nov 2026 10:00:00 GMT")
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		if compress && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			_, _ = io.WriteString(gz, docs[i])
			_ = gz.Close()
			return
		}
		_, _ = io.WriteString(w, docs[i])
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// fetchAll fetches every feed once with a fresh client (one "run" of the
// tool) and returns the bytes read from the network and the cache hits.
func fetchAll(tb testing.TB, srvURL, cachePath string, n int) (wire, hits int64) {
	c, err := New(Options{CachePath: cachePath, PerHostParallel: 4})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		if _, err := c.Get(context.Background(), Request{URL: fmt.Sprintf("%s/feed/%d", srvURL, i)}); err != nil {
			tb.Fatal(err)
		}
	}
	st := c.Stats()
	return st.WireBytes, st.CacheHits
}

// BenchmarkBandwidthSecondRun measures what a second run over 20 unchanged
// feeds (~100 KB each) transfers compared with the first: the target is < 5%.
func BenchmarkBandwidthSecondRun(b *testing.B) {
	const feeds = 20
	docs := feedCorpus(feeds, 100<<10)
	for _, compress := range []bool{true, false} {
		name := "gzip"
		if !compress {
			name = "identity"
		}
		b.Run(name, func(b *testing.B) {
			srv := feedServer(b, docs, compress)
			var first, second int64
			for i := 0; b.Loop(); i++ {
				path := filepath.Join(b.TempDir(), fmt.Sprintf("http-%d.db", i))
				w1, _ := fetchAll(b, srv.URL, path, feeds)
				w2, hits := fetchAll(b, srv.URL, path, feeds)
				if hits != feeds {
					b.Fatalf("second run: %d cache hits, want %d", hits, feeds)
				}
				first, second = w1, w2
			}
			b.ReportMetric(float64(first), "run1-wire-B")
			b.ReportMetric(float64(second), "run2-wire-B")
			b.ReportMetric(100*float64(second)/float64(first), "run2/run1-%")
		})
	}
}

// BenchmarkGet measures the per-request cost of the client on loopback for a
// 10 KB document: without the cache, with the cache answering 304s, and with
// the cache storing a fresh 200 every time.
func BenchmarkGet(b *testing.B) {
	// Uncompressed, so the numbers are the client's and the cache's, not gzip's.
	srv := feedServer(b, feedCorpus(1, 10<<10), false)
	cases := []struct {
		name  string
		url   string
		cache bool
	}{
		{"no-cache", srv.URL + "/feed/0", false},
		{"cache-304", srv.URL + "/feed/0", true},
		{"cache-store-200", srv.URL + "/changing/feed/0", true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			opts := Options{}
			if tc.cache {
				opts.CachePath = filepath.Join(b.TempDir(), "http.db")
			}
			c, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			if _, err := c.Get(ctx, Request{URL: tc.url}); err != nil { // warm the connection and the cache
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Get(ctx, Request{URL: tc.url}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
		})
	}
}

// TestBandwidthSmoke runs the bandwidth scenario once in the normal test
// suite so a regression in the conditional GET fails CI, not only the bench.
func TestBandwidthSmoke(t *testing.T) {
	const feeds = 5
	srv := feedServer(t, feedCorpus(feeds, 100<<10), true)
	path := filepath.Join(t.TempDir(), "http.db")
	w1, _ := fetchAll(t, srv.URL, path, feeds)
	w2, hits := fetchAll(t, srv.URL, path, feeds)
	if hits != feeds {
		t.Fatalf("second run: %d cache hits, want %d", hits, feeds)
	}
	if ratio := float64(w2) / float64(w1); ratio >= 0.05 {
		t.Fatalf("second run transferred %d bytes, %.1f%% of the first (%d); want < 5%%", w2, 100*ratio, w1)
	}
}
