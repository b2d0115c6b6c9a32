package llm

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/research-cli/research/agents/canon"
)

// Sanitize makes model text safe for a terminal: escape sequences and
// control characters go (canon.StripControls), and so do the Unicode
// bidirectional controls, which can make text display in an order other than
// the one it is stored in (and so hide or fake a citation or a command).
func Sanitize(s string) string {
	s = canon.StripControls(s)
	if !strings.ContainsFunc(s, isBidi) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidi(r) {
			return -1
		}
		return r
	}, s)
}

// isBidi reports the bidirectional formatting characters: LRM, RLM, ALM, the
// embeddings and overrides (U+202A–U+202E) and the isolates (U+2066–U+2069).
func isBidi(r rune) bool {
	return r == 0x200e || r == 0x200f || r == 0x061c || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// maxCiteLen bounds how long a bracket may stay open before it is judged
// not to be a citation ("[12, 14, 15]" is 12 runes).
const maxCiteLen = 40

// CiteFilter removes, from text that arrives in pieces, the citations that
// point at no article: "[7]" when only articles 1–5 were given is dropped, and
// "[2, 9]" becomes "[2]". Brackets that are not citations ("[see below]")
// pass through unchanged. It holds back only an open bracket, so the text
// still streams.
type CiteFilter struct {
	// Valid reports whether n is an article the model was given.
	Valid func(n int) bool
	// Out receives the filtered text.
	Out func(string)

	pending []rune
	cited   map[int]bool
	removed int
}

// Write filters the next piece of text.
func (f *CiteFilter) Write(s string) {
	var out strings.Builder
	for _, r := range s {
		if len(f.pending) == 0 {
			if r == '[' {
				f.pending = append(f.pending, r)
				continue
			}
			out.WriteRune(r)
			continue
		}
		f.pending = append(f.pending, r)
		switch {
		case r == ']':
			out.WriteString(f.resolve())
			f.pending = f.pending[:0]
		case r == '[':
			// A new bracket: what was held is plain text.
			out.WriteString(string(f.pending[:len(f.pending)-1]))
			f.pending = append(f.pending[:0], '[')
		case !citeRune(r) || len(f.pending) > maxCiteLen:
			out.WriteString(string(f.pending))
			f.pending = f.pending[:0]
		}
	}
	if out.Len() > 0 {
		f.Out(out.String())
	}
}

// Flush releases any held text (an unclosed bracket) at the end.
func (f *CiteFilter) Flush() {
	if len(f.pending) > 0 {
		f.Out(string(f.pending))
		f.pending = f.pending[:0]
	}
}

// Cited lists the valid article numbers cited so far, in order.
func (f *CiteFilter) Cited() []int {
	out := make([]int, 0, len(f.cited))
	for n := range f.cited {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// Removed counts the citations dropped because they pointed at no article.
func (f *CiteFilter) Removed() int { return f.removed }

func citeRune(r rune) bool {
	return r >= '0' && r <= '9' || r == ',' || r == ';' || r == ' ' || r == '-' || r == '–'
}

// resolve judges a closed bracket held in pending.
func (f *CiteFilter) resolve() string {
	text := string(f.pending)
	inner := strings.TrimSpace(text[1 : len(text)-1])
	if inner == "" || strings.Trim(inner, "0123456789") == inner {
		return text // "[]" or "[ - ]": not a citation
	}
	var keep []string
	for _, part := range strings.FieldsFunc(inner, func(r rune) bool { return r == ',' || r == ';' }) {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			lo, hi, isRange = strings.Cut(part, "–")
		}
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return text
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b-a > 50 {
				return text
			}
		}
		ok := true
		for n := a; n <= b; n++ {
			ok = ok && f.Valid != nil && f.Valid(n)
		}
		if !ok {
			f.removed++
			continue
		}
		if f.cited == nil {
			f.cited = map[int]bool{}
		}
		for n := a; n <= b; n++ {
			f.cited[n] = true
		}
		keep = append(keep, strings.TrimSpace(part))
	}
	if len(keep) == 0 {
		return ""
	}
	return "[" + strings.Join(keep, ", ") + "]"
}

// FilterCitations applies a CiteFilter to a whole text.
func FilterCitations(s string, valid func(int) bool) (string, []int) {
	var b strings.Builder
	f := &CiteFilter{Valid: valid, Out: func(t string) { b.WriteString(t) }}
	f.Write(s)
	f.Flush()
	return b.String(), f.Cited()
}

// oneLine collapses whitespace and cuts s to max bytes on a rune boundary.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(Sanitize(s)), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
