// Command bggen builds analysis/background's embedded table from public text
// on this machine: WordNet 3.0's glosses (Debian package wordnet-base,
// /usr/share/wordnet; WordNet 3.0 licence) and the comments of the Go
// distribution's source tree (GOROOT/src; BSD-3-Clause). It counts each
// Snowball English stem's document frequency and tags the text with
// github.com/jdkato/prose/v3/tag to count each word's part-of-speech classes.
//
//	go run ./internal/bggen -o analysis/background/english.bin
//
// The output depends only on the input files, so a rebuild from the same
// WordNet and Go versions gives the same bytes.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode"

	"github.com/jdkato/prose/v3/tag"
	"github.com/research-cli/research/analysis/background"
	"github.com/research-cli/research/analysis/text"
)

const (
	glossesPerDoc = 25 // consecutive WordNet synsets (same lexicographer file, so one topic) make a document
	minStemDF     = 3  // stems in fewer documents are left out (unknown = rare)
	minWordCount  = 4  // words tagged fewer times are left out
)

func main() {
	wordnet := flag.String("wordnet", "/usr/share/wordnet", "WordNet 3.0 dict directory (data.noun, data.verb, …)")
	goroot := flag.String("goroot", runtime.GOROOT(), "Go distribution whose src/ comments are read")
	out := flag.String("o", "english.bin", "output file")
	flag.Parse()
	if err := run(*wordnet, *goroot, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bggen:", err)
		os.Exit(1)
	}
}

// doc is one background document: its sentences. In Go comments the first
// word of a sentence is often an identifier ("Encode writes …"), which the
// tagger calls a noun, so goDoc documents do not count it for the tags.
type doc struct {
	sentences []string
	goDoc     bool
}

