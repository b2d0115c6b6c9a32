package render

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

type styler struct{ on bool }

func (s styler) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
func (s styler) bold(t string) string   { return s.wrap("1", t) }
func (s styler) dim(t string) string    { return s.wrap("2", t) }
func (s styler) red(t string) string    { return s.wrap("31", t) }
func (s styler) yellow(t string) string { return s.wrap("33", t) }
func (s styler) cyan(t string) string   { return s.wrap("36", t) }

func writeText(w io.Writer, v *view, opts Options) error {
	st := styler{on: opts.Color}
	b := &strings.Builder{}
	width := opts.Width
	fmt.Fprintf(b, "%s %s — %s\n", st.bold("Research:"), st.bold(v.r.Query), v.headline())

	if d := v.r.Degraded; d != nil {
		fmt.Fprintf(b, "\n%s\n", st.yellow("! "+DegradedLine(d, opts.DegradedHint)))
	}

	if len(v.summary) > 0 {
		fmt.Fprintf(b, "\n%s\n", st.bold("Summary"))
		for _, s := range v.summary {
			text := s.text
			if s.n > 0 {
				text += fmt.Sprintf(" [%d]", s.n)
			}
			for _, l := range wrap(text, width-2) {
				fmt.Fprintf(b, "  %s\n", l)
			}
		}
	}
	if len(v.keyphrase) > 0 {
		label := "Keyphrases   "
		lines := wrap(strings.Join(v.keyphrase, " · "), width-len(label))
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(b, "\n%s%s\n", st.bold(label), l)
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
		fmt.Fprintf(b, "\n%s\n", st.bold(title))
	} else {
		fmt.Fprintf(b, "\nNo articles found.\n")
	}
	for _, it := range v.shown() {
		meta := v.meta(it)
		avail := width - 6 - utf8.RuneCountInString(meta) - 2
		if avail < 30 {
			avail = 30
		}
		t := truncate(orUntitled(it.a.Title), avail)
		pad := avail - utf8.RuneCountInString(t)
		if pad < 0 {
			pad = 0
		}
		fmt.Fprintf(b, "%4d  %s%s  %s\n", it.n, st.bold(t), strings.Repeat(" ", pad), st.dim(meta))
		if len(it.keywords) > 0 {
			fmt.Fprintf(b, "      %s\n", st.cyan(strings.Join(it.keywords, ", ")))
		}
		if it.a.URL != "" {
			fmt.Fprintf(b, "      %s\n", st.dim(it.a.URL))
		}
		if also := alsoReported(it); len(also) > 0 {
			fmt.Fprintf(b, "      (also reported by: %s)\n", strings.Join(also, ", "))
		}
		if len(it.same) > 0 {
			var titles []string
			for _, s := range it.same {
				titles = append(titles, fmt.Sprintf("%s (%s)", truncate(orUntitled(s.Title), 50), s.Source))
			}
			fmt.Fprintf(b, "      same story: %s\n", strings.Join(titles, "; "))
		}
	}
	if v.hidden > 0 {
		fmt.Fprintf(b, "   … and %d more (use --limit or --format json)\n", v.hidden)
	}

	fmt.Fprintf(b, "\n%s %s\n", st.bold("Sources  "), v.sourcesLine())
	for _, s := range v.failed() {
		fmt.Fprintf(b, "          %s\n", st.red(fmt.Sprintf("✗ %s: %s", s.Name, s.Error)))
	}
	if an := v.r.Analysis; an != nil {
		stats := fmt.Sprintf("%d words · %.0f min of reading", an.Stats.Words, an.Stats.ReadingMinutes)
		if an.Stats.Duplicates > 0 {
			stats += fmt.Sprintf(" · %s folded", plural(an.Stats.Duplicates, "duplicate"))
		}
		fmt.Fprintf(b, "%s %s\n", st.bold("Stats    "), stats)
		if days := v.byDay(); len(days) > 0 {
			fmt.Fprintf(b, "%s %s\n", st.bold("By day   "), strings.Join(days, " · "))
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
