package analysis

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/research-cli/research/analysis/synth"
	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func intp(v int) *int { return &v }

func art(id, title, content string) models.Article {
	return models.Article{ID: id, Source: "test", Title: title, Content: content}
}

func ids(r []models.RankedArticle) []string {
	var out []string
	for _, x := range r {
		out = append(out, x.ID)
	}
	return out
}

func TestRanking(t *testing.T) {
	filler := "Some unrelated words about gardening, cooking and the weather fill this text. "
	cases := []struct {
		name  string
		query string
		arts  []models.Article
		want  []string
	}{
		{"title match beats content match", "quantum computing", []models.Article{
			art("b", "A recipe for soup", filler+"Quantum computing is mentioned once in passing."),
			art("a", "Quantum computing explained", filler+"An article about qubits."),
			art("c", "Nothing relevant", filler),
		}, []string{"a", "b", "c"}},
		{"more occurrences rank higher", "lattice", []models.Article{
			art("x", "Notes", "A lattice here. "+filler),
			art("y", "Notes", "Lattice, lattice and another lattice. "+filler),
		}, []string{"y", "x"}},
		{"stemming matches inflections", "running", []models.Article{
			art("p", "Weather", filler),
			art("q", "He runs daily", "Runners run. "+filler),
		}, []string{"q", "p"}},
		{"no match at all: ties by id", "zzyzx", []models.Article{
			art("m2", "b", filler), art("m1", "a", filler), art("m3", "c", filler),
		}, []string{"m1", "m2", "m3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &models.AnalysisRequest{Version: 1, Query: tc.query, Articles: tc.arts}
			assert.Equal(t, tc.want, ids(Analyze(req).Ranking))
			assert.Equal(t, tc.want, ids(Rank(req)), "Rank orders as Analyze does")
		})
	}
}

func TestEmptyQueryCentralityAndRecency(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	topic := "Rust compiler borrow checker lifetimes ownership memory safety. "
	arts := []models.Article{
		{ID: "old", Source: "s", Title: "Rust ownership", Content: topic + topic, Published: day(1)},
		{ID: "new", Source: "s", Title: "Rust ownership", Content: topic + topic, Published: day(20)},
		{ID: "off", Source: "s", Title: "Baking bread", Content: "Flour water yeast salt knead proof bake.", Published: day(20)},
		{ID: "mid", Source: "s", Title: "Rust lifetimes", Content: topic + "Also some compiler internals.", Published: day(15)},
	}
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: arts, Options: &models.AnalysisOptions{Explain: true}})
	got := ids(rep.Ranking)
	assert.Equal(t, "off", got[len(got)-1], "the off-topic article is least central")
	assert.Less(t, indexOf(got, "new"), indexOf(got, "old"), "same text: the recent one first")
	for _, r := range rep.Ranking {
		require.NotNil(t, r.Explain)
		assert.Contains(t, r.Explain.Note, "centrality")
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func TestExplainSplitsTheScore(t *testing.T) {
	req := &models.AnalysisRequest{Version: 1, Query: "graph databases", Options: &models.AnalysisOptions{Explain: true},
		Articles: []models.Article{
			{ID: "a", Source: "s", Title: "Graph databases", Summary: "On graph storage.", Content: "Databases that store graphs natively."},
			{ID: "b", Source: "s", Title: "Other", Content: "Nothing to see."},
		}}
	rep := Analyze(req)
	e := rep.Ranking[0].Explain
	require.NotNil(t, e)
	sumFields, sumTerms := 0.0, 0.0
	for _, v := range e.Fields {
		sumFields += v
	}
	for _, v := range e.Terms {
		sumTerms += v
	}
	assert.InDelta(t, rep.Ranking[0].Score, sumFields, 0.001)
	assert.InDelta(t, rep.Ranking[0].Score, sumTerms, 0.001)
	assert.Contains(t, e.Terms, "graph")
	assert.Contains(t, e.Fields, "title")
}

func TestKeyphrases(t *testing.T) {
	content := "Convolutional neural networks dominate image classification. " +
		"Convolutional neural networks learn filters from data. " +
		"The image classification benchmark uses convolutional neural networks and data augmentation."
	req := &models.AnalysisRequest{Version: 1, Articles: []models.Article{
		art("a", "Convolutional neural networks for image classification", content),
		art("b", "Gardening", "Tomatoes need sun and water every day during the summer months."),
	}, Options: &models.AnalysisOptions{MaxArticleKeywords: intp(4), MaxKeywords: intp(6)}}
	rep := Analyze(req)
	var a models.RankedArticle
	for _, r := range rep.Ranking {
		if r.ID == "a" {
			a = r
		}
	}
	require.NotEmpty(t, a.Keywords)
	assert.LessOrEqual(t, len(a.Keywords), 4)
	assert.Equal(t, "convolutional neural networks", a.Keywords[0])
	assert.Contains(t, a.Keywords, "image classification")
	for _, k := range a.Keywords {
		words := strings.Fields(k)
		assert.LessOrEqual(t, len(words), maxPhraseLen)
		for _, edge := range []string{words[0], words[len(words)-1]} {
			assert.NotContains(t, []string{"the", "and", "from", "uses"}, edge, "phrase %q has a stop word at an edge", k)
		}
		assert.NotEqual(t, "neural networks", k, "contained in a chosen phrase")
	}
	require.NotEmpty(t, rep.Keywords)
	assert.LessOrEqual(t, len(rep.Keywords), 6)
	assert.Equal(t, 1.0, rep.Keywords[0].Score)
	for _, k := range rep.Keywords {
		assert.GreaterOrEqual(t, k.Articles, 1, k.Phrase)
	}
}

func TestNoKeyphrasesAskedFor(t *testing.T) {
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: []models.Article{art("a", "Graph databases", "Graph databases store edges.")},
		Options: &models.AnalysisOptions{MaxArticleKeywords: intp(0), MaxKeywords: intp(0)}})
	assert.Equal(t, []string{}, rep.Ranking[0].Keywords)
	assert.Equal(t, []models.Keyword{}, rep.Keywords)
}

