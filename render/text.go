package render

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Style applies ANSI styling when On (a terminal without NO_COLOR).
type Style struct{ On bool }

// Wrap styles text with an SGR code.
func (s Style) Wrap(code, text string) string {
	if !s.On || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Bold, Dim, Red, Green, Yellow and Cyan style text.
func (s Style) Bold(t string) string   { return s.Wrap("1", t) }
func (s Style) Dim(t string) string    { return s.Wrap("2", t) }
func (s Style) Red(t string) string    { return s.Wrap("31", t) }
func (s Style) Green(t string) string  { return s.Wrap("32", t) }
func (s Style) Yellow(t string) string { return s.Wrap("33", t) }
func (s Style) Cyan(t string) string   { return s.Wrap("36", t) }

func writeText(w io.Writer, v *view, opts Options) error {
	st := Style{On: opts.Color}
	b := &strings.Builder{}
	width := opts.Width
	fmt.Fprintf(b, "%s %s — %s\n", st.Bold("Research:"), st.Bold(v.r.Query), v.headline())

	if d := v.r.Degraded; d != nil {
		fmt.Fprintf(b, "\n%s\n", st.Yellow("! "+DegradedLine(d, opts.DegradedHint)))
	}

	if len(v.summary) > 0 {
		fmt.Fprintf(b, "\n%s\n", st.Bold("Summary"))
		for _, s := range v.summary {
			text := s.text
			if s.n > 0 {
				text += fmt.Sprintf(" [%d]", s.n)
			}
			for _, l := range Wrap(text, width-2) {
				fmt.Fprintf(b, "  %s\n", l)
			}
		}
	}
	if len(v.keyphrase) > 0 {
		label := "Keyphrases   "
		lines := Wrap(strings.Join(v.keyphrase, " · "), width-len(label))
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(b, "\n%s%s\n", st.Bold(label), l)
			} else {
				fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", len(label)), l)
			}
		}
	}

	title := "Top articles"
	if v.r.Analysis == nil {
		title = "Articles (newest first)"
	}
	if len(v.items) > 0 {
		fmt.Fprintf(b, "\n%s\n", st.Bold(title))
	} else {
		fmt.Fprintf(b, "\nNo articles found.\n")
	}
	prev := 0
	for _, it := range v.shown() {
		if it.n > prev+1 {
			fmt.Fprintf(b, "   …\n")
		}
		prev = it.n
		meta := v.meta(it)
		avail := width - 6 - utf8.RuneCountInString(meta) - 2
		if avail < 30 {
			avail = 30
		}
		t := Truncate(orUntitled(it.a.Title), avail)
		pad := avail - utf8.RuneCountInString(t)
		if pad < 0 {
			pad = 0
		}
		fmt.Fprintf(b, "%4d  %s%s  %s\n", it.n, st.Bold(t), strings.Repeat(" ", pad), st.Dim(meta))
		if len(it.keywords) > 0 {
			for _, l := range Wrap(strings.Join(it.keywords, ", "), width-6) {
				fmt.Fprintf(b, "      %s\n", st.Cyan(l))
			}
		}
		if it.a.URL != "" {
			fmt.Fprintf(b, "      %s\n", st.Dim(it.a.URL))
		}
		if also := alsoReported(it); len(also) > 0 {
			fmt.Fprintf(b, "      (also reported by: %s)\n", strings.Join(also, ", "))
		}
		if len(it.same) > 0 {
			var titles []string
			for _, s := range it.same {
				titles = append(titles, fmt.Sprintf("%s (%s)", Truncate(orUntitled(s.Title), 50), s.Source))
			}
			fmt.Fprintf(b, "      same story: %s\n", strings.Join(titles, "; "))
		}
	}
	if v.hidden > 0 {
		fmt.Fprintf(b, "   … and %d more (use --limit or --format json)\n", v.hidden)
	}

	line := v.sourcesLine()
	if line == "" {
		line = "none answered"
	}
	for i, l := range Wrap(line, width-10) {
		if i == 0 {
			fmt.Fprintf(b, "\n%s %s\n", st.Bold("Sources  "), l)
		} else {
			fmt.Fprintf(b, "          %s\n", l)
		}
	}
	for _, s := range v.failed() {
		fmt.Fprintf(b, "          %s\n", st.Red(fmt.Sprintf("✗ %s: %s", s.Name, s.Error)))
	}
	if an := v.r.Analysis; an != nil {
		stats := fmt.Sprintf("%d words · %.0f min of reading", an.Stats.Words, an.Stats.ReadingMinutes)
		if an.Stats.Duplicates > 0 {
			stats += fmt.Sprintf(" · %s folded", Plural(an.Stats.Duplicates, "duplicate"))
		}
		fmt.Fprintf(b, "%s %s\n", st.Bold("Stats    "), stats)
		if days := v.byDay(); len(days) > 0 {
			const maxDays = 7
			line := strings.Join(days[:min(len(days), maxDays)], " · ")
			if len(days) > maxDays {
				line += fmt.Sprintf(" · and %d earlier days", len(days)-maxDays)
			}
			fmt.Fprintf(b, "%s %s\n", st.Bold("By day   "), line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orUntitled(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(untitled)"
	}
	return s
}
