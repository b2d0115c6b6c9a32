package feed

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/internal/corpus"
	"github.com/research-cli/research/models"
)

// corpusDir is ../shared/corpus/feeds, or the test skips when it is absent.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	return corpus.Require(tb, "feeds")
}

type corpusFile struct {
	rel  string
	body []byte
}

func corpusFiles(tb testing.TB) []corpusFile {
	root := corpusDir(tb)
	var out []corpusFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, corpusFile{rel: filepath.ToSlash(rel), body: b})
		return nil
	})
	require.NoError(tb, err)
	require.NotEmpty(tb, out)
	return out
}

// TestCorpus runs every real-world feed of the corpus through Parse: each
// either gives articles that are well formed or fails with a classified
// error, and none panics.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	parsed, failed := 0, 0
	for _, f := range files {
		t.Run(f.rel, func(t *testing.T) {
			arts, err := Parse(f.body, "", "https://corpus.example/"+f.rel, models.Source{Name: "corpus", Kind: models.KindFeed})
			if err != nil {
				failed++
				var fe *fetch.Error
				require.True(t, errors.As(err, &fe), "unclassified error %v", err)
				assert.Contains(t, []fetch.ErrorKind{fetch.KindNotAFeed, fetch.KindMalformed, fetch.KindEmpty}, fe.Kind)
				assert.Contains(t, err.Error(), "https://corpus.example/"+f.rel, "the error names the URL")
				t.Logf("%s: %v", f.rel, err)
				return
			}
			parsed++
			if !strings.HasSuffix(f.rel, ".json") {
				// Never more articles than items: nothing is invented.
				items := bytes.Count(f.body, []byte("<item")) + bytes.Count(f.body, []byte("<entry"))
				assert.LessOrEqual(t, len(arts), items)
			}
			ids := map[string]bool{}
			for _, a := range arts {
				assert.Len(t, a.ID, 16)
				assert.False(t, ids[a.ID], "duplicate id in %s", f.rel)
				ids[a.ID] = true
				assert.NotContains(t, a.Summary, "<p>", "summary is plain text")
				assert.NotContains(t, a.Title, "\uFFFD", "title decoded cleanly")
			}
		})
	}
	t.Logf("%d parsed, %d failed with a classified error", parsed, failed)
}

// TestCorpusKnown pins what a few corpus feeds must give: item counts,
// titles, and charsets decoded right.
func TestCorpusKnown(t *testing.T) {
	root := corpusDir(t)
	tests := []struct {
		file     string
		count    int
		title    string // must be among the titles
		wantKind fetch.ErrorKind
	}{
		{file: "miniflux/parser/small_atom.xml", count: 20, title: "Parse podcast categories"},
		{file: "miniflux/parser/large_rss.xml", count: 25, title: "Using vale with vim"},
		{file: "miniflux/parser/encoding_ISO-8859-1.xml", count: 40, title: "Physik: Weg mit der Schönheit!"},
		{file: "miniflux/parser/encoding_WINDOWS-1251.xml", count: 50, title: "Цитата #17703"},
		{file: "miniflux/parser/no_encoding_ISO-8859-1.xml", count: 9, title: "Perturbateurs endocriniens : quels effets sur le cerveau ?"},
		{file: "miniflux/parser/rdf_UTF8.xml", count: 60, title: "OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen"},
		{file: "miniflux/parser/urdu_UTF8.xml", count: 26},
		{file: "miniflux/encoding/koi8r.xml", count: 2, title: "Первая новость"},
		{file: "miniflux/encoding/utf8-incorrect-prolog.xml", count: 1, title: "Café"},
		{file: "miniflux/encoding/invalid-prolog.xml", count: 1, title: "Café"},
		{file: "feedjira/json_feed.json", count: 20, title: "JSON Feed"},
		{file: "feedjira/TechCrunch.xml", count: 20, title: "Maybe BBM Music Isn’t So Silly After All"},
		{file: "feedjira/DuplicateContentAtomFeed.xml", count: 10, title: "Down time"},           // an Atom feed inside an XHTML page
		{file: "feedjira/InvalidDateFormat.xml", count: 2, title: "Item 1 with all valid dates"}, // lacks </rss>
		{file: "feedjira/TechCrunchFirstEntry.xml", wantKind: fetch.KindNotAFeed},
		{file: "miniflux/encoding/utf8.html", wantKind: fetch.KindNotAFeed},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, tc.file))
			require.NoError(t, err)
			// Counts every item: no cap (Articles keeps DefaultMaxItems otherwise).
			arts, err := Parse(b, "", "https://corpus.example/", models.Source{Name: "c", MaxResults: 1000})
			if tc.wantKind != "" {
				assert.Equal(t, tc.wantKind, fetch.KindOf(err), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Len(t, arts, tc.count)
			if tc.title != "" {
				var titles []string
				for _, a := range arts {
					titles = append(titles, a.Title)
				}
				assert.Contains(t, titles, tc.title)
			}
		})
	}
}

// BenchmarkParseCorpus measures feed parsing throughput (bytes in, articles
// out, HTML to text included) over every feed of the corpus.
func BenchmarkParseCorpus(b *testing.B) {
	var feeds []corpusFile
	var total int64
	for _, f := range corpusFiles(b) {
		if _, err := Parse(f.body, "", "https://corpus.example/", models.Source{Name: "c"}); err == nil {
			feeds = append(feeds, f)
			total += int64(len(f.body))
		}
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, f := range feeds {
			if _, err := Parse(f.body, "", "https://corpus.example/", models.Source{Name: "c"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(feeds)), "feeds")
}

// BenchmarkSanitize measures the invalid-XML repair alone.
func BenchmarkSanitize(b *testing.B) {
	var all []byte
	for _, f := range corpusFiles(b) {
		all = append(all, f.body...)
	}
	b.SetBytes(int64(len(all)))
	for b.Loop() {
		sanitizeXML(all)
	}
}
