package analysis

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A sentence that opens by pointing back at the text before it ("This
// means…", "They found…", "However, …", "Those benchmarks…") is not
// understood on its own, so a summary takes it only right after the sentence
// it refers to (docs/quality.md, "Sentences that refer back").

// referenceOpeners are first words that refer back whatever follows them.
var referenceOpeners = setOf(
	// demonstratives and pronouns
	"this", "these", "those", "that", "such", "it", "its", "it's", "they", "them", "their", "theirs",
	"he", "she", "his", "her", "him", "both", "another", "either", "neither",
	// connectives that continue an argument
	"however", "but", "and", "or", "nor", "also", "thus", "hence", "therefore", "moreover", "furthermore",
	"meanwhile", "nevertheless", "nonetheless", "consequently", "accordingly", "likewise", "similarly",
	"additionally", "conversely", "again", "finally", "afterwards", "later",
)

// referenceOpenersComma are first words that refer back when a comma follows
// them ("Still, …", "Instead, …"), and otherwise may not ("Still images…",
// "Instead of …").
var referenceOpenersComma = setOf("still", "instead", "then", "so", "yet", "otherwise", "besides", "here", "there", "now", "indeed", "overall")

// referencePhrases open a sentence and refer back.
var referencePhrases = []string{
	"in addition", "in contrast", "by contrast", "on the other hand", "as a result", "in turn", "even so",
	"the latter", "the former", "the two", "the three", "the same", "for this reason", "for that reason",
	"because of this", "because of that", "despite this", "despite that", "after that", "after this",
	"in this case", "in that case", "in both cases", "at the same time", "for example", "for instance",
}

// referenceCounts are words that, after a demonstrative anywhere in the
// sentence, stand for things named before ("use those two, and…").
var referenceCounts = setOf("two", "three", "four", "five", "both", "latter", "former", "above")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// opensWithReference reports whether sentence s refers back to the text
// before it: it opens with a pronoun, a demonstrative or a connective, or
// it names things by their count alone ("those two", "the latter").
func opensWithReference(s string) bool {
	s = strings.TrimLeft(s, "\"“‘'(«[ ")
	ws := lowerWords(s, maxSentenceWords)
	if len(ws) == 0 {
		return false
	}
	if referenceOpeners[ws[0].w] {
		return true
	}
	if referenceOpenersComma[ws[0].w] && ws[0].comma {
		return true
	}
	lead := ""
	for i := 0; i < len(ws) && i < 5; i++ {
		lead += ws[i].w + " "
	}
	for _, p := range referencePhrases {
		if strings.HasPrefix(lead, p+" ") {
			return true
		}
	}
	// "those two", "these three", "the latter" with no noun after them.
	for i := 0; i+1 < len(ws); i++ {
		switch ws[i].w {
		case "those", "these", "the":
		default:
			continue
		}
		if !referenceCounts[ws[i+1].w] {
			continue
		}
		if ws[i+1].comma || ws[i+1].end || i+2 == len(ws) || referenceFollowers[ws[i+2].w] {
			return true
		}
	}
	return false
}

// referenceFollowers are words after "those two" that show no noun
// followed: "the two are", "those two and".
var referenceFollowers = setOf("are", "were", "is", "was", "and", "or", "but", "in", "of", "on", "with", "to",
	"have", "had", "can", "could", "will", "would", "do", "did", "may", "might", "should", "must", "also", "together")

// word is a lower-cased word of a sentence and what punctuation follows it.
type word struct {
	w     string
	comma bool // a comma, colon, semicolon or dash follows
	end   bool // the sentence's final punctuation or a bracket follows
}

// lowerWords returns the first max words of s, lower-cased, with an
// apostrophe kept inside a word ("it's").
func lowerWords(s string, maxWords int) []word {
	var out []word
	i := 0
	for i < len(s) && len(out) < maxWords {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			i += n
			continue
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) || ((r == '\'' || r == '’') && j+n < len(s) && isLetterAt(s, j+n)) {
				j += n
				continue
			}
			break
		}
		w := word{w: strings.ReplaceAll(strings.ToLower(s[i:j]), "’", "'")}
		k := j
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k < len(s) {
			switch s[k] {
			case ',', ';', ':':
				w.comma = true
			case '.', '!', '?', ')', ']':
				w.end = true
			}
			if strings.HasPrefix(s[k:], "—") || strings.HasPrefix(s[k:], "–") {
				w.comma = true
			}
		} else {
			w.end = true
		}
		out = append(out, w)
		i = j
	}
	return out
}

func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}