func TestSelectPhrasesDeduplicates(t *testing.T) {
	mk := func(score float64, terms ...uint32) phrase {
		p := phrase{score: score, n: int8(len(terms))}
		copy(p.terms[:], terms)
		p.hash = hashTerms(terms)
		sorted := append([]uint32(nil), terms...)
		for i := range sorted {
			for j := i + 1; j < len(sorted); j++ {
				if sorted[j] < sorted[i] {
					sorted[i], sorted[j] = sorted[j], sorted[i]
				}
			}
		}
		p.setKey = hashTerms(sorted)
		return p
	}
	cands := []phrase{mk(5, 1, 2, 3), mk(4, 2, 3), mk(3.5, 9), mk(3, 4, 5), mk(2, 5, 4), mk(1, 2, 3, 4), mk(0.5, 9, 7)}
	got := selectPhrases(cands, 10)
	var seqs [][]uint32
	for _, p := range got {
		seqs = append(seqs, append([]uint32(nil), p.seq()...))
	}
	assert.Equal(t, [][]uint32{{1, 2, 3}, {9}, {4, 5}}, seqs,
		"dropped: a sub-phrase of a chosen one ({2,3}), a reordering ({5,4}), an extension ({1,2,3,4}, {9,7}) "+
			"and one sharing two of three stems ({2,3,4})")
	assert.Len(t, selectPhrases(cands, 1), 1)
}

func TestGoodSentence(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"a plain sentence", "The committee approved the budget after a long debate.", true},
		{"quoted sentence", "\"We will ship the release next week,\" the maintainer said.", true},
		{"too short", "Read it.", false},
		{"fragment: lower-case start", "and then the committee approved the budget after a debate.", false},
		{"fragment: no final punctuation", "The committee approved the budget after a long debate", false},
		{"share this", "Share this article with your friends on social media today.", false},
		{"cookie notice", "We use cookies to improve your experience on our website.", false},
		{"byline", "By Jane Smith and John Doe, senior correspondents for the paper.", false},
		{"read more", "Read more about the budget negotiations on our website.", false},
		{"subscribe", "Subscribe to our newsletter for weekly updates from the team.", false},
		{"starts with By but is no byline", "By Monday, the committee had approved the budget after a long debate.", true},
		{"an article about cookies keeps its sentences", "Browsers will block third-party cookies by default next year.", true},
		{"an article about JavaScript keeps its sentences", "JavaScript engines compile hot functions to machine code.", true},
		{"copyright notice", "Copyright © 2026 Example Media, all rights reserved worldwide.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			words := len(strings.Fields(tc.in))
			assert.Equal(t, tc.want, goodSentence(tc.in, words))
		})
	}
}

