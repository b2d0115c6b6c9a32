// Package text is the analyzer's text pipeline: Unicode normalisation and case
// folding, UAX #29 word and sentence segmentation, stop words and Snowball
// stemming per language. It does no I/O.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/clipperhouse/uax29/v2/sentences"
	"github.com/clipperhouse/uax29/v2/words"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Token flags.
const (
	// FlagStop marks a stop word.
	FlagStop uint8 = 1 << iota
	// FlagBreak marks a word preceded by punctuation that ends a phrase
	// (anything but a hyphen or an apostrophe).
	FlagBreak
	// FlagNumeric marks a word without letters.
	FlagNumeric
)

// Token is one word of a text: its term (an id in the Analyzer's vocabulary,
// the stem), where it sits in the original text, and flags.
type Token struct {
	Term  uint32
	Off   uint32
	Len   uint16
	Flags uint8
}

// Surface returns the token's original text in s.
func (t Token) Surface(s string) string {
	return s[t.Off : int(t.Off)+int(t.Len)]
}

// Is reports whether all of flags are set.
func (t Token) Is(flags uint8) bool { return t.Flags&flags == flags }

type entry struct {
	term  uint32
	flags uint8
}

// maxStemLen is the longest word we stem; longer "words" are identifiers,
// hashes or garbage and are kept as they are.
const maxStemLen = 48

// Analyzer turns text into tokens. It caches the analysis of each distinct
// word per language, so a corpus of millions of tokens costs one
// normalisation and one stemming per distinct word. An Analyzer is not safe
// for concurrent use; use one per goroutine.
type Analyzer struct {
	cache map[Lang]map[string]entry
	// lastLang's cache is remembered: a text is in one language, so the
	// per-token lookup skips the map of maps.
	lastLang  Lang
	lastCache map[string]entry
	ids       map[string]uint32
	terms     []string
	env       *snowballstem.Env
	fold      cases.Caser
}

// NewAnalyzer returns an empty Analyzer.
func NewAnalyzer() *Analyzer {
	return &Analyzer{
		cache: make(map[Lang]map[string]entry),
		ids:   make(map[string]uint32, 256),
		env:   snowballstem.NewEnv(""),
		fold:  cases.Fold(),
	}
}

// Terms returns the vocabulary: Terms()[id] is the stem of term id.
func (a *Analyzer) Terms() []string { return a.terms }

// Fold normalises a word for comparison and display: NFKC, case folding,
// typographic apostrophes made plain.
func (a *Analyzer) Fold(w string) string {
	if isASCII(w) {
		return asciiLower(w)
	}
	w = a.fold.String(norm.NFKC.String(w))
	return strings.Map(func(r rune) rune {
		if r == '’' || r == 'ʼ' || r == '‘' {
			return '\''
		}
		return r
	}, w)
}

// Stem returns the stem of the folded word w in lang.
func (a *Analyzer) Stem(lang Lang, w string) string {
	stem, ok := stemmers[lang]
	if !ok || len(w) > maxStemLen {
		return w
	}
	a.env.SetCurrent(w)
	stem(a.env)
	return a.env.Current()
}

func (a *Analyzer) lookup(lang Lang, surface string) entry {
	c := a.lastCache
	if lang != a.lastLang || c == nil {
		c = a.cache[lang]
		if c == nil {
			c = make(map[string]entry, 256)
			a.cache[lang] = c
		}
		a.lastLang, a.lastCache = lang, c
	}
	if e, ok := c[surface]; ok {
		return e
	}
	folded := a.Fold(surface)
	var flags uint8
	if IsStopWord(lang, folded) {
		flags |= FlagStop
	}
	if !hasLetter(folded) {
		flags |= FlagNumeric
	}
	stem := folded
	if flags&FlagNumeric == 0 {
		stem = a.Stem(lang, folded)
	}
	id, ok := a.ids[stem]
	if !ok {
		id = uint32(len(a.terms))
		stem = strings.Clone(stem)
		a.ids[stem] = id
		a.terms = append(a.terms, stem)
	}
	e := entry{term: id, flags: flags}
	// Clone so the cache does not pin the whole source text in memory.
	c[strings.Clone(surface)] = e
	return e
}

// Tokenize appends the words of s to dst. Offsets are byte offsets into s.
func (a *Analyzer) Tokenize(lang Lang, s string, dst []Token) []Token {
	it := words.FromString(s)
	brk := true
	for it.Next() {
		w := it.Value()
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			if !unicode.IsSpace(r) && !isJoiner(w) {
				brk = true
			}
			if strings.ContainsAny(w, "\n\r\u2028\u2029") { // a line break ends a phrase too
				brk = true
			}
			continue
		}
		e := a.lookup(lang, w)
		flags := e.flags
		if brk {
			flags |= FlagBreak
			brk = false
		}
		n := len(w)
		if n > 0xFFFF {
			n = 0xFFFF
		}
		dst = append(dst, Token{Term: e.term, Off: uint32(it.Start()), Len: uint16(n), Flags: flags})
	}
	return dst
}

// isJoiner reports whether a punctuation token keeps the words around it in
// one phrase: hyphens, slashes inside compounds and apostrophes.
func isJoiner(w string) bool {
	switch w {
	case "-", "‐", "‑", "'", "’":
		return true
	}
	return false
}

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Sentences returns the UAX #29 sentences of s, trimmed of surrounding
// white space, as spans of s; s[span.Start:span.End] is verbatim text.
func Sentences(s string) []Span {
	var out []Span
	it := sentences.FromString(s)
	for it.Next() {
		start, end := it.Start(), it.End()
		for start < end {
			r, n := utf8.DecodeRuneInString(s[start:end])
			if !unicode.IsSpace(r) {
				break
			}
			start += n
		}
		for end > start {
			r, n := utf8.DecodeLastRuneInString(s[start:end])
			if !unicode.IsSpace(r) {
				break
			}
			end -= n
		}
		if end > start {
			out = append(out, Span{start, end})
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
