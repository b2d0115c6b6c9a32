package page

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The paragraph filters below raise the extraction's precision: readability
// picks the right container, but the container often holds what no reader
// counts as the article (the open extractors that score best on news
// benchmarks, trafilatura first, discard the same things): a "Read more" line,
// a list of related links, a repeated byline or date, a pull quote that
// duplicates a paragraph, a photo credit. Each rule only ever drops short
// paragraphs, so an article's own prose is never at stake, and the whole
// filter is undone when it would leave too little (see prune).

// Bounds of the paragraph filters.
const (
	// linkParaMinShare: a short paragraph whose letters sit at least this much
	// inside links is navigation ("Related: …", a list of links).
	linkParaMinShare = 0.75
	// shortParaWords: the rules for boilerplate lines apply to paragraphs of
	// at most this many words; longer ones are prose whatever they start with.
	shortParaWords = 25
	// edgeParas: bylines and dates repeated in the body sit among the first or
	// last few paragraphs.
	edgeParas = 3
	// bodyMinCover: the page's articleBody is trusted as the whole article
	// when it holds at least this share of the extraction's long paragraphs
	// (a teaser body holds only the first few).
	bodyMinCover = 0.75
	// minKeptShare: when the filters would drop more than (1 - this) of the
	// text's letters, the page is not what they assume (a link-rich reference
	// page, a list of short items) and nothing is dropped.
	minKeptShare = 0.6
)

// boilerplateOpeners are the openings of the lines that news and blog pages
// put inside the article container: calls to subscribe, share or follow,
// advertising labels, tag lists and photo credits. They are matched on the
// lower-cased paragraph of at most boilerplateMaxWords words.
var boilerplateOpeners = []string{
	"advertisement", "sponsored content", "sponsored by", "paid content", "paid post",
	"sign up for", "sign up to", "subscribe to our", "subscribe now", "get our newsletter", "join our newsletter",
	"follow us", "like us on", "share this", "share on", "share:", "click here to",
	"tags:", "tagged:", "tagged with", "filed under", "topics:", "categories:",
	"photo:", "photograph:", "image:", "picture:", "illustration:", "credit:", "photo credit", "image credit",
	"getty images", "copyright ©", "all rights reserved",
}

// captionOpeners open the captions that pages label as such ("Media caption
// …", "Image caption …"); they are dropped up to shortParaWords words.
var captionOpeners = []string{"media caption", "image caption", "video caption", "caption:"}

// readOnOpeners open the lines that send the reader elsewhere ("Read more:
// …", "Related: …", "Lire aussi : …"); such a line is dropped when it is
// mostly a link.
var readOnOpeners = []string{
	"read more", "read also", "also read", "read next", "read the full", "read our", "continue reading",
	"related", "more from", "more on", "more in", "more stories", "see also", "see more", "recommended",
	"you may also like", "you might also like", "most read", "most popular", "watch:", "listen:",
	"lire aussi", "lire :", "à lire", "voir aussi", "lesen sie auch", "mehr zum thema", "weiterlesen",
	"leer más", "lea también", "más en", "leia também", "leia mais", "leggi anche",
}

// boilerplateMaxWords bounds the lines the boilerplate openers apply to: a
// longer line is prose, whatever it opens with.
const boilerplateMaxWords = 12

// prune drops boilerplate paragraphs from an extraction. byline is the
// article's byline when known; body, when non-empty, is the page's own
// article text (JSON-LD articleBody), the strongest evidence of what is
// article and what is not. The rules are named in docs/extraction.md.
func prune(ps []para, byline string, body string) []para {
	if len(ps) == 0 {
		return ps
	}
	total := 0
	for _, p := range ps {
		total += p.letters
	}
	keep := make([]bool, len(ps))
	bylineKey := normalisePara(byline)
	for i, p := range ps {
		keep[i] = p.pre || !isClutterPara(p, i, len(ps), bylineKey)
	}
	if body != "" {
		keepInBody(ps, keep, body)
	}
	kept := make([]para, 0, len(ps))
	letters := 0
	for i, p := range ps {
		if keep[i] {
			kept = append(kept, p)
			letters += p.letters
		}
	}
	if float64(letters) < minKeptShare*float64(total) {
		return ps
	}
	return kept
}