func TestSummary(t *testing.T) {
	body := "The central bank raised interest rates by half a point on Tuesday. " +
		"Economists had expected a smaller increase given slowing growth. " +
		"Share this article with your friends on social media today. " +
		"Mortgage holders will see their monthly payments rise next month."
	copyBody := "The central bank raised interest rates by half a point on Tuesday. " +
		"Markets fell sharply in the hour after the announcement was made."
	req := &models.AnalysisRequest{Version: 1, Query: "interest rates", Articles: []models.Article{
		art("a", "Rates rise", body), art("b", "Markets react", copyBody),
		art("c", "Football", "The home team won the match by three goals to one on Saturday."),
	}, Options: &models.AnalysisOptions{MaxSummarySentences: intp(3)}}
	rep := Analyze(req)
	require.NotEmpty(t, rep.Summary)
	assert.LessOrEqual(t, len(rep.Summary), 3)
	byID := map[string]string{"a": body, "b": copyBody, "c": req.Articles[2].Content}
	seen := map[string]bool{}
	for _, s := range rep.Summary {
		assert.Contains(t, byID[s.ArticleID], s.Text, "verbatim and cited")
		assert.NotContains(t, s.Text, "Share this")
		assert.False(t, seen[s.Text], "the same sentence twice")
		seen[s.Text] = true
	}
	assert.Contains(t, rep.Summary[0].Text, "interest rates", "the most relevant sentence leads")

	for _, s := range rep.Summary {
		assert.NotEqual(t, "c", s.ArticleID, "an article that does not match the query is not summarised")
	}

	zero := Analyze(&models.AnalysisRequest{Version: 1, Articles: req.Articles, Options: &models.AnalysisOptions{MaxSummarySentences: intp(0)}})
	assert.Empty(t, zero.Summary)
	assert.NotNil(t, zero.Summary, "an empty list, not null")
}

func TestCanonicalURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://www.Example.org/a/b/?utm_source=x&id=3#frag", "example.org/a/b?id=3"},
		{"http://example.org/a/b", "example.org/a/b"},
		{"https://example.org:8443/x?b=2&a=1", "example.org:8443/x?a=1&b=2"},
		{"not a url", ""},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, canonicalURL(tc.in))
		})
	}
}

func TestDuplicates(t *testing.T) {
	story := "The city council voted on Monday to expand the tram network to the northern suburbs. " +
		"Construction of the new line will start next spring and take three years. " +
		"The project is expected to cost four hundred million euros, shared by the city and the region. " +
		"Residents along the route will be consulted about the location of the stops during the winter."
	edited := strings.Replace(story, "three years", "about three years", 1)
	rewritten := "On Monday the council decided to extend the tram network towards the northern suburbs. " +
		"Building work on the line will begin in spring and last three years, officials said."
	cases := []struct {
		name   string
		arts   []models.Article
		groups []models.Group
		dupOf  map[string]string
	}{
		{"same canonical URL", []models.Article{
			{ID: "a", Source: "s", URL: "https://example.org/tram?utm_source=feed", Title: "Tram", Content: "Short text one."},
			{ID: "b", Source: "t", URL: "http://www.example.org/tram/", Title: "Tram news", Content: "Other text."},
		}, []models.Group{{Kind: "duplicate", IDs: []string{"a", "b"}}}, map[string]string{"b": "a"}},
		{"same body, different case and spacing", []models.Article{
			{ID: "a", Source: "s", Title: "Tram", Content: story},
			{ID: "b", Source: "s", Title: "Tram", Content: strings.ToUpper(story)},
		}, []models.Group{{Kind: "duplicate", IDs: []string{"a", "b"}}}, map[string]string{"b": "a"}},
		{"near duplicate with an edit", []models.Article{
			{ID: "a", Source: "s", Title: "Tram", Content: story},
			{ID: "b", Source: "s", Title: "Tram", Content: edited},
			{ID: "c", Source: "s", Title: "Bread", Content: "Flour, water, yeast and salt make a simple loaf of bread at home."},
		}, []models.Group{{Kind: "duplicate", IDs: []string{"a", "b"}}}, map[string]string{"b": "a"}},
		{"different wording is no duplicate, but the same story", []models.Article{
			{ID: "a", Source: "s", Title: "Tram", Content: story},
			{ID: "b", Source: "s", Title: "Tram", Content: rewritten},
		}, []models.Group{{Kind: "same_story", IDs: []string{"a", "b"}}}, map[string]string{}},
		{"rewritten coverage is the same story, not a duplicate", []models.Article{
			{ID: "a", Source: "s", Title: "Council votes to expand the tram network to the northern suburbs", Content: story},
			{ID: "b", Source: "t", Title: "Tram network to reach the northern suburbs, council decides", Content: rewritten},
			{ID: "c", Source: "s", Title: "Bread", Content: "Flour, water, yeast and salt make a simple loaf of bread at home."},
		}, []models.Group{{Kind: "same_story", IDs: []string{"a", "b"}}}, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: tc.arts})
			assert.Equal(t, tc.groups, rep.Groups)
			got := map[string]string{}
			for _, r := range rep.Ranking {
				if r.DuplicateOf != "" {
					got[r.ID] = r.DuplicateOf
				}
			}
			assert.Equal(t, tc.dupOf, got)
			assert.Equal(t, len(tc.dupOf), rep.Stats.Duplicates)
		})
	}
}

