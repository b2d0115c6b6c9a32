package analysis

import (
	"math"
	"slices"
	"strings"

	"github.com/research-cli/research/analysis/background"
	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// Keyphrase candidates are noun phrases: maximal runs of words that can stand
// in one, inside one clause, less the leading words that cannot start one and
// the trailing words that cannot head one, if 1 to maxPhraseLen words remain.
// No stop word or number anywhere and no one-letter word at an edge; in
// English, what a word can be comes from how a part-of-speech tagger tagged
// it in public text (analysis/background): no adverb, finite verb, pronoun or
// number word anywhere, no verb form first, and a word that is a noun at
// least a quarter of the time last.
const (
	maxPhraseLen = 4
	// maxWordBytes is the longest word a keyphrase may hold; longer ones are
	// identifiers, hashes or garbage.
	maxWordBytes = 40
	// setKeep is how many of each article's best phrases feed the set's keyphrases.
	setKeep = 20
)

// Scoring priors, tuned on the Inspec dev split (docs/quality.md).
var (
	titleBoost = 2.5
	posWeight  = 3.0  // first-position prior: 1 + posWeight/(1 + first/posScale)
	posScale   = 20.0 // tokens
	lenPrior   = [maxPhraseLen + 1]float64{0, 0.8, 1.4, 1.5, 1.3}
)

// adverbExceptions are nouns that end like adverbs.
var adverbExceptions = map[string]bool{"family": true, "supply": true, "assembly": true, "anomaly": true,
	"monopoly": true, "butterfly": true, "reply": true, "italy": true, "july": true, "ally": true, "poly": true}

// isAdverb guesses, from its ending, that an English word is an adverb,
// which never belongs in a keyphrase.
func isAdverb(w string) bool {
	n := len(w)
	if n < 5 || w[n-2]|0x20 != 'l' || w[n-1]|0x20 != 'y' {
		return false
	}
	return !adverbExceptions[strings.ToLower(w)]
}

// headNoun guesses whether an English word can end a noun phrase: past
// participles ("proposed"), and adjectives with tell-tale endings ("-ous",
// "-ble", "-ive"), cannot, apart from the nouns that share those endings.
func headNoun(w string) bool {
	if len(w) < 5 {
		return true
	}
	lw := strings.ToLower(w)
	if nounLike[lw] {
		return true
	}
	if strings.HasSuffix(lw, "ed") && !strings.HasSuffix(lw, "eed") {
		return false
	}
	for _, suf := range adjectiveSuffixes {
		if strings.HasSuffix(lw, suf) {
			return false
		}
	}
	return true
}

// pluralLike guesses that an English word is a plural noun or a verb in the
// third person ("layers", "dominates"): either way it ends a noun phrase.
// Noun compounds take singular modifiers ("feed forward layer"), so in "feed
// forward layers cost" or "benchmarks reward models" the word after it is
// most likely a verb, and "dominates inference memory" starts with one.
func pluralLike(w string) bool {
	n := len(w)
	if n < 4 || w[n-1]|0x20 != 's' {
		return false
	}
	lw := strings.ToLower(w)
	for _, suf := range singularS {
		if strings.HasSuffix(lw, suf) {
			return false
		}
	}
	return !invariantS[lw]
}

// singularS end words that are not plurals though they end in s.
var singularS = []string{"ss", "us", "is", "ics", "ous", "'s", "’s"}

// invariantS are nouns ending in s that modify other nouns as they are.
var invariantS = map[string]bool{"news": true, "series": true, "species": true, "means": true, "sales": true, "arms": true,
	"savings": true, "sports": true, "goods": true, "earnings": true, "communications": true, "systems": true,
	"operations": true, "materials": true, "jobs": true, "sciences": true, "services": true, "emissions": true,
	"products": true, "markets": true}

// adjectiveSuffixes end words that are mostly adjectives.
var adjectiveSuffixes = []string{"ous", "ble", "bles", "ive"}

// nounLike are nouns among words with adjective endings.
var nounLike = map[string]bool{"table": true, "tables": true, "variable": true, "variables": true,
	"cable": true, "cables": true, "bible": true, "ensemble": true, "ensembles": true, "trouble": true,
	"double": true, "module": true, "modules": true, "objective": true, "derivative": true, "alternative": true,
	"initiative": true, "incentive": true, "perspective": true, "executive": true, "directive": true,
	"narrative": true, "archive": true, "detective": true, "representative": true, "collective": true,
	"relative": true, "native": true, "explosive": true, "adhesive": true, "additive": true, "motive": true,
	"locomotive": true, "primitive": true, "primitives": true, "objectives": true, "derivatives": true,
	"alternatives": true, "initiatives": true, "incentives": true, "perspectives": true, "executives": true,
	"directives": true, "archives": true}

// phrase is a keyphrase candidate in one article.
type phrase struct {
	hash    uint64
	setKey  uint64 // hash of the sorted distinct stems, for de-duplication
	terms   [maxPhraseLen]uint32
	kinds   [maxPhraseLen]uint8 // each word's kind (kindBreak, …)
	joined  uint8               // bit k: word k is hyphenated to the word before it (in the text, even before the phrase)
	n       int8
	field   int8 // where the first occurrence is, for display
	inTitle bool
	tf      int32
	first   int32 // position of the first occurrence, counted in words from the title's start
	tok     int32
	score   float64
}

func (p *phrase) seq() []uint32 { return p.terms[:p.n] }

// contains reports whether b's terms are a contiguous run of a's.
func contains(a, b *phrase) bool {
	as, bs := a.seq(), b.seq()
	for i := 0; i+len(bs) <= len(as); i++ {
		k := 0
		for k < len(bs) && as[i+k] == bs[k] {
			k++
		}
		if k == len(bs) {
			return true
		}
	}
	return false
}

// hashTerms hashes a term sequence; the length is mixed in so that
// sequences that are prefixes of each other differ.
func hashTerms(ts []uint32) uint64 {
	h := uint64(len(ts)) * 0x9e3779b97f4a7c15
	for _, t := range ts {
		h = mix64(h ^ uint64(t))
	}
	return h
}

// Word kinds: what a token can be in a keyphrase, from its flags and, in
// English, from the background tagger statistics (or, for a word the
// background text does not have, from its ending).
const (
	kindBreak      uint8 = 1 << iota // never inside a keyphrase: stop word, number, adverb, finite verb, pronoun
	kindNoHead                       // never last: rarely a noun (adjectives, participles, verbs)
	kindNoStart                      // never first: a verb form that is rarely a noun or an adjective ("proposed")
	kindPlural                       // a plural noun or a verb in the third person: the phrase ends after it
	kindGeneric                      // too general to be a keyphrase alone ("paper", "results")
	kindShort                        // one letter: never at an edge
	kindVerbish                      // could be a verb: the tagger made it one at least 3 times in 16, or an unknown -s word
	kindMostlyVerb                   // the tagger made it a verb at least half of the time
)

// closedBreak are English words that are never part of a keyphrase although
// the tagger calls them nouns or adjectives: cardinal number words and
// indefinite pronouns ("eleven open models", "nothing else").
var closedBreak = map[string]bool{}

// noStartWords are English modifiers that judge or count rather than
// classify, so they never start a keyphrase: ordinals ("third failure") and
// evaluative adjectives ("the right tokens").
var noStartWords = map[string]bool{}

// determiners follow a verb, not a noun phrase's head: in "the LLM forgets
// the middle" or "attention change that arithmetic" the word before one is
// a verb when it can be.
var determiners = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`first second third fourth fifth sixth seventh eighth ninth tenth
		right wrong good bad best worst better worse great nice proper`) {
		noStartWords[w] = true
	}
	for _, w := range strings.Fields(`the a an this that these those its their his her our your my some any no
		each every all most more less many much several both either neither such another what which whose
		it them us him`) {
		determiners[w] = true
	}
	for _, w := range strings.Fields(`one two three four five six seven eight nine ten eleven twelve thirteen
		fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
		ninety hundred hundreds thousand thousands million millions billion billions trillion dozen dozens
		ones nothing something anything everything nobody somebody anybody everybody someone anyone everyone
		none whatever whichever whoever`) {
		closedBreak[w] = true
	}
}