// isClutterPara applies the paragraph rules (links, boilerplate, caption,
// byline, date) to paragraph i of n.
func isClutterPara(p para, i, n int, bylineKey string) bool {
	key := normalisePara(p.text)
	words := len(strings.Fields(key))
	edge := i < edgeParas || i >= n-edgeParas
	switch {
	case key == "":
		return true
	case words <= shortParaWords && p.linkShare() >= linkParaMinShare && opensWith(key, readOnOpeners):
		return true
	case words <= boilerplateMaxWords && opensWith(key, boilerplateOpeners):
		return true
	case words <= shortParaWords && opensWith(key, captionOpeners):
		return true
	case edge && bylineKey != "" && words <= 12 && isBylineLine(key, bylineKey):
		return true
	case edge && words <= 8 && isDateLine(p.text):
		return true
	}
	return false
}

// keepInBody uses the page's own article text (JSON-LD articleBody) when it
// is the whole article: a paragraph of the extraction that is mostly words
// the body does not have is something around the article (an author's bio,
// a newsletter pitch, a teaser for another story). The body is trusted only
// when it covers most of the extraction's long paragraphs (a teaser body, cut
// after the first lines, would otherwise take the rest).
func keepInBody(ps []para, keep []bool, body string) {
	bodyWords := wordSet(body)
	if len(bodyWords) < 40 {
		return
	}
	// How much of the extraction's substantial prose the body holds.
	var long, covered int
	share := make([]float64, len(ps))
	for i, p := range ps {
		ws := paraWords(p.text)
		if len(ws) == 0 {
			continue
		}
		in := 0
		for _, w := range ws {
			if bodyWords[w] {
				in++
			}
		}
		share[i] = float64(in) / float64(len(ws))
		if len(ws) >= 12 {
			long++
			if share[i] >= 0.8 {
				covered++
			}
		}
	}
	if long == 0 || float64(covered) < bodyMinCover*float64(long) {
		return
	}
	for i, p := range ps {
		if !p.pre && keep[i] && share[i] < 0.5 {
			keep[i] = false
		}
	}
}

// normalisePara lower-cases a paragraph and collapses its whitespace.
func normalisePara(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// opensWith reports whether a normalised paragraph opens with one of the
// openers as whole words.
func opensWith(key string, openers []string) bool {
	key = strings.TrimLeftFunc(key, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '©'
	})
	for _, o := range openers {
		if strings.HasPrefix(key, o) {
			// Whole words: "related" but not "relatedly, …".
			rest := key[len(o):]
			if rest == "" || !isWordByte(rest[0]) || !isWordByte(o[len(o)-1]) {
				return true
			}
		}
	}
	return false
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

// isBylineLine reports whether a short paragraph repeats the byline: the
// byline itself, or "By <byline>" with a date or role around it.
func isBylineLine(key, bylineKey string) bool {
	if key == bylineKey {
		return true
	}
	if strings.HasPrefix(key, "by ") || strings.HasPrefix(key, "written by ") {
		return strings.Contains(key, bylineKey)
	}
	// "Sarah Gooding March 9, 2017": the byline and a date.
	rest, ok := strings.CutPrefix(key, bylineKey)
	return ok && isDateLine(rest)
}

// isDateLine reports whether a short paragraph is only a date ("20 November
// 2026", "Updated: 3 Dec 2026 14:05 GMT", "Published 2026-11-20").
func isDateLine(s string) bool {
	s = strings.TrimSpace(s)
	for _, p := range []string{"published on", "published:", "published", "updated on", "updated:", "updated",
		"posted on", "posted:", "posted", "last modified", "date:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = strings.TrimSpace(s[len(p):])
			break
		}
	}
	if s == "" || !strings.ContainsFunc(s, unicode.IsDigit) {
		return false
	}
	_, ok := parseTime(s)
	return ok
}

// paraWords are the lower-cased words of s the body comparison counts: those
// of four letters or more, since short function words ("the", "and", "of")
// are in every body and would make any paragraph look like part of it.
func paraWords(s string) []string {
	ws := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	kept := ws[:0]
	for _, w := range ws {
		if utf8.RuneCountInString(w) >= 4 {
			kept = append(kept, w)
		}
	}
	return kept
}

func wordSet(s string) map[string]bool {
	ws := paraWords(s)
	set := make(map[string]bool, len(ws))
	for _, w := range ws {
		set[w] = true
	}
	return set
}