func TestDuplicateCanonicalIsMostRelevant(t *testing.T) {
	story := "The city council voted on Monday to expand the tram network to the northern suburbs. " +
		"Construction of the new line will start next spring and take three years to complete."
	rep := Analyze(&models.AnalysisRequest{Version: 1, Query: "tram expansion", Articles: []models.Article{
		{ID: "a", Source: "s", Title: "Council news", Content: story},
		{ID: "b", Source: "s", Title: "Tram expansion approved", Content: story},
	}})
	require.Len(t, rep.Groups, 1)
	assert.Equal(t, []string{"b", "a"}, rep.Groups[0].IDs)
	assert.Equal(t, "b", rep.Ranking[1].DuplicateOf)
}

func TestManyIdenticalArticlesStayLinear(t *testing.T) {
	var arts []models.Article
	for i := range 3000 {
		arts = append(arts, models.Article{ID: fmt.Sprintf("id%04d", i), Source: "s", Title: "Same",
			Content: "Exactly the same press release text appears in every one of these articles, word for word."})
	}
	start := time.Now()
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: arts})
	require.Len(t, rep.Groups, 1)
	assert.Len(t, rep.Groups[0].IDs, 3000)
	assert.Equal(t, 2999, rep.Stats.Duplicates)
	assert.Less(t, time.Since(start), 20*time.Second, "no pairwise comparison of a huge bucket")
}

func TestStats(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	rep := Analyze(&models.AnalysisRequest{Version: 1, Articles: []models.Article{
		{ID: "a", Source: "hn", Title: "One two", Content: "three four five", Published: ts("2026-11-20T23:30:00-02:00")},
		{ID: "b", Source: "hn", Title: "Six", Published: ts("2026-11-21T10:00:00Z")},
		{ID: "c", Source: "arxiv", Summary: "seven eight"},
	}})
	assert.Equal(t, 3, rep.Stats.Articles)
	assert.Equal(t, 8, rep.Stats.Words)
	assert.Equal(t, map[string]int{"hn": 2, "arxiv": 1}, rep.Stats.BySource)
	assert.Equal(t, map[string]int{"2026-11-21": 2}, rep.Stats.ByDay, "UTC dates; no date for a zero time")
	assert.InDelta(t, 0.0, rep.Stats.ReadingMinutes, 0.05)
}

func TestDeterministic(t *testing.T) {
	req := synth.Request(300, 1500, 7, "kalo")
	first, err := json.Marshal(Analyze(req))
	require.NoError(t, err)
	prev := runtime.GOMAXPROCS(1)
	single, err := json.Marshal(Analyze(req))
	runtime.GOMAXPROCS(prev)
	require.NoError(t, err)
	again, err := json.Marshal(Analyze(req))
	require.NoError(t, err)
	assert.Equal(t, string(first), string(single), "same bytes with one worker")
	assert.Equal(t, string(first), string(again), "same bytes on a second run")
}

