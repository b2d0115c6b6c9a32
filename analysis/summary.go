package analysis

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// Summary candidate pruning: only the best-ranked articles' first sentences
// are read, and only the best-scoring candidates enter MMR, so the cost does
// not grow with the size of the set.
const (
	summaryArticles      = 25
	sentencesPerArticle  = 80
	summaryCandidates    = 200
	minSentenceWords     = 6
	maxSentenceWords     = 80
	mmrLambda            = 0.7
	nearIdenticalSimilar = 0.7
)

// Sentence score weights, with and without a query (docs/quality.md).
var (
	wQuery, wCentQ, wPosQ, wArtQ = 0.45, 0.4, 0.1, 0.1
	wCent, wPos, wArt            = 0.7, 0.7, 0.15
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
	// copyrightYear is "©" followed by a year.
	copyrightYear = regexp.MustCompile(`© ?\d{4}`)
)

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
	for _, p := range boilerplatePhrases {
		if strings.Contains(lower, p) {
			return true
		}
	}
	if strings.Contains(lower, "©") && copyrightYear.MatchString(lower) {
		return true
	}
	// "email this to a friend", "e-mail … to a friend"
	if k := strings.Index(lower, "email"); k >= 0 && strings.Contains(lower[k:], "to a friend") {
		return true
	}
	return false
}

// byline matches a sentence that starts with a byline: "By Jane Smith".
var byline = regexp.MustCompile(`^By \p{Lu}[\p{Ll}'’-]+ (\p{Lu}\.? )?\p{Lu}[\p{Ll}'’-]+`)

// sentence is a summary candidate.
type sentence struct {
	doc   int
	start int
	end   int
	field int
	terms []uint32 // sorted distinct
	w     []float64
	norm  float64
	score float64
	order int // position among all candidates, for tie-breaks
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
	return !isBoilerplate(s) && !byline.MatchString(s)
}

func sentenceSim(a, b *sentence) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
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
	return dot / (a.norm * b.norm)
}

// summarize picks up to k sentences, best first: scored by relevance to the
// query, centrality among the top articles and position, chosen by MMR.
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
	// A local centroid of the top articles: what the relevant articles share.
	local := map[uint32]float64{}
	for _, i := range top {
		d := &c.docs[i]
		var sq float64
		for j, t := range d.terms {
			w := (1 + math.Log(float64(d.counts[j]))) * ce.idf[t]
			sq += w * w
		}
		if sq == 0 {
			continue
		}
		inv := 1 / math.Sqrt(sq)
		for j, t := range d.terms {
			local[t] += (1 + math.Log(float64(d.counts[j]))) * ce.idf[t] * inv
		}
	}
	var localNorm float64
	for _, t := range sortedKeys(local) {
		localNorm += local[t] * local[t]
	}
	localNorm = math.Sqrt(localNorm)

	qw := map[uint32]float64{}
	var qTotal float64
	for _, t := range q {
		if t.id >= 0 {
			w := idfBM25(len(c.docs), c.df[t.id])
			qw[uint32(t.id)] = w
			qTotal += w
		}
	}
	hasQuery := qTotal > 0

	var cands []sentence
	seenText := map[string]bool{}
	for _, i := range top {
		d := &c.docs[i]
		idx := 0
		for f := fieldSummary; f < numFields && idx < sentencesPerArticle; f++ {
			s := d.text[f]
			toks := d.toks[f]
			ti := 0
			for _, sp := range text.Sentences(s) {
				if idx >= sentencesPerArticle {
					break
				}
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
				pos := idx
				idx++
				if !goodSentence(str, len(stoks)) || seenText[str] {
					continue
				}
				seenText[str] = true
				sen := sentence{doc: i, start: sp.Start, end: sp.End, field: f, order: len(cands)}
				var ids []uint32
				for _, t := range stoks {
					if !t.Is(text.FlagStop) {
						ids = append(ids, t.Term)
					}
				}
				slices.Sort(ids)
				var dot, qs float64
				for a := 0; a < len(ids); {
					b := a
					for b < len(ids) && ids[b] == ids[a] {
						b++
					}
					t := ids[a]
					w := (1 + math.Log(float64(b-a))) * ce.idf[t]
					sen.terms = append(sen.terms, t)
					sen.w = append(sen.w, w)
					sen.norm += w * w
					dot += w * local[t]
					qs += qw[t]
					a = b
				}
				sen.norm = math.Sqrt(sen.norm)
				cent := 0.0
				if sen.norm > 0 && localNorm > 0 {
					cent = dot / (sen.norm * localNorm)
				}
				posScore := 1 / math.Sqrt(1+float64(pos))
				if hasQuery {
					sen.score = wQuery*qs/qTotal + wCentQ*cent + wPosQ*posScore + wArtQ*rel[i]
				} else {
					sen.score = wCent*cent + wPos*posScore + wArt*rel[i]
				}
				cands = append(cands, sen)
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b sentence) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return a.order - b.order
	})
	if len(cands) > summaryCandidates {
		cands = cands[:summaryCandidates]
	}
	var chosen []*sentence
	used := make([]bool, len(cands))
	for len(chosen) < k {
		best, bestVal := -1, math.Inf(-1)
		for j := range cands {
			if used[j] {
				continue
			}
			maxSim := 0.0
			for _, s := range chosen {
				maxSim = max(maxSim, sentenceSim(&cands[j], s))
			}
			if maxSim >= nearIdenticalSimilar {
				used[j] = true
				continue
			}
			v := mmrLambda*cands[j].score - (1-mmrLambda)*maxSim
			if v > bestVal {
				best, bestVal = j, v
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		chosen = append(chosen, &cands[best])
	}
	for _, s := range chosen {
		out = append(out, models.SummarySentence{
			Text:      c.docs[s.doc].text[s.field][s.start:s.end],
			ArticleID: arts[s.doc].ID,
		})
	}
	return out
}

func sortedKeys(m map[uint32]float64) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
