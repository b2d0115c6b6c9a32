package render

import (
	"fmt"
	"io"
	"strings"
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
	width := max(opts.Width, minWidth)
	// Styles go on after wrapping, line by line, so escape codes never count
	// towards a width.
	block := func(lines []string, first, rest string, style func(string) string) {
		for i, l := range lines {
			p := rest
			if i == 0 {
				p = first
			}
			b.WriteString(p + style(l) + "\n")
		}
	}
	plain := func(s string) string { return s }

	head := Wrap("Research: "+v.r.Query+" — "+v.headline(), width)
	if st.On && len(head) > 0 {
		// Bold the question part of the first line only.
		if q := "Research: " + v.r.Query; strings.HasPrefix(head[0], q) {
			head[0] = st.Bold(q) + head[0][len(q):]
		}
	}
	block(head, "", "", plain)

	if d := v.r.Degraded; d != nil {
		b.WriteString("\n")
		block(Wrap(DegradedLine(d, opts.DegradedHint), width-2), "! ", "  ", st.Yellow)
	}

	if len(v.summary) > 0 {
		fmt.Fprintf(b, "\n%s\n", st.Bold("Summary"))
		for _, s := range v.summary {
			text := s.text
			if s.n > 0 {
				text += fmt.Sprintf(" [%d]", s.n)
			}
			block(Wrap(text, width-2), "  ", "  ", plain)
		}
	}
	if len(v.keyphrase) > 0 {
		const label = "Keyphrases   "
		b.WriteString("\n")
		lines := WrapItems(v.keyphrase, " · ", width-len(label))
		for i, l := range lines {
			if i == 0 {
				b.WriteString(st.Bold(label) + l + "\n")
			} else {
				b.WriteString(strings.Repeat(" ", len(label)) + l + "\n")
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
	const indent = "      "
	inner := width - len(indent)
	prev := 0
	for _, it := range v.shown() {
		if it.n > prev+1 {
			fmt.Fprintf(b, "   …\n")
		}
		prev = it.n
		num := fmt.Sprintf("%4d  ", it.n)
		t := strings.Join(strings.Fields(orUntitled(it.a.Title)), " ")
		meta := v.meta(it)
		// Title and provenance share a line when both fit whole; otherwise
		// the title wraps (never cut) and the provenance gets its own line.
		if tw, mw := Width(t), Width(meta); tw+2+mw <= inner {
			pad := inner - tw - mw
			b.WriteString(num + st.Bold(t) + strings.Repeat(" ", pad) + st.Dim(meta) + "\n")
		} else {
			block(Wrap(t, inner), num, indent, st.Bold)
			block(Wrap(meta, inner), indent, indent, st.Dim)
		}
		if len(it.keywords) > 0 {
			block(WrapItems(it.keywords, ", ", inner), indent, indent, st.Cyan)
		}
		if it.a.URL != "" {
			block([]string{it.a.URL}, indent, indent, st.Dim)
		}
		if also := alsoReported(it); len(also) > 0 {
			block(Wrap("(also reported by: "+strings.Join(also, ", ")+")", inner), indent, indent, plain)
		}
		if len(it.same) > 0 {
			var titles []string
			for _, s := range it.same {
				titles = append(titles, fmt.Sprintf("%s (%s)", Truncate(orUntitled(s.Title), max(inner-20, 30)), s.Source))
			}
			block(Wrap("same story: "+strings.Join(titles, "; "), inner), indent, indent, plain)
		}
		if opts.Explain {
			if parts := explainParts(it.explain); len(parts) > 0 {
				label := fmt.Sprintf("score %.2f: ", it.score)
				block(WrapItems(append([]string{label + Safe(parts[0])}, safeAll(parts[1:])...), " · ", inner), indent, indent, st.Dim)
			} else if it.hasScore {
				block([]string{fmt.Sprintf("score %.2f (no breakdown: the analyzer gave none)", it.score)}, indent, indent, st.Dim)
			}
		}
	}
	if v.hidden > 0 {
		block(Wrap(fmt.Sprintf("… and %d more (use --limit 0 for all, or --format json)", v.hidden), width-3), "   ", "     ", plain)
	}

	const label = "Sources   "
	parts := v.sourceParts()
	if len(parts) == 0 {
		parts = []string{"none answered"}
	}
	b.WriteString("\n")
	lines := WrapItems(parts, " · ", width-len(label))
	for i, l := range lines {
		if i == 0 {
			b.WriteString(st.Bold(label) + l + "\n")
		} else {
			b.WriteString(strings.Repeat(" ", len(label)) + l + "\n")
		}
	}
	pad := strings.Repeat(" ", len(label))
	for _, s := range v.failed() {
		block(Wrap(fmt.Sprintf("✗ %s: %s", s.Name, s.Error), width-len(label)-2), pad, pad+"  ", st.Red)
	}
	if an := v.r.Analysis; an != nil {
		stats := []string{fmt.Sprintf("%d words", an.Stats.Words), fmt.Sprintf("%.0f min of reading", an.Stats.ReadingMinutes)}
		if an.Stats.Duplicates > 0 {
			stats = append(stats, Plural(an.Stats.Duplicates, "duplicate")+" folded")
		}
		for i, l := range WrapItems(stats, " · ", width-len(label)) {
			if i == 0 {
				b.WriteString(st.Bold("Stats     ") + l + "\n")
			} else {
				b.WriteString(pad + l + "\n")
			}
		}
		if days := v.byDay(); len(days) > 0 {
			const maxDays = 7
			shown := days[:min(len(days), maxDays)]
			if len(days) > maxDays {
				shown = append(shown, fmt.Sprintf("and %d earlier days", len(days)-maxDays))
			}
			for i, l := range WrapItems(shown, " · ", width-len(label)) {
				if i == 0 {
					b.WriteString(st.Bold("By day    ") + l + "\n")
				} else {
					b.WriteString(pad + l + "\n")
				}
			}
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