func TestClip(t *testing.T) {
	short := "short text"
	assert.Equal(t, short, clip(short))
	long := strings.Repeat("word ", maxFieldBytes/5+100)
	got := clip(long)
	assert.LessOrEqual(t, len(got), maxFieldBytes)
	assert.True(t, strings.HasPrefix(long, got))
	assert.True(t, strings.HasSuffix(got, "word"), "cut at a space, not inside a word")
	multi := strings.Repeat("é", maxFieldBytes) // 2 bytes each
	assert.True(t, utf8.ValidString(clip(multi)))
}

func TestHugeInputsStayBounded(t *testing.T) {
	rep := Analyze(&models.AnalysisRequest{Version: 1, Query: "x", Articles: []models.Article{
		{ID: "w", Source: "s", Title: "A title", Content: strings.Repeat("a", 3<<20)},
		{ID: "v", Source: "s", Content: strings.Repeat("Some words in a sentence here. ", 100000)},
	}})
	for _, r := range rep.Ranking {
		for _, k := range r.Keywords {
			assert.LessOrEqual(t, len(k), maxPhraseLen*(maxWordBytes+1), "no garbage-length keyphrase")
		}
	}
	assert.InDelta(t, 1+2+600000, rep.Stats.Words, 1000, "words beyond the analysed part are extrapolated")
}

func TestEmptyRequest(t *testing.T) {
	rep := Analyze(&models.AnalysisRequest{Version: 1, Query: "q", Articles: []models.Article{}})
	assert.Equal(t, models.NewEmptyReport("q"), rep)
	assert.Empty(t, Rank(&models.AnalysisRequest{Version: 1}))
}

func TestCoverageAndProximity(t *testing.T) {
	// Every article holds every query word, so BM25F alone can hardly tell
	// them apart; the one whose title carries "sparse attention" and "long
	// documents" as phrases must lead, the one with the words scattered must
	// trail, and the explanation must show the parts.
	body := "Sparse models and attention layers handle long inputs; documents vary."
	req := &models.AnalysisRequest{Version: 1, Query: "sparse attention for long documents",
		Options: &models.AnalysisOptions{Explain: true},
		Articles: []models.Article{
			{ID: "scattered", Source: "s", Title: "Attention, documents and the long tail of sparse data", Content: body},
			{ID: "phrase", Source: "s", Title: "Sparse attention for long documents", Content: body},
			{ID: "partial", Source: "s", Title: "Long documents in practice", Content: body},
		}}
	rep := Analyze(req)
	require.Equal(t, []string{"phrase", "scattered", "partial"}, ids(rep.Ranking))
	e := rep.Ranking[0].Explain
	require.NotNil(t, e)
	assert.Contains(t, e.Terms, "sparse attention", "a query pair's proximity is shown under the pair")
	assert.Contains(t, e.Note, "coverage")
	assert.Contains(t, e.Note, "proximity")
	for _, r := range rep.Ranking {
		sf, st := 0.0, 0.0
		for _, v := range r.Explain.Fields {
			sf += v
		}
		for _, v := range r.Explain.Terms {
			st += v
		}
		assert.InDelta(t, r.Score, sf, 0.001, r.ID)
		assert.InDelta(t, r.Score, st, 0.001, r.ID)
	}
	assert.NotContains(t, rep.Ranking[1].Explain.Terms, "sparse attention", "words apart are no phrase")
}

func TestArticleKeyphrasesDoNotRepeatThemselves(t *testing.T) {
	content := "Block-sparse attention layers skip the blocks a pattern leaves out. " +
		"We built block-sparse attention because the key-value cache dominates memory. " +
		"The key-value cache grows with context, and key-value heads can be shared. " +
		"Below 8k tokens the feed-forward layers cost more than attention. " +
		"Feed-forward layers are dense. Six public benchmarks were run; six benchmarks agree."
	req := &models.AnalysisRequest{Version: 1, Articles: []models.Article{
		art("a", "Block-sparse attention for long documents", content),
		art("b", "Gardening", "Tomatoes need sun and water every day during the summer months."),
		art("c", "Cooking", "Bread needs flour, water, salt and time to rise in a warm kitchen."),
	}, Options: &models.AnalysisOptions{MaxArticleKeywords: intp(10), MaxKeywords: intp(0)}}
	rep := Analyze(req)
	var kws []string
	for _, r := range rep.Ranking {
		if r.ID == "a" {
			kws = r.Keywords
		}
	}
	require.NotEmpty(t, kws)
	t.Logf("keyphrases: %q", kws)
	stems := func(p string) map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.Fields(p) {
			m[strings.TrimSuffix(w, "s")] = true
		}
		return m
	}
	for i, a := range kws {
		for j, b := range kws {
			if i == j {
				continue
			}
			assert.NotContains(t, " "+a+" ", " "+b+" ", "%q inside %q", b, a)
			sa, sb := stems(a), stems(b)
			shared := 0
			for w := range sb {
				if sa[w] {
					shared++
				}
			}
			assert.False(t, 2*shared > min(len(sa), len(sb)), "%q and %q share most words", a, b)
		}
	}
	assert.Contains(t, kws, "feed forward layers")
	assert.NotContains(t, kws, "feed forward layers cost", "a verb after a plural ends the phrase")
	assert.NotContains(t, kws, "dominates memory")
}

