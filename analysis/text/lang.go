package text

import (
	"strings"
	"sync"
	"unicode"

	"github.com/abadojack/whatlanggo"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/italian"
	"github.com/blevesearch/snowballstem/portuguese"
	"github.com/blevesearch/snowballstem/spanish"
	"github.com/blevesearch/snowballstem/swedish"
)

// Lang is an ISO 639-1 language code of a language the pipeline can stem.
type Lang string

// The languages with a Snowball stemmer and a stop-word list.
const (
	English    Lang = "en"
	German     Lang = "de"
	French     Lang = "fr"
	Spanish    Lang = "es"
	Italian    Lang = "it"
	Dutch      Lang = "nl"
	Portuguese Lang = "pt"
	Swedish    Lang = "sv"
)

var stemmers = map[Lang]func(*snowballstem.Env) bool{
	English:    english.Stem,
	German:     german.Stem,
	French:     french.Stem,
	Spanish:    spanish.Stem,
	Italian:    italian.Stem,
	Dutch:      dutch.Stem,
	Portuguese: portuguese.Stem,
	Swedish:    swedish.Stem,
}

var whatlangToLang = map[whatlanggo.Lang]Lang{
	whatlanggo.Eng: English,
	whatlanggo.Deu: German,
	whatlanggo.Fra: French,
	whatlanggo.Spa: Spanish,
	whatlanggo.Ita: Italian,
	whatlanggo.Nld: Dutch,
	whatlanggo.Por: Portuguese,
	whatlanggo.Swe: Swedish,
}

// detectOptions restricts detection to the languages we can stem, which is
// both faster and avoids confusions with languages we would treat as English anyway.
var detectOptions = func() whatlanggo.Options {
	wl := make(map[whatlanggo.Lang]bool, len(whatlangToLang))
	for l := range whatlangToLang {
		wl[l] = true
	}
	return whatlanggo.Options{Whitelist: wl}
}()

// detectSample bounds how much text language detection reads: trigram
// statistics settle long before that, and detection is the costliest step per byte.
const detectSample = 600

// minConfidence is the detector confidence below which we fall back to English.
const minConfidence = 0.5

// DetectLanguage returns the language of s when the detector is confident
// and the language is one we can stem, and English otherwise.
func DetectLanguage(s string) Lang {
	if len(s) > detectSample {
		cut := detectSample
		for cut < len(s) && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut++
		}
		s = s[:cut]
	}
	if len(s) < 20 || looksEnglish(s) || !looksLikeProse(s) {
		return English
	}
	info := whatlanggo.DetectWithOptions(s, detectOptions)
	l, ok := whatlangToLang[info.Lang]
	if !ok || info.Confidence < minConfidence {
		return English
	}
	return l
}

// looksEnglish is a fast path that spares most articles the trigram
// detector: text in which English function words are frequent is English.
func looksEnglish(s string) bool {
	words, stops := 0, 0
	start := -1
	for i := 0; i <= len(s); i++ {
		letter := i < len(s) && (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'z' || s[i] == '\'')
		if letter && start < 0 {
			start = i
		}
		if !letter && start >= 0 {
			words++
			if w := s[start:i]; len(w) <= 5 && englishMarkers[strings.ToLower(w)] {
				stops++
			}
			start = -1
		}
	}
	return words >= 8 && stops*8 >= words
}

// looksLikeProse reports whether s reads like running text in one of the
// languages we stem: in prose of any of them, function words (their stop
// words) are a third or more of the words. Text of at least minProseWords
// words with fewer than one in proseStopShare of them (lists of names,
// titles, code, random words) is no language we can stem, so it goes to the
// English fallback without the trigram detector, which is the costliest step
// per byte and on such text only guesses (measured: uniformly random
// pseudo-words came out 45% English, 36% Spanish, 17% Italian, each guess
// growing the vocabulary by another stemming of the same words).
func looksLikeProse(s string) bool {
	words, stops := 0, 0
	anyStop := anyStopWord()
	var buf [32]byte
	for w := range strings.FieldsFuncSeq(s, notWordRune) {
		words++
		if len(w) > len(buf) {
			continue // longer than any stop word
		}
		var hit bool
		if isASCII(w) {
			hit = anyStop[string(asciiLowerInto(buf[:0], w))] // no allocation
		} else {
			hit = anyStop[strings.ToLower(w)]
		}
		if hit {
			stops++
		}
	}
	return words < minProseWords || stops*proseStopShare >= words
}

const (
	minProseWords  = 8
	proseStopShare = 16
)

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' }

// asciiLowerInto appends the ASCII lower case of w to dst.
func asciiLowerInto(dst []byte, w string) []byte {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// anyStopWord holds the stop words of every language we stem.
var anyStopWord = sync.OnceValue(func() map[string]bool {
	n := 0
	for _, set := range stopSets() {
		n += len(set)
	}
	m := make(map[string]bool, n) // sized once: the sets overlap little
	for _, set := range stopSets() {
		for w := range set {
			m[w] = true
		}
	}
	return m
})

// englishMarkers are frequent English function words that are rare as
// words of other languages.
var englishMarkers = map[string]bool{
	"the": true, "of": true, "and": true, "to": true, "is": true, "that": true, "for": true, "it": true,
	"with": true, "was": true, "on": true, "are": true, "this": true, "be": true, "by": true, "from": true,
	"at": true, "or": true, "have": true, "an": true, "which": true, "their": true, "has": true, "we": true,
	"they": true, "were": true, "been": true, "its": true, "can": true, "will": true, "would": true, "a": true, "in": true,
}

// ParseLang returns the supported language of a BCP 47 tag ("de", "pt-BR"),
// or false when the tag is empty or names a language we cannot stem.
func ParseLang(tag string) (Lang, bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	base, _, _ = strings.Cut(base, "_")
	l := Lang(base)
	if _, ok := stemmers[l]; ok {
		return l, true
	}
	return "", false
}

// Warm builds the tables that are otherwise built on first use (stop words
// of every language). A process started ahead of its input (the analyzer
// waiting on its stdin) calls it meanwhile, so that the first request does
// not pay for it; calling it is never necessary.
func Warm() {
	anyStopWord()
}

// WarmStopWords builds the stop-word tables only: every request needs its
// language's, while the union that Warm adds serves only text that is not
// plainly English.
func WarmStopWords() {
	stopSets()
}