func run(wordnet, goroot, out string) error {
	var docs []doc
	wn, err := wordnetDocs(wordnet)
	if err != nil {
		return err
	}
	docs = append(docs, wn...)
	gd, err := goDocs(filepath.Join(goroot, "src"))
	if err != nil {
		return err
	}
	docs = append(docs, gd...)
	fmt.Fprintf(os.Stderr, "bggen: %d WordNet documents, %d Go source files with comments\n", len(wn), len(gd))

	an := text.NewAnalyzer()
	tagger, err := tag.New()
	if err != nil {
		return fmt.Errorf("tagger: %w", err)
	}
	df := map[string]int{}
	counts := map[string]*[background.NumClasses]int{}
	var toks []text.Token
	tagged := 0
	for _, d := range docs {
		seen := map[uint32]bool{}
		for _, s := range d.sentences {
			toks = an.Tokenize(text.English, s, toks[:0])
			for _, t := range toks {
				if !seen[t.Term] {
					seen[t.Term] = true
				}
			}
			words := split(s)
			if len(words) == 0 {
				continue
			}
			tagged += len(words)
			for k, tk := range tagger.Tag(words) {
				if !hasLetter(tk.Text) || (d.goDoc && (k == 0 || identifier(tk.Text))) {
					continue
				}
				w := an.Fold(tk.Text)
				c := counts[w]
				if c == nil {
					c = new([background.NumClasses]int)
					counts[w] = c
				}
				c[classOf(tk.Tag)]++
			}
		}
		terms := an.Terms()
		for t := range seen {
			df[terms[t]]++
		}
	}
	added, err := addLemmas(wordnet, counts)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bggen: %d documents, %d words tagged, %d stems, %d distinct words (%d from WordNet's index)\n", len(docs), tagged, len(df), len(counts), added)
	return os.WriteFile(out, encode(len(docs), df, counts), 0o644)
}

// encode writes the table in analysis/background's format.
func encode(ndocs int, df map[string]int, counts map[string]*[background.NumClasses]int) []byte {
	type kv struct {
		k uint32
		v uint32
	}
	var stems, words []kv
	for s, n := range df {
		if n >= minStemDF {
			stems = append(stems, kv{background.Hash(s), uint32(min(n, 0xFFFF))})
		}
	}
	for w, c := range counts {
		total := 0
		for _, n := range c {
			total += n
		}
		if total < minWordCount {
			continue
		}
		var v uint32
		for k, n := range c {
			q := min((16*n+total/2)/total, 15)
			v |= uint32(q) << (4 * uint(k))
		}
		words = append(words, kv{background.Hash(w), v})
	}
	// On a hash collision keep one entry, deterministically (the larger
	// value): the table is a prior.
	dedup := func(xs []kv) []kv {
		slices.SortFunc(xs, func(a, b kv) int {
			if a.k != b.k {
				if a.k < b.k {
					return -1
				}
				return 1
			}
			if a.v != b.v {
				if a.v > b.v {
					return -1
				}
				return 1
			}
			return 0
		})
		return slices.CompactFunc(xs, func(a, b kv) bool { return a.k == b.k })
	}
	stems, words = dedup(stems), dedup(words)
	le := binary.LittleEndian
	b := []byte("RBG1")
	b = le.AppendUint32(b, uint32(ndocs))
	b = le.AppendUint32(b, uint32(len(stems)))
	b = le.AppendUint32(b, uint32(len(words)))
	for _, s := range stems {
		b = le.AppendUint32(b, s.k)
	}
	for _, s := range stems {
		b = le.AppendUint16(b, uint16(s.v))
	}
	for _, w := range words {
		b = le.AppendUint32(b, w.k)
	}
	for _, w := range words {
		b = le.AppendUint32(b, w.v)
	}
	return b
}

// addLemmas gives the words the tagger saw fewer than minWordCount times
// their parts of speech from WordNet's index files (index.noun, index.verb,
// index.adj, index.adv), each weighted by its tagged sense count + 1 (how
// often the lemma was tagged with that part of speech in the SemCor corpus):
// "recurrent" and "sixfold" are adjectives or adverbs even where the glosses
// do not use them. Noun-only lemmas are left out (an unknown word is taken
// for a noun anyway) unless they end like the adjectives and participles of
// analysis' ending rules ("seabed", "ensemble"). It returns how many words
// it added.
func addLemmas(dir string, counts map[string]*[background.NumClasses]int) (int, error) {
	type entry struct{ w [background.NumClasses]int }
	lemmas := map[string]*entry{}
	var order []string
	for _, f := range []struct {
		name string
		c    background.Class
	}{{"index.noun", background.Noun}, {"index.verb", background.Verb}, {"index.adj", background.Adjective}, {"index.adv", background.Adverb}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return 0, fmt.Errorf("WordNet (apt-get install wordnet-base): %w", err)
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 6 || strings.HasPrefix(line, " ") || strings.ContainsAny(fs[0], "_-.'") {
				continue
			}
			var pcnt int
			if _, err := fmt.Sscan(fs[3], &pcnt); err != nil || 5+pcnt >= len(fs) {
				continue
			}
			var tagged int
			if _, err := fmt.Sscan(fs[5+pcnt], &tagged); err != nil {
				continue
			}
			e := lemmas[fs[0]]
			if e == nil {
				e = &entry{}
				lemmas[fs[0]] = e
				order = append(order, fs[0])
			}
			e.w[f.c] += tagged + 1
		}
	}
	slices.Sort(order)
	added := 0
	for _, w := range order {
		e := lemmas[w]
		if c := counts[w]; c != nil {
			total := 0
			for _, n := range c {
				total += n
			}
			if total >= minWordCount {
				// The tagger takes a rare adjective for a noun ("recurrent",
				// "sparse"); a lemma WordNet never has as a noun is not one.
				if e.w[background.Noun] == 0 && c[background.Noun] > 0 {
					to := background.Adjective
					switch {
					case e.w[background.Adjective] > 0:
					case e.w[background.Verb] > 0:
						to = background.Verb
					default:
						to = background.Adverb
					}
					c[to] += c[background.Noun]
					c[background.Noun] = 0
				}
				continue
			}
		}
		if e.w[background.Verb]+e.w[background.Adjective]+e.w[background.Adverb] == 0 && !nonNounEnding(w) {
			continue
		}
		c := new([background.NumClasses]int)
		total := 0
		for k, n := range e.w {
			total += n
			c[k] = n
		}
		for total < minWordCount { // scale up so the entry is kept
			total = 0
			for k := range c {
				c[k] *= 2
				total += c[k]
			}
		}
		counts[w] = c
		added++
	}
	return added, nil
}

