package analysis

import (
	"math"
	"time"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// BM25F parameters: the Lucene formula with per-field weights.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// fieldWeights weigh a match in the title, the summary and the content.
var fieldWeights = [numFields]float64{3.0, 1.5, 1.0}

// Weights of centrality and recency when the query is empty.
const (
	centralityWeight = 0.8
	recencyWeight    = 0.2
	// recencyHalfLife is the age, relative to the newest article, at which
	// the recency score halves.
	recencyHalfLife = 7 * 24 * time.Hour
)

// queryTerm is one distinct term of the query.
type queryTerm struct {
	id      int // global term id, -1 when no article contains it
	stem    string
	surface string // folded form, for explanations
	qtf     int
}

// parseQuery runs the query through the text pipeline in the language the
// query is in when that is clear, else the articles' majority language.
func parseQuery(c *corpus, q string) []queryTerm {
	lang := text.DetectLanguage(q)
	if len(q) < 40 {
		lang = majorityLang(c)
	}
	an := text.NewAnalyzer()
	toks := an.Tokenize(lang, q, nil)
	terms := an.Terms()
	useStop := true
	for _, t := range toks {
		if !t.Is(text.FlagStop) {
			useStop = false
			break
		}
	}
	var out []queryTerm
	seen := map[string]int{}
	for _, t := range toks {
		if t.Is(text.FlagStop) && !useStop {
			continue
		}
		stem := terms[t.Term]
		if k, ok := seen[stem]; ok {
			out[k].qtf++
			continue
		}
		seen[stem] = len(out)
		out = append(out, queryTerm{id: c.termID(stem), stem: stem, surface: an.Fold(t.Surface(q)), qtf: 1})
	}
	return out
}

func majorityLang(c *corpus) text.Lang {
	counts := map[text.Lang]int{}
	for i := range c.docs {
		counts[c.docs[i].lang]++
	}
	best, bestN := text.English, 0
	for _, l := range []text.Lang{text.English, text.German, text.French, text.Spanish, text.Italian, text.Dutch, text.Portuguese, text.Swedish} {
		if counts[l] > bestN {
			best, bestN = l, counts[l]
		}
	}
	return best
}

// idfBM25 is Lucene's BM25 idf.
func idfBM25(n int, df int32) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// scoreBM25F scores every document against the query. With explain it also
// splits each score by field and by term.
func scoreBM25F(c *corpus, q []queryTerm, explain bool) ([]float64, []*models.Explanation) {
	n := len(c.docs)
	var avg [numFields]float64
	var with [numFields]int
	for i := range c.docs {
		for f := range numFields {
			if c.docs[i].flen[f] > 0 {
				avg[f] += float64(c.docs[i].flen[f])
				with[f]++
			}
		}
	}
	for f := range numFields {
		if with[f] > 0 {
			avg[f] /= float64(with[f])
		}
	}
	qidx := make(map[uint32]int, len(q))
	idf := make([]float64, len(q))
	for k, t := range q {
		if t.id >= 0 {
			qidx[uint32(t.id)] = k
			idf[k] = idfBM25(n, c.df[t.id])
		}
	}
	scores := make([]float64, n)
	var expl []*models.Explanation
	if explain {
		expl = make([]*models.Explanation, n)
	}
	if len(qidx) == 0 {
		if explain {
			for i := range expl {
				expl[i] = &models.Explanation{Note: "bm25f: no query term occurs in any article"}
			}
		}
		return scores, expl
	}
	parallel(n, func(_, i int) {
		d := &c.docs[i]
		tf := make([][numFields]float64, len(q))
		for f := range numFields {
			for _, t := range d.toks[f] {
				if k, ok := qidx[t.Term]; ok {
					tf[k][f]++
				}
			}
		}
		var e *models.Explanation
		if explain {
			e = &models.Explanation{Fields: map[string]float64{}, Terms: map[string]float64{}, Note: "bm25f"}
			expl[i] = e
		}
		var total float64
		for k := range q {
			var tfn float64
			var parts [numFields]float64
			for f := range numFields {
				if tf[k][f] == 0 {
					continue
				}
				norm := 1.0
				if avg[f] > 0 { // zero when the field holds only stop words everywhere
					norm = 1 - bm25B + bm25B*float64(d.flen[f])/avg[f]
				}
				parts[f] = fieldWeights[f] * tf[k][f] / norm
				tfn += parts[f]
			}
			if tfn == 0 {
				continue
			}
			s := idf[k] * tfn / (bm25K1 + tfn) * float64(q[k].qtf)
			total += s
			if e != nil {
				e.Terms[q[k].surface] = round4(e.Terms[q[k].surface] + s)
				for f := range numFields {
					if parts[f] > 0 {
						e.Fields[fieldNames[f]] += s * parts[f] / tfn
					}
				}
			}
		}
		scores[i] = total
		if e != nil {
			for f, v := range e.Fields {
				e.Fields[f] = round4(v)
			}
		}
	})
	return scores, expl
}

// centroid is the mean of the documents' normalised TF-IDF vectors.
type centroid struct {
	vec  []float64
	norm float64
	idf  []float64
}

// termIDF is the smoothed idf used for vectors (centrality, similarity).
func termIDF(n int, df int32) float64 {
	return math.Log(float64(n+1) / float64(df))
}

func buildCentroid(c *corpus) *centroid {
	n := len(c.docs)
	ce := &centroid{vec: make([]float64, len(c.vocab)), idf: make([]float64, len(c.vocab))}
	for t, df := range c.df {
		if df > 0 {
			ce.idf[t] = termIDF(n, df)
		}
	}
	for i := range c.docs {
		d := &c.docs[i]
		var sq float64
		for k, t := range d.terms {
			w := (1 + math.Log(float64(d.counts[k]))) * ce.idf[t]
			sq += w * w
		}
		if sq == 0 {
			continue
		}
		inv := 1 / math.Sqrt(sq)
		for k, t := range d.terms {
			ce.vec[t] += (1 + math.Log(float64(d.counts[k]))) * ce.idf[t] * inv
		}
	}
	var sq float64
	for _, v := range ce.vec {
		sq += v * v
	}
	ce.norm = math.Sqrt(sq)
	return ce
}

// cosine is the cosine similarity of a document's vector with the centroid.
func (ce *centroid) cosine(terms []uint32, counts []uint32) float64 {
	if ce.norm == 0 {
		return 0
	}
	var dot, sq float64
	for k, t := range terms {
		w := (1 + math.Log(float64(counts[k]))) * ce.idf[t]
		dot += w * ce.vec[t]
		sq += w * w
	}
	if sq == 0 {
		return 0
	}
	return dot / (math.Sqrt(sq) * ce.norm)
}

// scoreCentralityRecency scores documents for an empty query: how typical
// each is of the set, and how recent relative to the newest article.
func scoreCentralityRecency(c *corpus, ce *centroid, arts []models.Article, explain bool) ([]float64, []*models.Explanation) {
	n := len(c.docs)
	cent := make([]float64, n)
	parallel(n, func(_, i int) {
		cent[i] = ce.cosine(c.docs[i].terms, c.docs[i].counts)
	})
	maxCent := 0.0
	for _, v := range cent {
		maxCent = max(maxCent, v)
	}
	var newest time.Time
	for i := range arts {
		if p := arts[i].Published; !p.IsZero() && p.After(newest) {
			newest = p
		}
	}
	scores := make([]float64, n)
	var expl []*models.Explanation
	if explain {
		expl = make([]*models.Explanation, n)
	}
	for i := range n {
		ct := 0.0
		if maxCent > 0 {
			ct = cent[i] / maxCent
		}
		rec := 0.0
		if p := arts[i].Published; !p.IsZero() {
			age := newest.Sub(p)
			rec = math.Exp2(-float64(age) / float64(recencyHalfLife))
		}
		scores[i] = centralityWeight*ct + recencyWeight*rec
		if explain {
			expl[i] = &models.Explanation{Centrality: round4(ct), Recency: round4(rec), Note: "empty query: 0.8 centrality + 0.2 recency"}
		}
	}
	return scores, expl
}

// round4 rounds to 4 decimals so tiny floating-point differences never
// change the output bytes or the order.
func round4(x float64) float64 {
	return math.Round(x*1e4) / 1e4
}