// genericShare: a word in more than this share of the background documents
// is too common in general English to be a keyphrase on its own ("paper",
// "results", "memory", "end").
var genericShare = 0.005

// genericStem reports whether a stem is too common in general English to be
// a keyphrase alone.
func genericStem(stem string) bool {
	return stem != "" && float64(background.DocFreq(stem)) > genericShare*float64(background.Docs())
}

// englishKind is the kind of an English word (lw: folded; stem: its stem).
func englishKind(lw, stem string) uint8 {
	var k uint8
	if closedBreak[lw] {
		return kindBreak
	}
	if s, ok := background.WordShares(lw); ok {
		n, j, v := s.Get(background.Noun), s.Get(background.Adjective), s.Get(background.Verb)
		p, g, r := s.Get(background.Participle), s.Get(background.Gerund), s.Get(background.Adverb)
		c, o := s.Get(background.Number), s.Get(background.Other)
		if r >= 12 || o >= 12 || c >= 12 || (v >= 11 && n+j+g <= 4) || (r >= 6 && n < 8 && isAdverb(lw)) {
			k |= kindBreak
		}
		if v >= 3 || g >= 8 || (v >= 1 && pluralLike(lw)) {
			k |= kindVerbish
		}
		if v >= 8 {
			k |= kindMostlyVerb
		}
		if n+g < 4 {
			k |= kindNoHead
		}
		if v+p >= 12 && n+j < 4 {
			k |= kindNoStart
		}
		if g >= 10 && n+j <= 3 { // a verb's -ing form: "reducing overhead", "turning telecommunications"
			k |= kindNoStart
		}

	} else {
		if isAdverb(lw) {
			k |= kindBreak
		}
		if !headNoun(lw) || strings.HasSuffix(lw, "fold") { // "sixfold"
			k |= kindNoHead
		}
		if pluralLike(lw) || strings.HasSuffix(lw, "ing") {
			k |= kindVerbish
		}
	}
	if noStartWords[lw] {
		k |= kindNoStart
	}
	if pluralLike(lw) {
		k |= kindPlural
	}
	if genericStem(stem) {
		k |= kindGeneric
	}
	return k
}

