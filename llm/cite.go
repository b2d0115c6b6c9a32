package llm

import (
	"sort"
	"strconv"
	"strings"

	"github.com/research-cli/research/internal/textsafe"
)

// Sanitize makes model text safe for a terminal with the project's one
// sanitiser (textsafe.Strip): escape sequences whole, control characters and
// the Unicode bidirectional controls, which could make text display in an
// order other than the one it is stored in (and so hide or fake a citation),
// are dropped; line breaks stay.
func Sanitize(s string) string { return textsafe.Strip(s) }

// maxCiteLen bounds how long a bracket may stay open before it is judged
// not to be a citation ("[12, 14, 15]" is 12 runes).
const maxCiteLen = 40

// CiteFilter removes, from text that arrives in pieces, the citations that
// point at no article: "[7]" when only articles 1–5 were given is dropped, and
// "[2, 9]" becomes "[2]"; the spaces before a dropped citation go with it.
// Brackets that are not citations ("[see below]") pass through unchanged. It
// holds back only an open bracket and trailing spaces, so the text still
// streams.
type CiteFilter struct {
	// Valid reports whether n is an article the model was given.
	Valid func(n int) bool
	// Out receives the filtered text.
	Out func(string)

	pending []rune
	held    string
	cited   map[int]bool
	removed int
}

// Write filters the next piece of text.
func (f *CiteFilter) Write(s string) {
	var out strings.Builder
	emitHeld := func() {
		out.WriteString(f.held)
		f.held = ""
	}
	for _, r := range s {
		if len(f.pending) == 0 {
			switch r {
			case ' ':
				// Spaces wait for what follows: before a citation that is
				// dropped, they go with it ("altogether [12]." → "altogether.").
				f.held += " "
				if len(f.held) > 64 { // a run of spaces is not waiting for a citation
					emitHeld()
				}
			case '[':
				f.pending = append(f.pending, r)
			default:
				emitHeld()
				out.WriteRune(r)
			}
			continue
		}
		f.pending = append(f.pending, r)
		switch {
		case r == ']':
			if c := f.resolve(); c == "" {
				f.held = ""
			} else {
				emitHeld()
				out.WriteString(c)
			}
			f.pending = f.pending[:0]
		case r == '[':
			// A new bracket: what was held is plain text.
			emitHeld()
			out.WriteString(string(f.pending[:len(f.pending)-1]))
			f.pending = append(f.pending[:0], '[')
		case !citeRune(r) || len(f.pending) > maxCiteLen:
			emitHeld()
			out.WriteString(string(f.pending))
			f.pending = f.pending[:0]
		}
	}
	if out.Len() > 0 {
		f.Out(out.String())
	}
}

// Flush releases any held text (trailing spaces, an unclosed bracket) at the end.
func (f *CiteFilter) Flush() {
	if f.held != "" || len(f.pending) > 0 {
		f.Out(f.held + string(f.pending))
		f.held, f.pending = "", f.pending[:0]
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

// oneLine makes s one safe line (textsafe.Line) of at most max bytes.
func oneLine(s string, max int) string { return textsafe.Cut(textsafe.Line(s), max) }
