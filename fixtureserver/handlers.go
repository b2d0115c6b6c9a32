package fixtureserver

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Content types the real services send.
const (
	ctJSON = "application/json; charset=utf-8"
	ctAtom = "application/atom+xml; charset=utf-8"
	ctRSS  = "application/rss+xml; charset=utf-8"
	ctRDF  = "application/rdf+xml; charset=utf-8"
	ctFeed = "application/feed+json; charset=utf-8"
	ctHTML = "text/html; charset=utf-8"
)

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hn/api/v1/search", s.route(RouteHN, s.hnSearch))
	mux.HandleFunc("GET /wikipedia/w/api.php", s.route(RouteWikipedia, s.wikiSearch))
	mux.HandleFunc("GET /wikipedia/api/rest_v1/page/summary/{title...}", s.route(RouteWikipedia, s.wikiSummary))
	mux.HandleFunc("GET /wikipedia/wiki/{title...}", s.route(RoutePages, s.wikiPage))
	mux.HandleFunc("GET /arxiv/api/query", s.route(RouteArxiv, s.arxivQuery))
	mux.HandleFunc("GET /arxiv/abs/{id}", s.route(RoutePages, s.arxivAbs))
	mux.HandleFunc("GET /feeds/{file}", s.feed)
	mux.HandleFunc("GET /pages/{path...}", s.route(RoutePages, s.page))
	mux.HandleFunc("GET /slow/feed.xml", s.route(RouteSlow, s.slow))
	mux.HandleFunc("GET /broken/feed.xml", s.route(RouteBroken, func(w http.ResponseWriter, r *http.Request) (int, int) {
		return s.text(w, http.StatusInternalServerError, "text/plain; charset=utf-8", "500 Internal Server Error\n")
	}))
	mux.HandleFunc("GET /malformed/feed.xml", s.route(RouteMalformed, func(w http.ResponseWriter, r *http.Request) (int, int) {
		return s.serveFile(w, r, "misbehaving/truncated.xml", ctRSS)
	}))
	mux.HandleFunc("GET /notfeed/feed.xml", s.route(RouteNotFeed, func(w http.ResponseWriter, r *http.Request) (int, int) {
		// Served with a feed's content type, as misconfigured servers do.
		return s.serveFile(w, r, "misbehaving/notfeed.html", ctRSS)
	}))
	mux.HandleFunc("GET /empty/feed.xml", s.route(RouteEmpty, func(w http.ResponseWriter, r *http.Request) (int, int) {
		return s.text(w, http.StatusOK, ctRSS, "")
	}))
	return mux
}

// handlerFunc writes a response and returns its status and body size.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (status, n int)

// route wraps a handler with the route's latency and counters.
func (s *Server) route(name string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if d := s.opts.Latency[name]; d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		status, n := h(w, r)
		s.count(name, status, n)
	}
}

func (s *Server) text(w http.ResponseWriter, status int, ct, body string) (int, int) {
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	n, _ := w.Write([]byte(body))
	return status, n
}

func (s *Server) json(w http.ResponseWriter, status int, v any) (int, int) {
	b, err := json.Marshal(v)
	if err != nil {
		return s.text(w, http.StatusInternalServerError, "text/plain", err.Error())
	}
	return s.text(w, status, ctJSON, string(b))
}

// serveFile serves a fixture with ETag and Last-Modified, answering
// conditional GETs with 304.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name, ct string) (int, int) {
	b, ok := s.files[name]
	if !ok {
		return s.text(w, http.StatusNotFound, "text/plain; charset=utf-8", "404 page not found\n")
	}
	// {{host}} is the listener that answers: a Wikipedia summary links pages
	// on the wiki it came from.
	b = bytes.ReplaceAll(b, []byte(HostPlaceholder), []byte("http://"+r.Host))
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", etag(b))
	w.Header().Set("Cache-Control", "max-age=300")
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	http.ServeContent(rec, r, "", LastModified, bytes.NewReader(b))
	return rec.status, rec.n
}

type statusRecorder struct {
	http.ResponseWriter
	status, n int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.n += n
	return n, err
}