// kindCache classifies tokens for one worker. Classifying a word costs a fold
// and a search of the background table, so kinds are cached by a 64-bit
// hash of the surface form ("learning" and "learn" share a stem, not a
// kind): one hash and one probe per token, no string map.
type kindCache struct {
	an    *text.Analyzer
	vocab []string // the corpus' stems by term id
	kinds *u64Table
	// recent is a small direct-mapped cache in front of kinds: word
	// frequencies are skewed, so most tokens hit it without touching the
	// larger table's memory.
	recent [kindRecent]u64Slot
}

const kindRecent = 2048

func newKindCache(vocab []string) *kindCache {
	kc := &kindCache{an: text.NewAnalyzer(), vocab: vocab, kinds: newU64Table(1024)}
	clear(kc.recent[:]) // written before it is read: see fresh
	return kc
}

// of returns the kind of token t of text src.
func (kc *kindCache) of(t text.Token, src string, english bool) uint8 {
	if t.Flags&(text.FlagStop|text.FlagNumeric) != 0 || t.Len > maxWordBytes {
		return kindBreak
	}
	var short uint8
	if t.Len < 2 {
		short = kindShort
	}
	if !english {
		return short
	}
	w := t.Surface(src)
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint64(w[i])) * 0x100000001b3
	}
	h |= 1
	r := &kc.recent[(h*0x9e3779b97f4a7c15)>>53]
	if r.key == h {
		return uint8(r.val) | short
	}
	k, ok := kc.kinds.get(h)
	if !ok {
		stem := ""
		if int(t.Term) < len(kc.vocab) {
			stem = kc.vocab[t.Term]
		}
		k = int32(englishKind(kc.an.Fold(w), stem))
		kc.kinds.put(h, k)
	}
	r.key, r.val = h, k
	return uint8(k) | short
}

// hyphenJoined reports whether t is hyphenated to the word before it.
func hyphenJoined(t text.Token, src string) bool {
	return t.Off > 0 && src[t.Off-1] == '-'
}

