// Package fixtureserver serves the project's recorded fixtures on loopback,
// shaped like the real services (Hacker News search, Wikipedia, arXiv, feeds
// and article pages), plus misbehaving sources, so that the demo and the
// tests run the whole pipeline without a network.
package fixtureserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	research "github.com/research-cli/research"
	"github.com/research-cli/research/models"
)

// Placeholder is how fixture files write the server's main address (where
// the article pages live); HostPlaceholder is the address of the listener
// answering the request.
const (
	Placeholder     = "{{base}}"
	HostPlaceholder = "{{host}}"
)

// Question is the demo question the fixtures were recorded around.
const Question = "sparse attention for long documents"

// LastModified is the Last-Modified time of every served fixture.
var LastModified = time.Date(2026, 11, 21, 9, 31, 0, 0, time.UTC)

// Route names, as used by Options.Latency and Stats. Feeds are named after
// their source (FeedNames); pages are served under RoutePages.
const (
	RouteHN        = "hn"
	RouteWikipedia = "wikipedia"
	RouteArxiv     = "arxiv"
	RoutePages     = "pages"
	RouteSlow      = "slow-feed"
	RouteBroken    = "broken-feed"
	RouteMalformed = "malformed-feed"
	RouteNotFeed   = "notfeed-feed"
	RouteEmpty     = "empty-feed"
)

// feedFiles maps each healthy feed source to its fixture under feeds/.
var feedFiles = map[string]string{
	"ml-weekly":      "ml-weekly.xml",       // RSS 2.0 with content:encoded
	"systems-digest": "systems-digest.atom", // Atom 1.0
	"preprint-watch": "preprint-watch.json", // JSON Feed 1.1
	"lab-notes":      "lab-notes.rdf",       // RSS 1.0 (RDF)
}

// FeedNames lists the healthy feed sources, sorted.
func FeedNames() []string {
	names := make([]string, 0, len(feedFiles))
	for n := range feedFiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Options configure a Server. Zero values mean the defaults.
type Options struct {
	// Addr is the main listener's address; default 127.0.0.1:0.
	Addr string
	// Latency delays every answer of a route (RouteHN, a feed's name, …) by the
	// given time, to make concurrency visible. See DemoLatency.
	Latency map[string]time.Duration
	// SlowDelay is how long the slow feed sleeps before answering (default
	// 1 minute); the wait ends early when the client gives up.
	SlowDelay time.Duration
	// Fixtures replaces the embedded fixtures (a tree laid out like
	// testdata/fixtures).
	Fixtures fs.FS
}

// DemoLatency is a realistic spread of latencies for the demo.
func DemoLatency() map[string]time.Duration {
	return map[string]time.Duration{
		RouteHN:          200 * time.Millisecond,
		RouteArxiv:       350 * time.Millisecond,
		RouteWikipedia:   120 * time.Millisecond,
		"ml-weekly":      90 * time.Millisecond,
		"systems-digest": 160 * time.Millisecond,
		"preprint-watch": 60 * time.Millisecond,
		"lab-notes":      280 * time.Millisecond,
		RoutePages:       80 * time.Millisecond,
		RouteBroken:      40 * time.Millisecond,
	}
}

// RouteStats counts what one route answered.
type RouteStats struct {
	Requests    int // every request, including 304s
	NotModified int // conditional GETs answered 304
	Bytes       int64
}

// Server is a running fixture server. Each source gets a listener (a port)
// of its own, the way real sources live on different hosts, so that a
// client's per-host politeness does not serialise the demo; every listener
// serves every route.
type Server struct {
	opts      Options
	fsys      fs.FS
	base      string
	listeners map[string]net.Listener // by source name; "" is the main one
	srv       *http.Server
	done      chan struct{}
	files     map[string][]byte // rewritten fixtures by path
	arxiv     map[string]arxivEntry

	mu        sync.Mutex
	stats     map[string]*RouteStats
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Start listens on loopback and serves until ctx ends or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = time.Minute
	}
	fsys := opts.Fixtures
	if fsys == nil {
		sub, err := fs.Sub(research.Fixtures, "testdata/fixtures")
		if err != nil {
			return nil, fmt.Errorf("fixtureserver: embedded fixtures: %w", err)
		}
		fsys = sub
	}
	s := &Server{opts: opts, fsys: fsys, listeners: map[string]net.Listener{}, stats: map[string]*RouteStats{},
		done: make(chan struct{})}
	var lc net.ListenConfig
	for _, name := range append([]string{""}, s.sourceNames()...) {
		addr := "127.0.0.1:0"
		if name == "" {
			addr = opts.Addr
		}
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			for _, l := range s.listeners {
				l.Close()
			}
			return nil, fmt.Errorf("fixtureserver: listen %s: %w", addr, err)
		}
		s.listeners[name] = l
	}
	s.base = "http://" + s.listeners[""].Addr().String()
	if err := s.load(); err != nil {
		for _, l := range s.listeners {
			l.Close()
		}
		return nil, err
	}
	s.srv = &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	for _, l := range s.listeners {
		s.wg.Go(func() { _ = s.srv.Serve(l) })
	}
	s.wg.Go(func() {
		select {
		case <-ctx.Done():
			_ = s.shutdown()
		case <-s.done:
		}
	})
	return s, nil
}

