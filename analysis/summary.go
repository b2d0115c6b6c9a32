package analysis

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// Summary candidate pruning: only the best-ranked articles' first sentences
// are read, and only the best of those by a linear pre-score enter the
// similarity graph, so the cost does not grow with the size of the set.
const (
	summaryArticles      = 25
	sentencesPerArticle  = 80
	summaryGraph         = 400
	minSentenceWords     = 6
	maxSentenceWords     = 80
	nearIdenticalSimilar = 0.7
	// referenceChain is the most sentences a summary takes to resolve a
	// sentence that refers back: the sentence and those before it.
	referenceChain = 3
)

// LexRank and selection parameters (docs/quality.md).
const (
	// lexDamping is the share of a sentence's score that flows along the
	// similarity graph; the rest is the random jump.
	lexDamping = 0.85
	// lexThreshold is the least cosine similarity that links two sentences:
	// none (continuous LexRank; 0.1 cost 7 points of sentence F1 on BBC).
	lexThreshold = 0.0
	// queryBias is the share of the random jump that follows the
	// sentences' relevance to the query, when there is one.
	queryBias = 0.2
	// mmrLambda weighs a sentence's score against its similarity to the
	// sentences already chosen.
	mmrLambda = 0.7
	// queryIDFFloor is the least weight of a query term in the sentence
	// vectors, as a share of the rarest candidate term's idf: on a
	// query-retrieved set the query's words are in every article, so their
	// idf is near zero and the graph's centre would be whatever else the
	// articles share; with the floor, sentences about the question link to
	// each other. A set of one article (all idf equal) is unaffected.
	queryIDFFloor = 0.5
	// lexTolerance ends the power iteration: the L1 change of the scores.
	lexTolerance = 1e-8
)

// boilerplate patterns: sentences that are page furniture, not content. The
// patterns are specific ("we use cookies", not "cookie") so that an article
// about cookies, copyright or JavaScript keeps its sentences. They are
// expanded into literal phrases matched against the lower-cased sentence,
// because one large case-insensitive regular expression cost more than the
// rest of the summary on small requests.
var (
	// boilerplatePhrases may occur anywhere in a sentence.
	boilerplatePhrases = expand(
		"share this", "share on {facebook|twitter|x|linkedin|reddit|whatsapp}",
		"{we|this site|this website} {use|uses} cookies", "accept {|all }cookies",
		"cookie {policy|settings|preferences|consent}",
		"read more {at|on|here|about}",
		"subscribe {to our|to the|now|today|for free|for more}",
		"{sign up|register} {for|to} {our|the|a} {|free }newsletter",
		"all rights reserved", "copyright ©", "click here", "follow us",
		"related {articles|stories|posts}", "{log|sign}{| }in to {comment|continue|read}",
		"terms of {use|service}", "privacy policy", "getty images", "contributed to this report",
		"http://", "https://", "www.",
		"{enable|require|requires} javascript", "{update|upgrade} your browser",
		"browser {does not|doesn't} support", "this {article|story} {was|is} {originally|first}",
		"sponsored {content|post|by}", "affiliate link",
	)
	// boilerplatePrefixes start a sentence.
	boilerplatePrefixes = expand(
		"read more", "advertisement",
		"{photo|image|video|source|credit}{|s}:",
		"{updated|published|posted} ", "{updated|published|posted} on ",
	)
	// copyrightYear is "©" followed by a year; compiled on first use, as
	// few sentences hold a "©" (package init is part of every request).
	copyrightYear = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`© ?\d{4}`) })
)

// phrasesByByte lists the boilerplate phrases by their first byte, so that
// one pass over a sentence tries at each byte only the phrases that could
// start there, instead of one strings.Contains per phrase.
var phrasesByByte = func() (idx [256][]string) {
	for _, p := range boilerplatePhrases {
		if len(p) < 2 {
			panic("boilerplate phrase shorter than two bytes: " + p)
		}
		idx[p[0]] = append(idx[p[0]], p)
	}
	return idx
}()