// candidates appends the phrase candidates of d to out, merged by term
// sequence, in order of first occurrence. idx and ks are scratch space
// reused between calls; the kinds computed are returned for reuse.
func candidates(d *doc, kc *kindCache, idx *u64Table, ks []uint8, out []phrase) ([]phrase, []uint8) {
	idx.reset()
	pos := 0
	english := d.lang == text.English
	for f := range numFields {
		toks := d.toks[f]
		src := d.text[f]
		ks = ks[:0]
		for i := range toks {
			ks = append(ks, kc.of(toks[i], src, english))
		}
		for i := 0; i < len(toks); {
			if ks[i]&kindBreak != 0 {
				i++
				continue
			}
			// A maximal run: a clause break, a word that cannot be in a
			// noun phrase, or a plural-looking word before ends it (noun
			// compounds take singular modifiers: in "feed forward layers
			// cost" or "benchmarks reward models" the next word is most
			// likely a verb).
			end := i + 1
			for end < len(toks) && !toks[end].Is(text.FlagBreak) && ks[end]&kindBreak == 0 && ks[end-1]&kindPlural == 0 {
				end++
			}
			a, b := i, end
			i = end
			// A word that can be a verb, after the run's first word and
			// before a determiner, is one; so is a lone -ing word there
			// ("evicting the right tokens").
			if (b-a >= 2 || strings.HasSuffix(toks[b-1].Surface(src), "ing")) && ks[b-1]&kindVerbish != 0 && b < len(toks) && !toks[b].Is(text.FlagBreak) &&
				toks[b].Is(text.FlagStop) && determiners[strings.ToLower(toks[b].Surface(src))] {
				b--
			} else if b-a >= 2 && ks[b-1]&(kindPlural|kindMostlyVerb) == kindPlural|kindMostlyVerb && ks[b-2]&kindPlural == 0 &&
				b < len(toks) && !toks[b].Is(text.FlagBreak) && ks[b]&kindBreak == 0 {
				// An -s word that is mostly a verb, after a singular noun and
				// before another content word, is the verb: "a model reads
				// long documents".
				b--
			}
			// A noun phrase ends with its head noun ("the control system
			// described" gives "control system", the (ADJ|NOUN)* NOUN
			// pattern) and does not start with a verb form.
			for b > a && ks[b-1]&(kindNoHead|kindShort) != 0 {
				b--
			}
			for a < b && ks[a]&(kindNoStart|kindShort) != 0 {
				a++
			}
			// Nor with the tail of a hyphenated compound whose head is not in
			// it: "million-token documents" gives no "token documents".
			for a < b && a > 0 && hyphenJoined(toks[a], src) {
				a++
			}
			l := b - a
			// Runs longer than maxPhraseLen are lists or garbled text; their
			// trailing words as a phrase scored worse on both Inspec folds.
			if l == 0 || l > maxPhraseLen || (l == 1 && ks[a]&kindGeneric != 0) {
				continue
			}
			var p phrase
			p.n = int8(l)
			for k := range l {
				p.terms[k] = toks[a+k].Term
				p.kinds[k] = ks[a+k]
				if hyphenJoined(toks[a+k], src) {
					p.joined |= 1 << k
				}
			}
			p.hash = hashTerms(p.seq()) | 1 // never 0, the table's empty key
			if k, ok := idx.get(p.hash); ok {
				out[k].tf++
				if f == fieldTitle {
					out[k].inTitle = true
				}
				continue
			}
			p.tf = 1
			p.first = int32(pos + a)
			p.field, p.tok = int8(f), int32(a)
			p.inTitle = f == fieldTitle
			idx.put(p.hash, int32(len(out)))
			out = append(out, p)
		}
		pos += len(toks)
	}
	return out, ks
}

// score is a candidate's score: the sum of its words' TF-IDF in the article
// (wordScore[term]; so longer phrases of strong words win), times the
// first-position prior, the title boost and the length prior. The phrase's
// own frequency is already in its words' (an extra 1 + a·ln tf factor scored
// worse on both Inspec folds).
func score(wordScore []float64, p *phrase) float64 {
	s := 0.0
	for _, t := range p.seq() {
		s += wordScore[t]
	}
	s *= 1 + posWeight/(1+float64(p.first)/posScale)
	if p.inTitle {
		s *= titleBoost
	}
	s *= lenPrior[p.n]
	return s
}

