package page

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents/fetch"
)

// hostilePage is the page the review found: 14 MB of
// <p>a</p><b>x</b><i>y</i> repeated 600,000 times (1.8 million elements).
func hostilePage() []byte {
	var b bytes.Buffer
	b.WriteString("<!doctype html><html><head><title>t</title></head><body>")
	b.Write(bytes.Repeat([]byte("<p>a</p><b>x</b><i>y</i>"), 600_000))
	b.WriteString("</body></html>")
	return b.Bytes()
}

// peakHeap runs f while sampling the live heap, and returns the highest
// HeapAlloc seen above the level before f ran. Sampling every millisecond
// misses short spikes, so the test also bounds TotalAlloc.
func peakHeap(f func()) (peak, total uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	peakc := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var p uint64
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > before.HeapAlloc && m.HeapAlloc-before.HeapAlloc > p {
				p = m.HeapAlloc - before.HeapAlloc
			}
			select {
			case <-done:
				peakc <- p
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	f()
	close(done)
	peak = <-peakc
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return peak, after.TotalAlloc - before.TotalAlloc
}

// largestAcceptedPage is about MaxPageBytes of elements with classes and
// attributes, just under MaxElements: the costliest page ExtractHTML parses.
func largestAcceptedPage() []byte {
	el := `<p class="` + strings.Repeat("c ", 20) + `" data-x="` + strings.Repeat("y", 20) + `">word word </p>`
	n := min((MaxPageBytes-100)/len(el), MaxElements-10)
	return append([]byte("<html><body>"), bytes.Repeat([]byte(el), n)...)
}

// TestExtractHTMLHostileMemory: pages made of many tiny elements are refused
// before a DOM is built, with next to no memory (before the pre-count the
// 14 MB page cost 482 MiB of peak heap). The costliest page that is parsed
// is measured by BenchmarkExtractHTMLLargestPage (too slow under -race for a
// unit test).
func TestExtractHTMLHostileMemory(t *testing.T) {
	tests := []struct {
		name    string
		page    []byte
		wantErr error
		peak    uint64
	}{
		{"14 MB of <p>a</p><b>x</b><i>y</i>", hostilePage(), ErrTooComplex, 16 << 20},
		{"elements one past the cap", append([]byte("<body>"), bytes.Repeat([]byte("<br>"), MaxElements)...), ErrTooComplex, 16 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			peak, total := peakHeap(func() {
				_, err = ExtractHTML(tc.page, "https://hostile.example/")
			})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NotErrorIs(t, err, ErrTooComplex)
			}
			t.Logf("%d-byte page: peak heap %d MiB, allocated %d MiB", len(tc.page), peak>>20, total>>20)
			assert.Less(t, peak, tc.peak, "peak heap")
		})
	}
}

// BenchmarkExtractHTMLLargestPage reports the peak heap of extracting the
// costliest page ExtractHTML accepts (about MaxPageBytes, just under
// MaxElements elements). Run:
//
//	go test -run XXX -bench LargestPage -benchtime 3x ./agents/page/
func BenchmarkExtractHTMLLargestPage(b *testing.B) {
	page := largestAcceptedPage()
	var worst uint64
	for b.Loop() {
		var err error
		peak, _ := peakHeap(func() { _, err = ExtractHTML(page, "https://hostile.example/") })
		if errors.Is(err, ErrTooComplex) {
			b.Fatal(err)
		}
		worst = max(worst, peak)
	}
	b.ReportMetric(float64(worst)/(1<<20), "peak-heap-MiB")
}

// TestCountElements: the pre-count stops just past the cap and counts what
// html.Parse would build (start and self-closing tags, not text or comments).
func TestCountElements(t *testing.T) {
	tests := []struct {
		name  string
		page  string
		max   int
		count int
		over  bool
	}{
		{"empty", "", 10, 0, false},
		{"text and comments only", "hello <!-- <p> --> world", 10, 0, false},
		{"self-closing counted", "<br/><img src=x><p>a</p>", 10, 3, false},
		{"script body not counted", "<script>for(;;){'<p><p><p>'}</script>", 10, 1, false},
		{"at the cap", strings.Repeat("<p>a</p>", 10), 10, 10, false},
		{"one past the cap", strings.Repeat("<p>a</p>", 11), 10, 11, true},
		{"stops counting past the cap", strings.Repeat("<i>", 1000), 10, 11, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, over := countElements([]byte(tc.page), tc.max)
			assert.Equal(t, tc.count, n)
			assert.Equal(t, tc.over, over)
		})
	}
}

// TestExtractHostilePages fetches hostile pages from a loopback server: a
// body over MaxPageBytes is refused by the fetch (not read whole), a small
// page of many elements is refused before parsing.
func TestExtractHostilePages(t *testing.T) {
	big := hostilePage()
	small := append([]byte("<html><body>"), bytes.Repeat([]byte("<p>a</p><b>x</b><i>y</i>"), 100_000)...) // 2.4 MB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write(big)
		case "/big-chunked":
			for i := 0; i < len(big); i += 64 << 10 {
				if _, err := w.Write(big[i:min(i+64<<10, len(big))]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/many-elements":
			_, _ = w.Write(small)
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t)
	tests := []struct {
		name     string
		path     string
		wantKind fetch.ErrorKind
		wantErr  error
	}{
		{"14 MB page with Content-Length", "/big", fetch.KindTooLarge, nil},
		{"14 MB page chunked", "/big-chunked", fetch.KindTooLarge, nil},
		{"2.4 MB page of 300,000 elements", "/many-elements", "", ErrTooComplex},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			peak, _ := peakHeap(func() { _, err = Extract(context.Background(), c, srv.URL+tc.path) })
			require.Error(t, err)
			if tc.wantKind != "" {
				assert.Equal(t, tc.wantKind, fetch.KindOf(err), "%v", err)
				assert.Contains(t, err.Error(), "response larger than 5.0 MiB")
			}
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			t.Logf("peak heap %d MiB", peak>>20)
			assert.Less(t, peak, uint64(64<<20))
		})
	}
}

// TestExtractHTMLStripsControls: what a page says in its title, byline, site
// name and text reaches the terminal without escape sequences.
func TestExtractHTMLStripsControls(t *testing.T) {
	para := strings.Repeat("The harbour wall will be rebuilt over three years with money from the town. ", 4)
	page := "<html lang=\"en\u001b[2J\"><head><title>Sea wall\u001b]0;pwned\u0007 vote</title>" +
		"<meta name=\"author\" content=\"Maren\u009b2J Holt\u007f\">" +
		"<meta property=\"og:site_name\" content=\"Courier\u001b[31m\">" +
		"</head><body><article><h1>Sea wall\u001b]0;pwned\u0007 vote</h1>" +
		"<p>" + para + "\u001b[2J</p><p>" + para + "\u009b31m</p><p>" + para + "</p></article></body></html>"
	ex, err := ExtractHTML([]byte(page), "https://news.example/a")
	require.NoError(t, err)
	for name, v := range map[string]string{"title": ex.Title, "byline": ex.Byline, "site": ex.Site, "text": ex.Text, "lang": ex.Lang, "excerpt": ex.Excerpt} {
		t.Run(name, func(t *testing.T) {
			assert.False(t, strings.ContainsFunc(v, func(r rune) bool {
				return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f
			}), "%q", v)
		})
	}
	assert.Equal(t, "Sea wall vote", ex.Title)
	assert.Equal(t, "Maren Holt", ex.Byline)
	assert.Equal(t, "Courier", ex.Site)
	assert.NotContains(t, ex.Text, "[2J")
}
