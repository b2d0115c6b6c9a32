package digest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)

// seen is a SeenFilter over literal keys.
type seen struct{ urls, titles []string }

func (s seen) Seen(u, tk string) bool {
	for _, x := range s.urls {
		if u != "" && x == u {
			return true
		}
	}
	for _, x := range s.titles {
		if tk != "" && x == tk {
			return true
		}
	}
	return false
}

// mapSeen is a SeenFilter by URL with the store's cost (a map lookup).
type mapSeen map[string]bool

func (m mapSeen) Seen(u, _ string) bool { return m[u] }

func art(id, title, url string, daysAgo int) models.Article {
	return models.Article{ID: id, Source: "feed-" + id, Kind: "feed", URL: url, Title: title,
		Published: now.Add(-time.Duration(daysAgo) * 24 * time.Hour)}
}

// result builds a result whose analysis ranks the articles in the given order.
func result(arts []models.Article, groups ...models.Group) *models.Result {
	r := &models.Result{Articles: arts, Analysis: models.NewEmptyReport("q"),
		Sources: []models.SourceResult{{Name: "a", Fetched: len(arts), Kept: len(arts)}, {Name: "b"}}}
	for i, a := range arts {
		r.Analysis.Ranking = append(r.Analysis.Ranking, models.RankedArticle{ID: a.ID, Score: float64(10 - i), Keywords: []string{"kp " + a.ID}})
		r.Analysis.Summary = append(r.Analysis.Summary, models.SummarySentence{Text: "About " + a.ID + ".", ArticleID: a.ID})
	}
	r.Analysis.Groups = groups
	return r
}

func ids(t digest.Topic) []string {
	var out []string
	for _, it := range t.Items {
		out = append(out, it.ID)
	}
	return out
}