// topPhrases scores the candidates and returns the best want of them, best
// first (ties by first occurrence), in top[:0]'s storage.
func topPhrases(wordScore []float64, cands []phrase, want int, scratch []float64, top []phrase) ([]phrase, []float64) {
	want = min(max(want, 0), len(cands))
	if want == 0 {
		return top[:0], scratch[:0]
	}
	scratch = scratch[:0]
	for k := range cands {
		cands[k].score = score(wordScore, &cands[k])
		scratch = append(scratch, cands[k].score)
	}
	cut := math.Inf(-1)
	if len(cands) > want {
		cut = kthLargest(scratch, want)
	}
	top = top[:0]
	for _, p := range cands {
		if p.score >= cut {
			top = append(top, p)
		}
	}
	slices.SortFunc(top, byScore)
	if len(top) > want {
		top = top[:want]
	}
	return top, scratch
}

// kthLargest returns the k-th largest value of xs (1-based), reordering xs.
func kthLargest(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	target := k - 1
	for lo < hi {
		pivot := xs[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] > pivot {
				i++
			}
			for xs[j] < pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case target <= j:
			hi = j
		case target >= i:
			lo = i
		default:
			return xs[target]
		}
	}
	return xs[target]
}

// byScore orders phrases best first, ties by first occurrence then length.
func byScore(a, b phrase) int {
	if a.score != b.score {
		if a.score > b.score {
			return -1
		}
		return 1
	}
	if a.first != b.first {
		return int(a.first - b.first)
	}
	return int(a.n - b.n)
}

// setKey is the hash of the sorted distinct non-stop stems of a phrase.
func setKey(d *doc, p *phrase) uint64 {
	var ts [maxPhraseLen]uint32
	m := 0
	toks := d.toks[p.field][p.tok : p.tok+int32(p.n)]
	for _, t := range toks {
		if !t.Is(text.FlagStop) {
			ts[m] = t.Term
			m++
		}
	}
	s := ts[:m]
	slices.Sort(s)
	return hashTerms(slices.Compact(s))
}

// selectPhrases picks up to k of the candidates, which are sorted best
// first, skipping one with the same stems as a phrase already chosen, one
// contained in a chosen one or containing one, and one sharing most of its
// stems with a chosen one: a list that repeats itself ("block sparse
// attention, block sparse attention layers") reads badly. Keeping both
// "fault" and "fault tolerant control" scored 0.004 better on Inspec F1@10;
// not worth the repetition.
func selectPhrases(cands []phrase, k int) []phrase {
	out := make([]phrase, 0, min(k, len(cands)))
	for i := range cands {
		if len(out) >= k {
			break
		}
		p := &cands[i]
		dup := false
		for j := range out {
			q := &out[j]
			if q.setKey == p.setKey || contains(q, p) || contains(p, q) || sharesMostStems(p, q) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, *p)
		}
	}
	return out
}

// sharesMostStems reports whether one phrase's distinct stems are all in the
// other's, or more than half of the shorter one's are ("key value cache" and
// "key value heads").
func sharesMostStems(a, b *phrase) bool {
	shared, na, nb := 0, 0, 0
	as, bs := a.seq(), b.seq()
	for k, t := range as {
		if firstAt(as, t) != k {
			continue
		}
		na++
		if firstAt(bs, t) >= 0 {
			shared++
		}
	}
	for k, t := range bs {
		if firstAt(bs, t) == k {
			nb++
		}
	}
	short := min(na, nb)
	return shared == short || 2*shared > short
}

// firstAt is the index of t's first occurrence in ts, or -1.
func firstAt(ts []uint32, t uint32) int {
	for k, x := range ts {
		if x == t {
			return k
		}
	}
	return -1
}