func TestSameStory(t *testing.T) {
	// A query-retrieved set: every article is about long-context attention,
	// so the topic's words are everywhere and must not make a story.
	bg := func(id, title, content string) models.Article {
		return models.Article{ID: id, Source: "feed", Title: title, Content: content}
	}
	arts := []models.Article{
		bg("wire", "Northwind Labs releases Kestrel, an open model with a million-token context",
			"Northwind Labs on Tuesday released Kestrel, a 70-billion-parameter language model that reads up to one "+
				"million tokens of context. The weights are published under the Apache licence. Kestrel mixes sliding-window "+
				"attention with a few global layers, and Northwind says it scores 81.2 on the LongBench suite, ahead of every "+
				"other open model. Training took eleven weeks on 4,096 accelerators in the company's Reykjavik data centre."),
		bg("rewrite", "Kestrel: Northwind's open 70B model reads a million tokens",
			"The Reykjavik start-up Northwind Labs has put out Kestrel, an open-weight model with 70 billion parameters and "+
				"a context window of a million tokens, licensed under Apache 2.0. According to the company, Kestrel reaches 81.2 "+
				"on LongBench, the best result for an open model, by combining windowed attention with a handful of global "+
				"layers. It was trained for eleven weeks on 4,096 chips."),
		bg("hn-link", "Northwind Labs releases Kestrel, an open model with a million-token context", ""),
		bg("routing", "Learned routing for sparse attention over scientific documents",
			"Fixed sparse attention patterns ignore the structure of long documents. We propose a routing layer that "+
				"clusters queries and keys with online k-means and restricts attention to matching clusters, while section "+
				"headings act as global tokens. On full-text scientific articles of up to 64k tokens, routing improves "+
				"citation-aware question answering by 4.1 points over a sliding window of the same cost."),
		bg("genome", "Strided sparse attention for long genomic sequences",
			"Genomic sequences run to hundreds of thousands of bases, far beyond dense attention. We study strided and "+
				"dilated sparse attention patterns for DNA language models and find that a stride matched to the codon "+
				"period recovers most of the accuracy of dense attention on promoter prediction at a tenth of the memory. "+
				"Long documents of text behave differently: there, a sliding window with global tokens wins."),
		bg("kernels", "Block-sparse attention kernels for long documents",
			"Sparse attention patterns promise linear cost in sequence length, but naive implementations mask a dense "+
				"computation. Our kernels skip empty tiles of the attention matrix, and on documents of 32k tokens they run "+
				"five times faster than dense attention with the same accuracy on long-document question answering."),
		bg("survey", "A survey of efficient attention for long documents",
			"Efficient attention for long documents comes in three families: sparse patterns such as sliding windows and "+
				"global tokens, low-rank and kernel approximations, and recurrent or state-space alternatives. We compare "+
				"them on question answering and summarisation of long documents and discuss when sparse attention pays off."),
	}
	rep := Analyze(&models.AnalysisRequest{Version: 1, Query: "sparse attention for long documents", Articles: arts})
	var stories [][]string
	for _, g := range rep.Groups {
		require.Equal(t, models.GroupSameStory, g.Kind, "nothing here is a duplicate: %v", g.IDs)
		ids := slices.Clone(g.IDs)
		slices.Sort(ids)
		stories = append(stories, ids)
	}
	assert.Equal(t, [][]string{{"hn-link", "rewrite", "wire"}}, stories,
		"the rewritten coverage and the bare link are one story; papers on the same topic are not")
}