func TestSelection(t *testing.T) {
	five := []models.Article{
		art("a1", "Sparse attention at 64k tokens", "https://a.example/1", 1),
		art("a2", "Why your LLM forgets the middle", "https://a.example/2?utm_source=x", 2),
		art("a3", "Ring attention explained with diagrams", "https://a.example/3", 3),
		art("a4", "Block-sparse kernels beat FlashAttention", "https://a.example/4", 4),
		art("a5", "Evicting the right tokens from the KV cache", "https://a.example/5", 5),
	}
	tests := []struct {
		name    string
		inputs  []digest.Input
		opts    digest.Options
		want    [][]string
		check   func(t *testing.T, d *digest.Digest)
		wantWhy []string
	}{
		{
			name:   "all new, ranking order",
			inputs: []digest.Input{{Topic: "t", Result: result(five)}},
			want:   [][]string{{"a1", "a2", "a3", "a4", "a5"}},
		},
		{
			name: "seen by canonical url despite tracking params and a trailing slash",
			inputs: []digest.Input{{Topic: "t", Result: result(five),
				Seen: seen{urls: []string{"https://a.example/2", "https://a.example/4"}}}},
			want: [][]string{{"a1", "a3", "a5"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Equal(t, 2, d.Topics[0].AlreadySent)
			},
		},
		{
			name: "seen by title key under a new url",
			inputs: []digest.Input{{Topic: "t", Result: result(five),
				Seen: seen{titles: []string{digest.TitleKey("Why Your LLM Forgets the Middle!")}}}},
			want: [][]string{{"a1", "a3", "a4", "a5"}},
		},
		{
			name: "a duplicate group lists one member and folds the rest",
			inputs: []digest.Input{{Topic: "t", Result: result(five,
				models.Group{Kind: models.GroupDuplicate, IDs: []string{"a2", "a4"}},
				models.Group{Kind: models.GroupSameStory, IDs: []string{"a3", "a5"}})}},
			want: [][]string{{"a1", "a2", "a3", "a5"}},
			check: func(t *testing.T, d *digest.Digest) {
				tp := d.Topics[0]
				assert.Equal(t, 1, tp.Folded)
				assert.Equal(t, []string{"feed-a4"}, tp.Items[1].AlsoIn)
				assert.Len(t, tp.Remember, 5, "the folded duplicate is remembered too")
			},
		},
		{
			name: "a sent duplicate keeps its whole group out, even when ranked later",
			inputs: []digest.Input{{Topic: "t", Result: func() *models.Result {
				r := result(five)
				r.Analysis.Ranking[3].DuplicateOf = "a2" // a4 duplicates a2 via duplicate_of
				return r
			}(), Seen: seen{urls: []string{"https://a.example/4"}}}},
			want: [][]string{{"a1", "a3", "a5"}},
		},
		{
			name: "same story across topics is listed once",
			inputs: []digest.Input{
				{Topic: "t1", Result: result(five[:3])},
				{Topic: "t2", Result: result([]models.Article{
					art("b1", "Ring Attention Explained, with Diagrams", "https://b.example/ring", 3),
					art("b2", "Something else entirely here", "https://a.example/1/", 1),
					art("b3", "A fresh one about the KV cache", "https://b.example/3", 1),
				})},
			},
			want: [][]string{{"a1", "a2", "a3"}, {"b3"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Equal(t, 2, d.Topics[1].InOtherTopic)
				assert.Len(t, d.Topics[1].Remember, 3, "repeats are remembered for the second topic too")
				assert.Equal(t, 4, d.New)
				assert.Equal(t, 6, d.Fetched)
			},
		},
		{
			name: "a folded duplicate does not come back under a later topic",
			inputs: []digest.Input{
				{Topic: "t1", Result: result(five[:2], models.Group{Kind: models.GroupDuplicate, IDs: []string{"a1", "a2"}})},
				{Topic: "t2", Result: result([]models.Article{five[1], five[2]})},
			},
			want: [][]string{{"a1"}, {"a3"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Equal(t, 1, d.Topics[1].InOtherTopic)
			},
		},
		{
			name: "same title twice in one run (two sources) is folded",
			inputs: []digest.Input{{Topic: "t", Result: result([]models.Article{
				art("x1", "Longformer Revisited: Sliding Windows and Global Tokens", "https://arxiv.example/abs/1v1", 1),
				art("x2", "Longformer revisited: sliding windows and global tokens", "https://hn.example/abs/1", 1),
			})}},
			want: [][]string{{"x1"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Equal(t, []string{"feed-x2"}, d.Topics[0].Items[0].AlsoIn)
			},
		},
		{
			name:   "cap",
			inputs: []digest.Input{{Topic: "t", Result: result(five)}},
			opts:   digest.Options{MaxItems: 2},
			want:   [][]string{{"a1", "a2"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Equal(t, 3, d.Topics[0].OverCap)
				assert.Len(t, d.Topics[0].Remember, 2, "articles over the cap stay new")
				assert.Contains(t, d.Topics[0].More(), "3 more new")
			},
		},
		{
			name:   "since drops old articles, keeps undated ones",
			inputs: []digest.Input{{Topic: "t", Result: result(append(five[:3:3], models.Article{ID: "u", Title: "Undated but fine here", Source: "s"}))}},
			opts:   digest.Options{Since: 36 * time.Hour},
			want:   [][]string{{"a1", "u"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Equal(t, 2, d.Topics[0].TooOld)
				assert.Contains(t, d.Topics[0].Counts(), "2 older than 36 hours")
				assert.Contains(t, d.Headline(), "published in the last 36 hours")
			},
		},
		{
			name: "without analysis: newest first",
			inputs: []digest.Input{{Topic: "t", Result: &models.Result{
				Articles: []models.Article{five[3], five[0], five[2]},
				Sources:  []models.SourceResult{{Name: "a"}},
				Degraded: &models.Degraded{Stage: "analysis", Reason: models.ReasonTimeout},
			}}},
			want: [][]string{{"a1", "a3", "a4"}},
			check: func(t *testing.T, d *digest.Digest) {
				assert.Contains(t, strings.Join(d.Topics[0].Notes(), "\n"), "analysis unavailable")
			},
		},
		{
			name: "summary keeps only sentences citing listed articles",
			inputs: []digest.Input{{Topic: "t", Result: result(five),
				Seen: seen{urls: []string{"https://a.example/1"}}}},
			opts: digest.Options{MaxItems: 2},
			want: [][]string{{"a2", "a3"}},
			check: func(t *testing.T, d *digest.Digest) {
				require.Len(t, d.Topics[0].Summary, 2)
				assert.Equal(t, digest.Sentence{Text: "About a2.", ArticleID: "a2", N: 1}, d.Topics[0].Summary[0])
				assert.Equal(t, 2, d.Topics[0].Summary[1].N)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Now.IsZero() {
				tt.opts.Now = now
			}
			d := digest.Build(tt.inputs, tt.opts)
			require.Len(t, d.Topics, len(tt.want))
			for i, w := range tt.want {
				assert.Equal(t, w, ids(d.Topics[i]), "topic %d", i)
				assert.Empty(t, d.Topics[i].Why, "a topic with items needs no explanation")
				for j, it := range d.Topics[i].Items {
					assert.Equal(t, j+1, it.N)
				}
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestEmptyExplanations(t *testing.T) {
	last := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	arts := []models.Article{
		art("a1", "Sparse attention at 64k tokens", "https://a.example/1", 1),
		art("a2", "Why your LLM forgets the middle", "https://a.example/2", 20),
	}
	ok := func(n string) models.SourceResult { return models.SourceResult{Name: n, Fetched: 2, Kept: 2} }
	bad := func(n, kind string) models.SourceResult {
		return models.SourceResult{Name: n, Error: "something broke at " + n, ErrorKind: kind}
	}
	tests := []struct {
		name  string
		in    digest.Input
		opts  digest.Options
		first string // the first topic is "other", listing a1
		want  string
	}{
		{"all already sent", digest.Input{Result: &models.Result{Articles: arts, Sources: []models.SourceResult{ok("a")}},
			Seen: seen{urls: []string{"https://a.example/1", "https://a.example/2"}}, LastRun: last}, digest.Options{}, "",
			"nothing new since 24 Nov 2026 07:00 UTC: 2 articles fetched, all already sent"},
		{"first run, all sent by title", digest.Input{Result: &models.Result{Articles: arts, Sources: []models.SourceResult{ok("a")}},
			Seen: seen{titles: []string{digest.TitleKey(arts[0].Title), digest.TitleKey(arts[1].Title)}}}, digest.Options{}, "",
			"nothing new: 2 articles fetched, all already sent"},
		{"mixed causes with failures", digest.Input{Result: &models.Result{Articles: arts,
			Sources: []models.SourceResult{ok("a"), bad("slow", "timeout"), bad("broken", "http_5xx")}}, LastRun: last},
			digest.Options{Since: 7 * 24 * time.Hour}, "other",
			"nothing new since 24 Nov 2026 07:00 UTC: 2 articles fetched, 1 published more than 7 days ago, 1 already listed under another topic above; 2 of 3 sources failed: slow (timeout), broken (http 5xx)"},
		{"no source answered", digest.Input{Result: &models.Result{
			Sources: []models.SourceResult{bad("a", "dns"), bad("b", "")}}}, digest.Options{}, "",
			"no source answered: a (dns), b (something broke at b)"},
		{"some failed, others empty", digest.Input{Result: &models.Result{
			Sources: []models.SourceResult{{Name: "a"}, bad("b", "refused")}}}, digest.Options{}, "",
			"nothing found: 1 of 2 sources failed (b (refused)) and the others had no articles on this topic"},
		{"nobody had anything", digest.Input{Result: &models.Result{
			Sources: []models.SourceResult{{Name: "a"}, {Name: "b"}}}}, digest.Options{}, "",
			"nothing found: none of the 2 sources had articles on this topic"},
		{"no sources", digest.Input{Result: &models.Result{}}, digest.Options{}, "", "no sources are configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Topic = "t"
			inputs := []digest.Input{tt.in}
			if tt.first != "" {
				inputs = append([]digest.Input{{Topic: tt.first, Result: &models.Result{Articles: arts[:1], Sources: []models.SourceResult{ok("a")}}}}, inputs...)
			}
			tt.opts.Now = now
			d := digest.Build(inputs, tt.opts)
			got := d.Topics[len(d.Topics)-1]
			assert.Empty(t, got.Items)
			assert.Equal(t, tt.want, got.Why)
			var buf bytes.Buffer
			require.NoError(t, digest.Write(&buf, d, render.Text))
			// The text digest wraps (render.WrapIndent): compare the words.
			assert.Contains(t, strings.Join(strings.Fields(buf.String()), " "), strings.ToUpper(tt.want[:1])+tt.want[1:])
		})
	}
}

func TestTitleKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Longformer Revisited: Sliding Windows", "longformer revisited — sliding windows"},
		{"Show HN: Sparsely – block-sparse attention for PyTorch", "Sparsely – Block-Sparse Attention for PyTorch"},
		{"Attention is all you need [pdf]", "Attention Is All You Need (2017)"},
		{"Café crème and long documents", "Cafe creme and long documents"},
		{"Don't use dense attention", "Dont use dense attention"},
	}
	for _, tt := range tests {
		t.Run(tt.a, func(t *testing.T) {
			ka := digest.TitleKey(tt.a)
			assert.NotEmpty(t, ka)
			assert.Equal(t, ka, digest.TitleKey(tt.b))
		})
	}
	for _, short := range []string{"", "Home", "Sparse matrix", "  !!  "} {
		assert.Empty(t, digest.TitleKey(short), "%q is too short to identify a story", short)
	}
	assert.NotEqual(t, digest.TitleKey("Sparse attention at 64k tokens"), digest.TitleKey("Sparse attention at 128k tokens"))
}

func FuzzTitleKey(f *testing.F) {
	for _, s := range []string{"Show HN: x y z", "Attention (2017) [pdf]", "Café", "", "\xff\xfe", "a ’b’ c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := digest.TitleKey(s)
		assert.Equal(t, k, digest.TitleKey(k), "a key is its own key")
		assert.Equal(t, k, strings.TrimSpace(k))
	})
}

// goldenDigest covers every part of the document: items, folded duplicates,
// summary, notes, the cap, and an empty topic with its explanation.
func goldenDigest() *digest.Digest {
	arts := []models.Article{
		{ID: "a1", Source: "arxiv", Kind: "arxiv", URL: "https://arxiv.example/abs/2611.04817v1", Title: "Longformer Revisited: Sliding Windows *and* Global Tokens", Published: now.Add(-30 * time.Hour)},
		{ID: "a2", Source: "hn", Kind: "hackernews", URL: "https://hn.example/item?id=1", Title: "Longformer revisited: sliding windows and global tokens", Published: now.Add(-20 * time.Hour)},
		{ID: "a3", Source: "ml-weekly", Kind: "feed", URL: "https://ml.example/lost in the middle (2)", Title: "Why your LLM forgets the <middle>", Published: now.Add(-50 * time.Hour), AlsoIn: []string{"lab-notes"}},
		{ID: "a4", Source: "lab-notes", Kind: "feed", URL: "https://lab.example/ring", Title: "Ring attention and sequence parallelism"},
	}
	r := result(arts)
	r.Sources = []models.SourceResult{{Name: "arxiv", Kept: 1}, {Name: "hn", Kept: 1}, {Name: "slow-feed", Error: "timeout after 2s", ErrorKind: "timeout"}}
	empty := &models.Result{Articles: arts[:1], Sources: []models.SourceResult{{Name: "arxiv", Kept: 1}}}
	return digest.Build([]digest.Input{
		{Topic: "sparse attention", Result: r, LastRun: now.Add(-24 * time.Hour)},
		{Topic: "long documents", Result: empty, Seen: seen{urls: []string{"https://arxiv.example/abs/2611.04817"}}, LastRun: now.Add(-24 * time.Hour)},
	}, digest.Options{Now: now, MaxItems: 2})
}

func TestGoldenFormats(t *testing.T) {
	d := goldenDigest()
	for _, f := range []render.Format{render.Text, render.Markdown, render.HTML, render.JSON} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, digest.Write(&buf, d, f))
			path := filepath.Join("testdata", "digest."+string(f))
			if *update {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./digest -update")
			assert.Equal(t, string(want), buf.String())
			if f == render.JSON {
				var back digest.Digest
				require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
				assert.Equal(t, d.New, back.New)
			}
		})
	}
}

// BenchmarkBuild selects from three topics of 500 articles each, half of them
// already sent, with duplicate groups.
func BenchmarkBuild(b *testing.B) {
	var inputs []digest.Input
	for tp := range 3 {
		var arts []models.Article
		sent := mapSeen{}
		for i := range 500 {
			id := fmt.Sprintf("t%d-a%d", tp, i)
			a := art(id, fmt.Sprintf("Article number %d about topic %d and more", i, tp), fmt.Sprintf("https://x.example/%d/%d?utm_source=rss", tp, i), i%30)
			arts = append(arts, a)
			if i%2 == 0 {
				sent[fmt.Sprintf("https://x.example/%d/%d", tp, i)] = true
			}
		}
		r := result(arts, models.Group{Kind: models.GroupDuplicate, IDs: []string{arts[1].ID, arts[3].ID, arts[5].ID}})
		inputs = append(inputs, digest.Input{Topic: fmt.Sprint(tp), Result: r, Seen: sent})
	}
	b.ReportAllocs()
	for b.Loop() {
		d := digest.Build(inputs, digest.Options{Now: now, MaxItems: 10})
		if d.New != 30 {
			b.Fatal(d.New)
		}
	}
}

// TestTextDigestWrapsLikeTheReport: the text digest keeps to 80 columns
// between words, whatever the titles (wide CJK included); only a URL longer
// than the line stands alone.
func TestTextDigestWrapsLikeTheReport(t *testing.T) {
	d := goldenDigest()
	d.Topics[0].Items[0].Title = "スパースアテンションで長い文書を読む：64kトークンのスライディングウィンドウ再考と、その先にあるもの"
	d.Topics[0].Items[1].Title = strings.Repeat("a very long title about sparse attention ", 4)
	var buf bytes.Buffer
	require.NoError(t, digest.Write(&buf, d, render.Text))
	for _, l := range strings.Split(buf.String(), "\n") {
		if len(strings.Fields(l)) > 1 {
			assert.LessOrEqual(t, render.Width(l), 80, "%q", l)
		}
	}
	assert.Contains(t, strings.Join(strings.Fields(buf.String()), " "), strings.TrimSpace(d.Topics[0].Items[1].Title), "titles are whole")
}