// displayPhrase is the folded surface form of a phrase's first occurrence,
// words joined by single spaces.
func displayPhrase(an *text.Analyzer, d *doc, p *phrase) string {
	toks := d.toks[p.field][p.tok : p.tok+int32(p.n)]
	parts := make([]string, len(toks))
	for k, t := range toks {
		parts[k] = an.Fold(t.Surface(d.text[p.field]))
	}
	return strings.Join(parts, " ")
}

// The background document frequencies (analysis/background) are a prior
// worth bgWeight documents in a request of one article, fading out linearly
// until bgFade articles, where the request's own frequencies are evidence
// enough (and the table is not read at all). A word's idf is then
// ln((n + w + 1) / (df + w·p)), p its share of background documents: the
// request's own idf when w is 0.
var (
	bgWeight = 20.0
	bgFade   = 1000.0
)

// keyIDF returns each term's idf for keyphrase scoring.
func keyIDF(c *corpus) []float64 {
	n := len(c.docs)
	idf := make([]float64, len(c.vocab))
	w := bgWeight * max(0, 1-float64(n)/bgFade)
	bgDocs := float64(background.Docs())
	if bgDocs == 0 {
		w = 0
	}
	for t, df := range c.df {
		if df <= 0 {
			continue
		}
		if w == 0 {
			idf[t] = termIDF(n, df)
			continue
		}
		p := (float64(background.DocFreq(c.vocab[t])) + 0.5) / (bgDocs + 1)
		idf[t] = math.Log((float64(n) + w + 1) / (float64(df) + w*p))
	}
	return idf
}

// keyphrases returns each article's keyphrases (indexed like the articles)
// and the set's, weighted by the articles' relevance.
func keyphrases(c *corpus, rel []float64, order, dupOf []int, perArticle, forSet int) ([][]string, []models.Keyword) {
	n := len(c.docs)
	if perArticle == 0 && forSet == 0 {
		artKeys := make([][]string, n)
		for i := range artKeys {
			artKeys[i] = []string{}
		}
		return artKeys, []models.Keyword{}
	}
	wordIDF := keyIDF(c)
	keep := max(perArticle, setKeep)
	picked := make([][]phrase, n)
	shown := make([][]string, n)
	workers := numWorkers(n)
	idxs := make([]*u64Table, workers)
	bufs := make([][]phrase, workers)
	floats := make([][]float64, workers)
	tops := make([][]phrase, workers)
	kinds := make([][]uint8, workers)
	kcs := make([]*kindCache, workers)
	// wordScores[w][term] is the TF-IDF of term in the article worker w is on;
	// dense, filled and cleared per article, so scoring needs no lookups.
	wordScores := make([][]float64, workers)
	for w := range workers {
		idxs[w] = newU64Table(1024)
		kcs[w] = newKindCache(c.vocab)
		wordScores[w] = make([]float64, len(c.vocab))
	}
	parallel(n, func(w, i int) {
		d := &c.docs[i]
		cands, ks := candidates(d, kcs[w], idxs[w], kinds[w], bufs[w][:0])
		bufs[w], kinds[w] = cands, ks
		// De-duplication drops some of the best; score a margin beyond keep,
		// and everything if that was not enough.
		ws := wordScores[w]
		for k, t := range d.terms {
			ws[t] = float64(d.counts[k]) * wordIDF[t]
		}
		var top []phrase
		top, floats[w] = topPhrases(ws, cands, capMul(3, keep, len(cands)), floats[w], tops[w])
		tops[w] = top
		for _, t := range d.terms {
			ws[t] = 0
		}
		for k := range top {
			top[k].setKey = setKey(d, &top[k])
		}
		sel := selectPhrases(top, keep)
		picked[i] = sel
		strs := make([]string, len(sel))
		for k := range sel {
			strs[k] = displayPhrase(kcs[w].an, d, &sel[k])
		}
		shown[i] = strs
	})
	artKeys := make([][]string, n)
	for i := range n {
		artKeys[i] = slices.Clip(shown[i][:min(perArticle, len(shown[i]))])
	}
	if forSet == 0 {
		return artKeys, []models.Keyword{}
	}
	return artKeys, setKeyphrases(c, kcs[0], rel, order, dupOf, picked, forSet)
}