// containsAnyPhrase reports whether s contains one of boilerplatePhrases.
func containsAnyPhrase(s string) bool {
	for i := 0; i+1 < len(s); i++ { // every phrase is two bytes or more
		for _, p := range phrasesByByte[s[i]] {
			if p[1] == s[i+1] && strings.HasPrefix(s[i:], p) {
				return true
			}
		}
	}
	return false
}

// expand turns patterns with {a|b} alternatives into every literal they denote.
func expand(patterns ...string) []string {
	var out []string
	for _, p := range patterns {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out = append(out, p)
			continue
		}
		j := i + strings.IndexByte(p[i:], '}')
		for _, alt := range strings.Split(p[i+1:j], "|") {
			out = append(out, expand(p[:i]+alt+p[j+1:])...)
		}
	}
	return out
}

// isBoilerplate reports whether a sentence is page furniture.
func isBoilerplate(s string) bool {
	lower := strings.ToLower(s)
	for _, p := range boilerplatePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	if containsAnyPhrase(lower) {
		return true
	}
	if strings.Contains(lower, "©") && copyrightYear().MatchString(lower) {
		return true
	}
	// "email this to a friend", "e-mail … to a friend"
	if k := strings.Index(lower, "email"); k >= 0 && strings.Contains(lower[k:], "to a friend") {
		return true
	}
	return false
}

