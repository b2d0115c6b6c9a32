package digest

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// hnPrefix is the label Hacker News puts before a submission's own title.
var hnPrefix = regexp.MustCompile(`(?i)^\s*(show|ask|tell|launch)\s+hn\s*[:\-–—]\s*`)

// trailingTag is an aggregator's annotation after a title: "[pdf]", "(2024)", "[video]".
var trailingTag = regexp.MustCompile(`(?i)\s*[\[(]\s*(pdf|video|audio|paper|slides|\d{4})\s*[\])]\s*$`)

// foldMarks removes diacritics after canonical decomposition: "Café" and "Cafe" match.
var foldMarks = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// TitleKey is the normalised form of a title used to recognise the same story
// under another URL: case, diacritics, punctuation and spacing folded, the
// "Show HN:"-style prefix and "[pdf]"/"(2024)" suffixes dropped. Titles too
// short to identify a story ("Home", "Sparse matrix") give "" and are then
// recognised by URL only, since a false match would hide a new article.
func TitleKey(title string) string {
	// Invalid bytes would make the diacritic folding give up on the whole title.
	t := strings.ToValidUTF8(title, " ")
	// The regexps run only when they can match: most titles have neither.
	if strings.Contains(strings.ToLower(t[:min(len(t), 16)]), "hn") {
		t = hnPrefix.ReplaceAllString(t, "")
	}
	for {
		e := strings.TrimRight(t, " \t")
		if !strings.HasSuffix(e, "]") && !strings.HasSuffix(e, ")") {
			break
		}
		s := trailingTag.ReplaceAllString(t, "")
		if s == t {
			break
		}
		t = s
	}
	if folded, _, err := transform.String(foldMarks, t); err == nil {
		t = folded
	}
	var b strings.Builder
	words := 0
	inWord := false
	for _, r := range strings.ToLower(t) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			if !inWord && b.Len() > 0 {
				b.WriteByte(' ')
			}
			if !inWord {
				words++
			}
			inWord = true
			b.WriteRune(r)
			continue
		}
		// Apostrophes join a word ("don't" = "dont") rather than split it.
		if r == '\'' || r == '’' {
			continue
		}
		inWord = false
	}
	key := b.String()
	if words < 3 && len(key) < 16 {
		return ""
	}
	return key
}