func (s *Server) sourceNames() []string {
	names := []string{RouteHN, RouteWikipedia, RouteArxiv}
	names = append(names, FeedNames()...)
	return append(names, RouteSlow, RouteBroken, RouteMalformed, RouteNotFeed, RouteEmpty)
}

// load reads every fixture once and rewrites the placeholder to the main
// listener's address.
func (s *Server) load() error {
	s.files = map[string][]byte{}
	err := fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(s.fsys, p)
		if err != nil {
			return err
		}
		s.files[p] = bytes.ReplaceAll(b, []byte(Placeholder), []byte(s.base))
		return nil
	})
	if err != nil {
		return fmt.Errorf("fixtureserver: read fixtures: %w", err)
	}
	s.arxiv, err = parseArxiv(s.files["arxiv/query.xml"])
	if err != nil {
		return fmt.Errorf("fixtureserver: arxiv/query.xml: %w", err)
	}
	return nil
}

// URL is the main listener's base URL (http://127.0.0.1:PORT), where the
// article pages live.
func (s *Server) URL() string { return s.base }

// SourceURL is the base URL of the listener dedicated to the named source.
func (s *Server) SourceURL(name string) string {
	if l, ok := s.listeners[name]; ok {
		return "http://" + l.Addr().String()
	}
	return s.base
}

// Sources returns the demo's sources pointing at the server: Hacker News,
// Wikipedia, arXiv, the healthy feeds, a slow feed (with a 2 s deadline of
// its own, which it misses) and a broken one (HTTP 500). With kinds, only
// sources of those kinds are returned.
func (s *Server) Sources(kinds ...models.SourceKind) []models.Source {
	all := []models.Source{
		{Name: RouteHN, Kind: models.KindHackerNews, URL: s.SourceURL(RouteHN) + "/hn/api/v1"},
		{Name: RouteWikipedia, Kind: models.KindWikipedia, URL: s.SourceURL(RouteWikipedia) + "/wikipedia", Language: "en"},
		{Name: RouteArxiv, Kind: models.KindArxiv, URL: s.SourceURL(RouteArxiv) + "/arxiv"},
	}
	for _, n := range FeedNames() {
		all = append(all, models.Source{Name: n, Kind: models.KindFeed, URL: s.SourceURL(n) + "/feeds/" + feedFiles[n]})
	}
	all = append(all,
		models.Source{Name: RouteSlow, Kind: models.KindFeed, URL: s.SourceURL(RouteSlow) + "/slow/feed.xml", Timeout: 2 * time.Second},
		models.Source{Name: RouteBroken, Kind: models.KindFeed, URL: s.SourceURL(RouteBroken) + "/broken/feed.xml"},
	)
	if len(kinds) == 0 {
		return all
	}
	var out []models.Source
	for _, src := range all {
		if slices.Contains(kinds, src.Kind) {
			out = append(out, src)
		}
	}
	return out
}

// MisbehavingSources returns feed sources that fail in the ways real feeds
// do: slow (sleeps past any sensible deadline), broken (HTTP 500),
// malformed (truncated XML), notfeed (an HTML page served as a feed) and
// empty (an empty 200).
func (s *Server) MisbehavingSources() []models.Source {
	mk := func(name, p string) models.Source {
		return models.Source{Name: name, Kind: models.KindFeed, URL: s.SourceURL(name) + p}
	}
	return []models.Source{
		mk(RouteSlow, "/slow/feed.xml"),
		mk(RouteBroken, "/broken/feed.xml"),
		mk(RouteMalformed, "/malformed/feed.xml"),
		mk(RouteNotFeed, "/notfeed/feed.xml"),
		mk(RouteEmpty, "/empty/feed.xml"),
	}
}

// Stats returns a copy of the per-route counters.
func (s *Server) Stats() map[string]RouteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]RouteStats, len(s.stats))
	for k, v := range s.stats {
		out[k] = *v
	}
	return out
}

// Close stops the server and waits for its goroutines. In-flight requests
// (the slow feed's) are cut off.
func (s *Server) Close() error {
	err := s.shutdown()
	s.wg.Wait()
	return err
}

func (s *Server) shutdown() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.srv.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	})
	return err
}

func (s *Server) count(route string, status int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[route]
	if st == nil {
		st = &RouteStats{}
		s.stats[route] = st
	}
	st.Requests++
	if status == http.StatusNotModified {
		st.NotModified++
	}
	st.Bytes += int64(n)
}

// etag is a strong validator of a fixture's bytes.
func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func cleanPath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
