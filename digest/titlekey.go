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
	t = stripTrailingTags(t)
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

// stripTrailingTags drops the aggregators' annotations after a title, one
// after another: "[pdf]", "(2024)", "[video] (2023)". It scans from the end
// and never looks at a byte twice, so it is linear in the title's length
// (a regular expression per tag made "(2024)(2024)…" quadratic: 146 s for a
// title of 120,000 characters).
func stripTrailingTags(t string) string {
	for {
		// Only spaces and tabs may follow the closing bracket (as before).
		end := len(strings.TrimRight(t, " \t"))
		if end == 0 || (t[end-1] != ']' && t[end-1] != ')') {
			return t
		}
		i := trimSpaceRight(t, end-1)
		j := i
		for j > 0 && isASCIIAlnum(t[j-1]) {
			j--
		}
		word := t[j:i]
		k := trimSpaceRight(t, j)
		if k == 0 || (t[k-1] != '[' && t[k-1] != '(') || !isTag(word) {
			return t
		}
		t = t[:trimSpaceRight(t, k-1)]
	}
}

// trimSpaceRight is the end of t[:end] without its trailing white space (\s of RE2).
func trimSpaceRight(t string, end int) int {
	for end > 0 {
		switch t[end-1] {
		case ' ', '\t', '\n', '\f', '\r':
			end--
			continue
		}
		break
	}
	return end
}

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isTag reports an annotation word: pdf, video, audio, paper, slides (any
// case) or a year.
func isTag(w string) bool {
	switch strings.ToLower(w) {
	case "pdf", "video", "audio", "paper", "slides":
		return true
	}
	if len(w) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}