// nonNounEnding reports whether a word ends like the words analysis' ending
// rules take for adjectives, participles or adverbs.
func nonNounEnding(w string) bool {
	for _, suf := range []string{"ed", "ous", "ble", "ive", "ly"} {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// classOf maps a Penn Treebank tag to a background class.
func classOf(t string) background.Class {
	switch {
	case strings.HasPrefix(t, "NN"):
		return background.Noun
	case strings.HasPrefix(t, "JJ"):
		return background.Adjective
	case t == "VBN":
		return background.Participle
	case t == "VBG":
		return background.Gerund
	case strings.HasPrefix(t, "VB"):
		return background.Verb
	case strings.HasPrefix(t, "RB"), t == "RP", t == "WRB":
		return background.Adverb
	case t == "CD":
		return background.Number
	}
	return background.Other
}

// split cuts a sentence into the tagger's tokens: words (letters and digits,
// with an inner apostrophe) and single punctuation marks. Hyphens split words,
// as the analyzer's tokenizer does.
func split(s string) []string {
	var out []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i + 1
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) ||
				((rs[j] == '\'' || rs[j] == '’') && j+1 < len(rs) && unicode.IsLetter(rs[j+1]))) {
				j++
			}
			out = append(out, string(rs[i:j]))
			i = j
		default:
			out = append(out, string(r))
			i++
		}
	}
	return out
}

// identifier reports whether a word from a Go comment looks like code:
// an upper-case letter after the first, or a digit.
func identifier(s string) bool {
	for i, r := range s {
		if (i > 0 && unicode.IsUpper(r)) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// wordnetDocs reads the glosses of data.noun, data.verb, data.adj and
// data.adv: each synset's definition and quoted examples are sentences, and
// glossesPerDoc consecutive synsets make one document.
func wordnetDocs(dir string) ([]doc, error) {
	var docs []doc
	for _, name := range []string{"data.noun", "data.verb", "data.adj", "data.adv"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("WordNet (apt-get install wordnet-base): %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var cur doc
		n := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "  ") { // the licence header
				continue
			}
			_, gloss, ok := strings.Cut(line, " | ")
			if !ok {
				continue
			}
			for part := range strings.SplitSeq(gloss, ";") {
				part = strings.Trim(strings.TrimSpace(part), `"`)
				if part != "" {
					cur.sentences = append(cur.sentences, part)
				}
			}
			n++
			if n%glossesPerDoc == 0 {
				docs = append(docs, cur)
				cur = doc{}
			}
		}
		if len(cur.sentences) > 0 {
			docs = append(docs, cur)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return docs, nil
}

// goDocs reads the comments of every .go file under src (testdata left
// out): one document per file, one sentence per comment paragraph sentence.
// Licence headers, directives and indented code in comments are skipped.
func goDocs(src string) ([]doc, error) {
	var paths []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("go source: %w", err)
	}
	slices.Sort(paths)
	var docs []doc
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		d := doc{goDoc: true}
		for _, para := range commentParagraphs(b) {
			for _, sp := range text.Sentences(para) {
				d.sentences = append(d.sentences, para[sp.Start:sp.End])
			}
		}
		if len(d.sentences) > 0 {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil, errors.New("go source: no comments found under " + src)
	}
	return docs, nil
}

// commentParagraphs returns the prose paragraphs of a Go file's comments.
func commentParagraphs(src []byte) []string {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, " "))
			cur = nil
		}
	}
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT {
			flush()
			continue
		}
		var lines []string
		if strings.HasPrefix(lit, "/*") {
			lines = strings.Split(strings.TrimSuffix(strings.TrimPrefix(lit, "/*"), "*/"), "\n")
		} else {
			lines = []string{strings.TrimPrefix(lit, "//")}
		}
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "go:"), strings.HasPrefix(l, "\t"), strings.HasPrefix(l, "  "),
				strings.Contains(l, "Copyright"), strings.Contains(l, "license that can be found"),
				strings.Contains(l, "BSD-style"):
				flush()
				continue
			}
			l = strings.TrimSpace(l)
			if l == "" {
				flush()
				continue
			}
			cur = append(cur, l)
		}
	}
	flush()
	return paras
}
