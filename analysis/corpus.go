package analysis

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/research-cli/research/analysis/text"
	"github.com/research-cli/research/models"
)

// The fields of an article that are analysed, in the order their tokens are
// numbered (a phrase's position counts from the start of the title).
const (
	fieldTitle = iota
	fieldSummary
	fieldContent
	numFields
)

var fieldNames = [numFields]string{"title", "summary", "content"}

// doc is one article after the text pipeline.
type doc struct {
	lang   text.Lang
	text   [numFields]string
	toks   [numFields][]text.Token
	flen   [numFields]int // non-stop words per field, the BM25F field length
	words  int            // every word, for stats
	terms  []uint32       // sorted distinct non-stop terms of all fields
	counts []uint32       // counts[i] is the frequency of terms[i]
	worker int            // which analyzer produced the local term ids
}

// corpus is the request's articles after the text pipeline, with a global,
// sorted vocabulary (so term ids do not depend on goroutine scheduling).
type corpus struct {
	docs  []doc
	vocab []string // vocab[id] is the stem; sorted
	df    []int32  // df[id] is how many documents contain the term
}

// numWorkers is how many goroutines work on per-article steps.
func numWorkers(n int) int {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	return max(w, 1)
}

// parallel calls fn(worker, i) for every i in [0, n) on numWorkers(n)
// goroutines and returns when all are done. Results must be stored by i so
// the output does not depend on scheduling. A panic in fn is recovered in
// its goroutine and raised again on the caller's (as a *WorkerPanic with the
// worker's stack), so that the caller's recover sees it: an unrecovered
// panic in a worker would kill the process with the runtime's exit status
// 2, which the contract reserves for an invalid request.
func parallel(n int, fn func(worker, i int)) {
	w := numWorkers(n)
	if w == 1 {
		for i := range n {
			if testHookItem != nil {
				testHookItem(i)
			}
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[WorkerPanic]
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					failed.CompareAndSwap(nil, &WorkerPanic{Value: r, Stack: debug.Stack()})
					next.Store(int64(n)) // the others stop at their next item
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				if testHookItem != nil {
					testHookItem(i)
				}
				fn(k, i)
			}
		}()
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		panic(p)
	}
}

// testHookItem, when set by a test, is called before each item of parallel
// on a worker goroutine, so tests can inject a panic there.
var testHookItem func(i int)

// WorkerPanic is the value a panic in one of the analysis' worker
// goroutines is raised again with on the calling goroutine.
type WorkerPanic struct {
	Value any    // what the worker panicked with
	Stack []byte // the worker goroutine's stack at the panic
}

func (p *WorkerPanic) Error() string { return fmt.Sprintf("panic in analysis worker: %v", p.Value) }

// Unwrap returns the worker's panic value when it was an error.
func (p *WorkerPanic) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// detectText is what language detection looks at: the start of the article.
func detectText(a *models.Article) string {
	s := a.Title + ". " + a.Summary
	if len(s) < 400 {
		c := a.Content
		if len(c) > 800 {
			c = c[:800]
		}
		s += " " + c
	}
	return s
}

// maxFieldBytes bounds how much of each field is analysed. A book-length
// "article" would otherwise cost time and memory out of all proportion to its
// worth in a research report; its first megabyte says what it is about.
const maxFieldBytes = 1 << 20

// clip returns s cut to at most maxFieldBytes, at a white-space boundary
// when there is one in the last kilobyte, never inside a UTF-8 sequence.
func clip(s string) string {
	if len(s) <= maxFieldBytes {
		return s
	}
	cut := maxFieldBytes
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	if sp := strings.LastIndexAny(s[cut-1024:cut], " \n\t"); sp >= 0 {
		cut = cut - 1024 + sp
	}
	return s[:cut]
}

// buildCorpus runs the text pipeline over every article, in parallel.
func buildCorpus(arts []models.Article) *corpus {
	n := len(arts)
	c := &corpus{docs: make([]doc, n)}
	analyzers := make([]*text.Analyzer, numWorkers(n))
	for i := range analyzers {
		analyzers[i] = text.NewAnalyzer()
	}
	parallel(n, func(w, i int) {
		a := &arts[i]
		d := &c.docs[i]
		d.worker = w
		// A language the source declares wins over detection.
		if l, ok := text.ParseLang(a.Language); ok {
			d.lang = l
		} else {
			d.lang = text.DetectLanguage(detectText(a))
		}
		d.text = [numFields]string{clip(a.Title), clip(a.Summary), clip(a.Content)}
		an := analyzers[w]
		orig := [numFields]string{a.Title, a.Summary, a.Content}
		for f := range numFields {
			// About one word per six bytes of English; sized once, not grown.
			d.toks[f] = an.Tokenize(d.lang, d.text[f], make([]text.Token, 0, len(d.text[f])/6+1))
			words := len(d.toks[f])
			if n := len(d.text[f]); n < len(orig[f]) && n > 0 {
				// Clipped: extrapolate the word count for the statistics.
				words = int(float64(words) * float64(len(orig[f])) / float64(n))
			}
			d.words += words
		}
	})

	// Merge the per-worker vocabularies into one sorted vocabulary.
	var all []string
	for _, an := range analyzers {
		all = append(all, an.Terms()...)
	}
	slices.Sort(all)
	c.vocab = slices.Compact(all)
	remap := make([][]uint32, len(analyzers))
	for w, an := range analyzers {
		terms := an.Terms()
		remap[w] = make([]uint32, len(terms))
		for local, t := range terms {
			remap[w][local] = uint32(sort.SearchStrings(c.vocab, t))
		}
	}

	// Per-worker dense counters over the vocabulary, cleared after each
	// article: counting terms this way avoids sorting every token.
	counters := make([][]uint32, len(analyzers))
	distinct := make([][]uint32, len(analyzers))
	for w := range counters {
		counters[w] = make([]uint32, len(c.vocab))
	}
	parallel(n, func(w, i int) {
		d := &c.docs[i]
		m := remap[d.worker]
		cnt := counters[w]
		list := distinct[w][:0]
		for f := range numFields {
			toks := d.toks[f]
			for k := range toks {
				t := m[toks[k].Term]
				toks[k].Term = t
				if !toks[k].Is(text.FlagStop) {
					d.flen[f]++
					if cnt[t] == 0 {
						list = append(list, t)
					}
					cnt[t]++
				}
			}
		}
		slices.Sort(list)
		d.terms = slices.Clone(list)
		d.counts = make([]uint32, len(list))
		for k, t := range list {
			d.counts[k] = cnt[t]
			cnt[t] = 0
		}
		distinct[w] = list
	})

	c.df = make([]int32, len(c.vocab))
	for i := range c.docs {
		for _, t := range c.docs[i].terms {
			c.df[t]++
		}
	}
	return c
}

// termID returns the global id of stem, or -1 when no article has it.
func (c *corpus) termID(stem string) int {
	i := sort.SearchStrings(c.vocab, stem)
	if i < len(c.vocab) && c.vocab[i] == stem {
		return i
	}
	return -1
}
