package page

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// p builds a paragraph; linked is how many of its letters sit inside links.
func p(text string, linked int) para {
	return para{text: text, letters: letterCount(text), links: linked}
}

// linked builds a paragraph whose every letter sits inside a link.
func linked(text string) para {
	n := letterCount(text)
	return para{text: text, letters: n, links: n}
}

const (
	prose2 = "Engineers will survey the foundations over the winter, and the council expects the work to start in the spring and to take about three years."
	prose3 = "The cost, estimated at forty-two million, will be shared between the town, the regional government and a national fund for coastal defences."
)

const prose = "The council had put three options to the town: patch the existing wall, rebuild it on the same line, or move the defences thirty metres inland and let the lowest streets flood."

func TestPrune(t *testing.T) {
	tests := []struct {
		name    string
		paras   []para
		byline  string
		body    string
		dropped []string // texts of the paragraphs that must go
		kept    []string // texts that must stay
	}{
		{
			name:    "read-on line that is mostly a link",
			paras:   []para{p(prose, 0), {text: "Read more: The rise and fall of the sleeper train", letters: 38, links: 30}, p(prose+" Again.", 0)},
			dropped: []string{"Read more: The rise and fall of the sleeper train"},
		},
		{
			name:  "read-on opener without a link is prose",
			paras: []para{p(prose, 0), p("Related research shows the same pattern in the south.", 0), p(prose+" Again.", 0)},
			kept:  []string{"Related research shows the same pattern in the south."},
		},
		{
			name:  "opener as part of a longer word is not an opener",
			paras: []para{p(prose, 0), linked("Relatedly, the ferry was cut too"), p(prose+" Again.", 0)},
			kept:  []string{"Relatedly, the ferry was cut too"},
		},
		{
			name:    "advertising label, subscription call and photo credit",
			paras:   []para{p("Advertisement", 0), p(prose, 0), p("Photo: Getty Images", 0), p("Sign up for our newsletter", 0), p(prose+" Again.", 0)},
			dropped: []string{"Advertisement", "Photo: Getty Images", "Sign up for our newsletter"},
		},
		{
			name:  "a long paragraph is prose whatever it opens with",
			paras: []para{p(prose, 0), p("Advertisement revenue fell by a third this year, the company said, and the board will meet in January to decide which titles to close.", 0)},
			kept:  []string{"Advertisement revenue fell by a third this year, the company said, and the board will meet in January to decide which titles to close."},
		},
		{
			name:    "byline and date repeated at the top",
			paras:   []para{p("By Ada Park", 0), p("Updated 1 December 2026", 0), p(prose, 0), p(prose+" Again.", 0), p(prose+" Once more.", 0), p(prose+" Last.", 0)},
			byline:  "Ada Park",
			dropped: []string{"By Ada Park", "Updated 1 December 2026"},
		},
		{
			name:    "byline followed by a date",
			paras:   []para{p("Sarah Gooding March 9, 2017", 0), p(prose, 0), p(prose+" Again.", 0)},
			byline:  "Sarah Gooding",
			dropped: []string{"Sarah Gooding March 9, 2017"},
		},
		{
			name:   "a date in the middle of the article is kept",
			paras:  []para{p(prose, 0), p(prose+" 1.", 0), p(prose+" 2.", 0), p("1 December 2026", 0), p(prose+" 3.", 0), p(prose+" 4.", 0), p(prose+" 5.", 0)},
			byline: "Ada Park",
			kept:   []string{"1 December 2026"},
		},
		{
			name:  "a list of links that does not read on is kept",
			paras: []para{p(prose, 0), linked("Bug 1677080 – Fullscreen PiP window is affected by switching video source"), p(prose+" Again.", 0)},
			kept:  []string{"Bug 1677080 – Fullscreen PiP window is affected by switching video source"},
		},
		{
			name:  "nothing is dropped when the rules would take most of the text",
			paras: []para{linked("Related: one"), linked("Related: two"), linked("Related: three"), p("Short note.", 0)},
			kept:  []string{"Related: one", "Related: two", "Related: three", "Short note."},
		},
		{
			name: "articleBody that holds the article drops what it lacks",
			paras: []para{p(prose, 0), p(prose2, 0), p(prose3, 0),
				p("Maren Holt writes about coastal towns, harbours and the people who keep them running; her book on lighthouses came out last spring.", 0)},
			body:    strings.Join([]string{prose, prose2, prose3}, " "),
			dropped: []string{"Maren Holt writes about coastal towns, harbours and the people who keep them running; her book on lighthouses came out last spring."},
		},
		{
			name:  "a teaser articleBody is not trusted",
			paras: []para{p(prose, 0), p(prose2, 0), p(prose3, 0)},
			body:  prose + " Subscribe to read the rest of this story, with unlimited access to every article for a month.",
			kept:  []string{prose2, prose3},
		},
		{
			name:  "preformatted text is never pruned",
			paras: []para{p(prose, 0), {text: "Advertisement", letters: 13, pre: true}, p(prose+" Again.", 0)},
			kept:  []string{"Advertisement"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prune(tt.paras, tt.byline, tt.body)
			texts := make([]string, len(got))
			for i, q := range got {
				texts[i] = q.text
			}
			for _, d := range tt.dropped {
				assert.NotContains(t, texts, d)
			}
			for _, k := range tt.kept {
				assert.Contains(t, texts, k)
			}
			// Whatever is kept keeps its order.
			j := 0
			for _, q := range tt.paras {
				if j < len(texts) && q.text == texts[j] {
					j++
				}
			}
			assert.Equal(t, len(texts), j, "kept paragraphs out of order")
		})
	}
}