func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name := ""
	for n, f := range feedFiles {
		if f == file {
			name = n
		}
	}
	if name == "" {
		http.NotFound(w, r)
		return
	}
	ct := ctRSS
	switch {
	case strings.HasSuffix(file, ".atom"):
		ct = ctAtom
	case strings.HasSuffix(file, ".json"):
		ct = ctFeed
	case strings.HasSuffix(file, ".rdf"):
		ct = ctRDF
	}
	s.route(name, func(w http.ResponseWriter, r *http.Request) (int, int) {
		return s.serveFile(w, r, "feeds/"+file, ct)
	})(w, r)
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) (int, int) {
	p := strings.TrimSuffix(cleanPath(r.PathValue("path")), "/")
	return s.serveFile(w, r, "pages/"+p+".html", ctHTML)
}

func (s *Server) slow(w http.ResponseWriter, r *http.Request) (int, int) {
	t := time.NewTimer(s.opts.SlowDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return 0, 0
	}
	return s.serveFile(w, r, "misbehaving/slow.xml", ctRSS)
}

// hnSearch answers like Algolia's /api/v1/search: the recorded hits, cut to
// hitsPerPage. The query is required to be present but not used to filter.
func (s *Server) hnSearch(w http.ResponseWriter, r *http.Request) (int, int) {
	q := r.URL.Query()
	if !q.Has("query") {
		return s.json(w, http.StatusBadRequest, map[string]any{"message": "query parameter is required", "status": 400})
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(s.files["hn/search.json"], &resp); err != nil {
		return s.json(w, http.StatusInternalServerError, map[string]any{"message": err.Error(), "status": 500})
	}
	var hits []json.RawMessage
	_ = json.Unmarshal(resp["hits"], &hits)
	per := 20
	if v, err := strconv.Atoi(q.Get("hitsPerPage")); err == nil && v >= 0 {
		per = min(v, 1000)
	}
	hits = hits[:min(len(hits), per)]
	resp["hits"], _ = json.Marshal(hits)
	resp["hitsPerPage"], _ = json.Marshal(per)
	resp["query"], _ = json.Marshal(q.Get("query"))
	return s.json(w, http.StatusOK, resp)
}

// wikiSearch answers the Action API's list=search like Wikipedia does,
// including its error object for an unsupported request.
func (s *Server) wikiSearch(w http.ResponseWriter, r *http.Request) (int, int) {
	q := r.URL.Query()
	if q.Get("action") != "query" || q.Get("list") != "search" || q.Get("srsearch") == "" {
		return s.json(w, http.StatusOK, map[string]any{"error": map[string]string{
			"code": "badvalue", "info": "this fixture server only answers action=query&list=search with srsearch set",
		}})
	}
	var resp struct {
		Batch    string          `json:"batchcomplete"`
		Continue json.RawMessage `json:"continue"`
		Query    struct {
			SearchInfo json.RawMessage   `json:"searchinfo"`
			Search     []json.RawMessage `json:"search"`
		} `json:"query"`
	}
	if err := json.Unmarshal(s.files["wikipedia/search.json"], &resp); err != nil {
		return s.text(w, http.StatusInternalServerError, "text/plain", err.Error())
	}
	if n, err := strconv.Atoi(q.Get("srlimit")); err == nil && n >= 0 {
		resp.Query.Search = resp.Query.Search[:min(n, len(resp.Query.Search))]
	}
	return s.json(w, http.StatusOK, resp)
}

// wikiSummary answers the REST page summary; an unknown title gets the REST
// API's 404 problem document.
func (s *Server) wikiSummary(w http.ResponseWriter, r *http.Request) (int, int) {
	title := strings.ReplaceAll(r.PathValue("title"), " ", "_")
	name := "wikipedia/summary/" + title + ".json"
	if _, ok := s.files[name]; !ok || strings.Contains(title, "/") {
		return s.json(w, http.StatusNotFound, map[string]string{
			"type":   "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
			"title":  "Not found.",
			"method": "get",
			"detail": "Page or revision not found.",
			"uri":    r.URL.Path,
		})
	}
	return s.serveFile(w, r, name, ctJSON+`; profile="https://www.mediawiki.org/wiki/Specs/Summary/1.5.0"`)
}

// wikiPage renders a minimal article page from the page summary, so that
// the page agent has something to extract.
func (s *Server) wikiPage(w http.ResponseWriter, r *http.Request) (int, int) {
	title := strings.ReplaceAll(r.PathValue("title"), " ", "_")
	var sum struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		ExtractHTML string `json:"extract_html"`
		Timestamp   string `json:"timestamp"`
	}
	b, ok := s.files["wikipedia/summary/"+title+".json"]
	if !ok || json.Unmarshal(b, &sum) != nil {
		return s.text(w, http.StatusNotFound, ctHTML, "<!DOCTYPE html><title>Not Found</title><p>Wikipedia does not have an article with this exact name.</p>")
	}
	e := html.EscapeString
	page := fmt.Sprintf(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s - Wikipedia</title>
<meta property="og:site_name" content="Wikipedia"><meta property="og:title" content="%s">
<meta property="article:modified_time" content="%s"></head>
<body><div id="mw-navigation"><a href="/wiki/Main_Page">Main page</a> <a href="/wiki/Special:Random">Random article</a></div>
<main id="content"><h1 id="firstHeading">%s</h1><div id="siteSub">From Wikipedia, the free encyclopedia</div>
<div class="shortdescription">%s</div><div id="mw-content-text">%s</div></main>
<footer id="footer">Text is available under the Creative Commons Attribution-ShareAlike License.</footer></body></html>
`, e(sum.Title), e(sum.Title), e(sum.Timestamp), e(sum.Title), e(sum.Description), sum.ExtractHTML)
	return s.text(w, http.StatusOK, ctHTML, page)
}

// arxivQuery answers the query API with the recorded Atom feed, or, like
// arXiv, with an Atom error entry when the request has no query.
func (s *Server) arxivQuery(w http.ResponseWriter, r *http.Request) (int, int) {
	q := r.URL.Query()
	if q.Get("search_query") == "" && q.Get("id_list") == "" {
		return s.text(w, http.StatusBadRequest, ctAtom, `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=&amp;id_list=</title>
  <id>http://arxiv.org/api/errors</id>
  <updated>2026-11-25T00:00:00-05:00</updated>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_</id>
    <title>Error</title>
    <summary>either search_query or id_list must be given</summary>
    <updated>2026-11-25T00:00:00-05:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_" rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>
`)
	}
	return s.serveFile(w, r, "arxiv/query.xml", ctAtom)
}

type arxivEntry struct {
	ID        string `xml:"id"`
	Title     string `xml:"title"`
	Summary   string `xml:"summary"`
	Published string `xml:"published"`
	Authors   []struct {
		Name string `xml:"name"`
	} `xml:"author"`
}

func parseArxiv(b []byte) (map[string]arxivEntry, error) {
	var f struct {
		Entries []arxivEntry `xml:"entry"`
	}
	if err := xml.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	out := map[string]arxivEntry{}
	for _, e := range f.Entries {
		id := e.ID[strings.LastIndex(e.ID, "/")+1:]
		out[id] = e
		if i := strings.LastIndex(id, "v"); i > 0 {
			out[id[:i]] = e // the unversioned id names the latest version
		}
	}
	return out, nil
}

// arxivAbs renders an abstract page for a recorded paper.
func (s *Server) arxivAbs(w http.ResponseWriter, r *http.Request) (int, int) {
	e, ok := s.arxiv[r.PathValue("id")]
	if !ok {
		return s.text(w, http.StatusNotFound, ctHTML, "<!DOCTYPE html><title>Article identifier not recognized</title><p>Article identifier not recognized.</p>")
	}
	var names []string
	for _, a := range e.Authors {
		names = append(names, html.EscapeString(a.Name))
	}
	es := html.EscapeString
	title := strings.Join(strings.Fields(e.Title), " ")
	page := fmt.Sprintf(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>[%s] %s</title>
<meta name="citation_title" content="%s"><meta name="citation_date" content="%s">
<meta property="og:site_name" content="arXiv.org"></head>
<body><header><a href="/">arXiv</a> &gt; cs &gt; %s</header>
<div id="abs"><h1 class="title mathjax">%s</h1><div class="authors">Authors: %s</div>
<blockquote class="abstract mathjax"><span class="descriptor">Abstract:</span> %s</blockquote></div>
<footer>About · Help · Contact · Subscribe</footer></body></html>
`, es(r.PathValue("id")), es(title), es(title), es(e.Published), es(r.PathValue("id")), es(title),
		strings.Join(names, ", "), es(strings.Join(strings.Fields(e.Summary), " ")))
	return s.text(w, http.StatusOK, ctHTML, page)
}