// byline matches a sentence that starts with a byline: "By Jane Smith".
// Compiled on first use: only a sentence that starts with "By " is tried.
var byline = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^By \p{Lu}[\p{Ll}'’-]+ (\p{Lu}\.? )?\p{Lu}[\p{Ll}'’-]+`)
})

// sentence is a summary candidate.
type sentence struct {
	doc   int
	start int
	end   int
	field int
	terms []uint32  // sorted distinct non-stop terms
	w     []float64 // the unit TF-IDF vector over terms
	qrel  float64   // relevance to the query (Otterbacher et al. 2005)
	score float64   // centrality, biased towards the query, in [0, 1]
	order int       // position among all candidates, for tie-breaks
	// prev is the candidate right before it in its article, or -1.
	prev int
}

// goodSentence reports whether s reads as a whole sentence of content.
func goodSentence(s string, words int) bool {
	if words < minSentenceWords || words > maxSentenceWords {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !(unicode.IsUpper(first) || unicode.IsDigit(first) || strings.ContainsRune("\"“‘'(«", first)) {
		return false
	}
	trimmed := strings.TrimRight(s, "\"”’')»")
	last, _ := utf8.DecodeLastRuneInString(trimmed)
	if !strings.ContainsRune(".!?…。", last) {
		return false
	}
	if strings.Count(s, "|") > 1 || strings.Count(s, "•") > 0 {
		return false
	}
	return !isBoilerplate(s) && !(strings.HasPrefix(s, "By ") && byline().MatchString(s))
}

// sentenceSim is the cosine similarity of two candidates' unit vectors.
func sentenceSim(a, b *sentence) float64 {
	var dot float64
	i, j := 0, 0
	for i < len(a.terms) && j < len(b.terms) {
		switch {
		case a.terms[i] < b.terms[j]:
			i++
		case a.terms[i] > b.terms[j]:
			j++
		default:
			dot += a.w[i] * b.w[j]
			i++
			j++
		}
	}
	return dot
}

// summarize picks up to k sentences from the best-ranked articles: scored by
// their centrality in the graph of the sentences' similarities (LexRank,
// Erkan & Radev 2004), biased towards the query when there is one
// (topic-sensitive LexRank, Otterbacher et al. 2005), chosen by MMR so the
// summary does not repeat itself, best first, each citing its article. A
// sentence that refers back to the one before it comes right after that one
// or not at all (opensWithReference).
func summarize(c *corpus, ce *centroid, arts []models.Article, q []queryTerm, order []int, rel []float64, dupOf []int, k int) []models.SummarySentence {
	out := []models.SummarySentence{}
	if k <= 0 {
		return out
	}
	var top []int
	for _, i := range order {
		// Duplicates say nothing new; articles with no bearing on the query
		// (relevance 0 while others match) have no place in its summary.
		if dupOf[i] >= 0 || rel[i] == 0 {
			continue
		}
		top = append(top, i)
		if len(top) == summaryArticles {
			break
		}
	}
	qtf := map[uint32]float64{}
	for _, t := range q {
		if t.id >= 0 {
			qtf[uint32(t.id)] = math.Log(1 + float64(t.qtf))
		}
	}

	cands := summaryCandidates(c, top, qtf, ce)
	if len(cands) == 0 {
		return out
	}
	graph := graphSentences(cands, rel)
	lexRank(cands, graph, rel)
	return chooseSentences(c, arts, cands, graph, k, out)
}

// summaryCandidates reads the good sentences of the top articles (the first
// sentencesPerArticle of each), with their term vectors and query relevance.
// The vectors weigh a term by 1 + ln tf times its idf among the candidate
// sentences, so that words every sentence shares (the topic's, the query's
// on a query-retrieved set) do not make sentences look alike.
func summaryCandidates(c *corpus, top []int, qtf map[uint32]float64, ce *centroid) []sentence {
	var cands []sentence
	seenText := map[string]bool{}
	var ids []uint32
	for _, i := range top {
		d := &c.docs[i]
		idx := 0
		prev := -1 // the candidate index of the sentence just read, -1 if it is no candidate
		for f := fieldSummary; f < numFields && idx < sentencesPerArticle; f++ {
			s := d.text[f]
			toks := d.toks[f]
			ti := 0
			if f == fieldContent && d.text[fieldSummary] != "" {
				prev = -1 // the content does not continue the summary
			}
			for _, sp := range text.Sentences(s) {
				if idx >= sentencesPerArticle {
					break
				}
				idx++
				for ti < len(toks) && int(toks[ti].Off) < sp.Start {
					ti++
				}
				tj := ti
				for tj < len(toks) && int(toks[tj].Off) < sp.End {
					tj++
				}
				stoks := toks[ti:tj]
				ti = tj
				str := s[sp.Start:sp.End]
				if !goodSentence(str, len(stoks)) || seenText[str] {
					prev = -1
					continue
				}
				seenText[str] = true
				sen := sentence{doc: i, start: sp.Start, end: sp.End, field: f, order: len(cands), prev: prev}
				ids = ids[:0]
				for _, t := range stoks {
					if !t.Is(text.FlagStop) {
						ids = append(ids, t.Term)
					}
				}
				slices.Sort(ids)
				distinct := 0
				for a := range ids {
					if a == 0 || ids[a] != ids[a-1] {
						distinct++
					}
				}
				sen.terms = make([]uint32, 0, distinct)
				sen.w = make([]float64, 0, distinct)
				for a := 0; a < len(ids); {
					b := a
					for b < len(ids) && ids[b] == ids[a] {
						b++
					}
					sen.terms = append(sen.terms, ids[a])
					sen.w = append(sen.w, 1+math.Log(float64(b-a))) // tf, weighted below
					a = b
				}
				prev = len(cands)
				cands = append(cands, sen)
			}
		}
	}
	// Unit vectors and query relevance.
	maxIDF := 0.0
	for k := range cands {
		for _, t := range cands[k].terms {
			maxIDF = max(maxIDF, ce.idf[t])
		}
	}
	for k := range cands {
		s := &cands[k]
		var sq float64
		for j, t := range s.terms {
			idf := ce.idf[t]
			if _, ok := qtf[t]; ok {
				idf = max(idf, queryIDFFloor*maxIDF)
			}
			if qw, ok := qtf[t]; ok {
				s.qrel += s.w[j] * qw * idf
			}
			s.w[j] *= idf
			sq += s.w[j] * s.w[j]
		}
		if sq > 0 {
			inv := 1 / math.Sqrt(sq)
			for j := range s.w {
				s.w[j] *= inv
			}
		}
	}
	return cands
}

// graphSentences returns the candidates that enter the similarity graph:
// all of them, or when there are more than summaryGraph, the best by a
// linear pre-score (similarity to the candidates' centroid, relevance to
// the query and of the article), so that the quadratic graph stays bounded.
func graphSentences(cands []sentence, rel []float64) []int {
	g := make([]int, len(cands))
	for k := range g {
		g[k] = k
	}
	if len(cands) <= summaryGraph {
		return g
	}
	cent := map[uint32]float64{}
	var maxQ float64
	for k := range cands {
		for j, t := range cands[k].terms {
			cent[t] += cands[k].w[j]
		}
		maxQ = max(maxQ, cands[k].qrel)
	}
	pre := make([]float64, len(cands))
	for k := range cands {
		s := &cands[k]
		var dot float64
		for j, t := range s.terms {
			dot += s.w[j] * cent[t]
		}
		pre[k] = dot / float64(len(cands)) * (0.5 + 0.5*rel[s.doc])
		if maxQ > 0 {
			pre[k] += s.qrel / maxQ
		}
	}
	slices.SortStableFunc(g, func(a, b int) int {
		if pre[a] != pre[b] {
			if pre[a] > pre[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	g = g[:summaryGraph]
	slices.Sort(g)
	return g
}

// lexRank scores the graph's sentences by PageRank over their cosine
// similarities (links below lexThreshold dropped). The random jump lands on
// a sentence in proportion to its article's relevance and, with a query,
// for the share queryBias, to the sentence's own relevance to the query.
// Scores are scaled so the best is 1; sentences outside the graph score 0.
func lexRank(cands []sentence, g []int, rel []float64) {
	n := len(g)
	// deg is each sentence's sum of similarities.
	// edges holds the pairs a < b whose similarity passes the threshold, in
	// row order, so the power iteration below adds in the same order as a
	// walk over every pair would, and skips the pairs that share no term.
	type edge struct {
		a, b int32
		w    float32
	}
	var edges []edge
	deg := make([]float64, n)
	// The similarities are sentenceSim's, computed with a's weights spread
	// over a dense array: b's terms are visited in the same increasing order
	// and the products are the same, so the sums are bit for bit the same.
	var maxTerm uint32
	for _, k := range g {
		if ts := cands[k].terms; len(ts) > 0 {
			maxTerm = max(maxTerm, ts[len(ts)-1])
		}
	}
	weight := make([]float64, int(maxTerm)+1)
	mark := make([]int32, int(maxTerm)+1)
	for a := 0; a < n; a++ {
		sa := &cands[g[a]]
		for i, t := range sa.terms {
			weight[t], mark[t] = sa.w[i], int32(a+1)
		}
		for b := a + 1; b < n; b++ {
			sb := &cands[g[b]]
			var dot float64
			for j, t := range sb.terms {
				if mark[t] == int32(a+1) {
					dot += weight[t] * sb.w[j]
				}
			}
			s := float32(dot)
			if float64(s) < lexThreshold || s <= 0 {
				continue
			}
			edges = append(edges, edge{int32(a), int32(b), s})
			deg[a] += float64(s)
			deg[b] += float64(s)
		}
	}
	jump := make([]float64, n)
	var artSum, qSum float64
	for a, k := range g {
		jump[a] = rel[cands[k].doc]
		artSum += jump[a]
		qSum += cands[k].qrel
	}
	for a, k := range g {
		jump[a] /= artSum
		if qSum > 0 {
			jump[a] = (1-queryBias)*jump[a] + queryBias*cands[k].qrel/qSum
		}
	}
	p := slices.Clone(jump)
	next := make([]float64, n)
	share := make([]float64, n)
	for range 200 {
		var dangling float64
		for a := range n {
			if deg[a] == 0 {
				dangling += p[a]
			}
		}
		for a := range n {
			next[a] = (1 - lexDamping + lexDamping*dangling) * jump[a]
		}
		for a := range n {
			share[a] = 0
			if deg[a] > 0 {
				share[a] = lexDamping * p[a] / deg[a]
			}
		}
		for _, e := range edges {
			next[e.b] += share[e.a] * float64(e.w)
			next[e.a] += share[e.b] * float64(e.w)
		}
		var diff float64
		for a := range n {
			diff += math.Abs(next[a] - p[a])
		}
		p, next = next, p
		if diff < lexTolerance {
			break
		}
	}
	var best float64
	for _, v := range p {
		best = max(best, v)
	}
	for a, k := range g {
		if best > 0 {
			cands[k].score = p[a] / best
		}
	}
}

// chooseSentences picks up to k sentences of the graph by MMR: the score
// minus the similarity to the sentences already chosen. A sentence that
// refers back to the one before it is taken only together with that one,
// which then comes right before it.
func chooseSentences(c *corpus, arts []models.Article, cands []sentence, g []int, k int, out []models.SummarySentence) []models.SummarySentence {
	var chosen []int // candidate indexes, in reading order of the summary
	isChosen := map[int]bool{}
	used := make([]bool, len(cands))
	// refers[j] is 1 when candidate j refers back, 2 when not, 0 unknown:
	// only the sentences MMR reaches are looked at.
	refersMemo := make([]int8, len(cands))
	refers := func(j int) bool {
		if refersMemo[j] == 0 {
			s := &cands[j]
			refersMemo[j] = 2
			if opensWithReference(c.docs[s.doc].text[s.field][s.start:s.end]) {
				refersMemo[j] = 1
			}
		}
		return refersMemo[j] == 1
	}
	maxSim := func(j int) float64 {
		m := 0.0
		for _, s := range chosen {
			m = max(m, sentenceSim(&cands[j], &cands[s]))
		}
		return m
	}
	for len(chosen) < k {
		best, bestVal := -1, math.Inf(-1)
		for _, j := range g {
			if used[j] {
				continue
			}
			ms := maxSim(j)
			if ms >= nearIdenticalSimilar {
				used[j] = true
				continue
			}
			v := mmrLambda*cands[j].score - (1-mmrLambda)*ms
			if v > bestVal {
				best, bestVal = j, v
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		s := &cands[best]
		if !refers(best) {
			chosen = append(chosen, best)
			isChosen[best] = true
			continue
		}
		// Walk back to the sentence that resolves it: one already chosen, or
		// one that does not refer back itself, at most referenceChain away.
		chain := []int{best}
		x, after := s.prev, -1
		for x >= 0 && len(chain) <= referenceChain {
			if isChosen[x] {
				after = x
				break
			}
			if used[x] || maxSim(x) >= nearIdenticalSimilar {
				x = -1
				break
			}
			chain = append(chain, x)
			if !refers(x) {
				break
			}
			x = cands[x].prev
		}
		resolved := after >= 0 || (x >= 0 && len(chain) <= referenceChain && !refers(chain[len(chain)-1]))
		if !resolved || len(chosen)+len(chain) > k {
			continue // skip it
		}
		slices.Reverse(chain)
		at := len(chosen)
		if after >= 0 {
			at = slices.Index(chosen, after) + 1
		}
		chosen = slices.Insert(chosen, at, chain...)
		for _, x := range chain {
			used[x], isChosen[x] = true, true
		}
	}
	for _, j := range chosen {
		s := &cands[j]
		out = append(out, models.SummarySentence{
			Text:      c.docs[s.doc].text[s.field][s.start:s.end],
			ArticleID: arts[s.doc].ID,
		})
	}
	return out
}
