package session

import (
	"strings"

	"github.com/research-cli/research/agents/topic"
)

// Bounds of a follow-up's query.
const (
	// maxTerms caps the key terms of a follow-up's query (its own, carried and added).
	maxTerms = 8
	// maxCarried caps the terms carried from the previous question.
	maxCarried = 6
)

// Followup is how a question is researched in the context of its session.
type Followup struct {
	// Question is what the person asked.
	Question string `json:"question"`
	// Query is what is researched: the question itself when it stands on its
	// own, else its key terms, the carried terms and the added ones.
	Query string `json:"query"`
	// Terms are the question's key terms plus the carried ones: what the next
	// follow-up carries in turn.
	Terms []string `json:"terms"`
	// Carried are the previous question's key terms added to this one.
	Carried []string `json:"carried,omitempty"`
	// Added are key phrases of the articles already found, added when the
	// question names (almost) nothing of its own ("tell me more", "why?").
	Added []string `json:"added,omitempty"`
	// Why says why the question was read as a follow-up; "" when it was not.
	Why string `json:"why,omitempty"`
}

// IsFollowup reports whether the question was researched in context.
func (f Followup) IsFollowup() bool { return f.Why != "" }

// Previous is what a follow-up is read against: the last question's key
// terms and the key phrases of what its answer found, best first.
type Previous struct {
	Terms      []string
	Keyphrases []string
}

// referBack are words by which a question points at what came before.
var referBack = map[string]bool{
	"it": true, "its": true, "it's": true, "this": true, "that": true, "these": true, "those": true,
	"they": true, "them": true, "their": true, "theirs": true, "same": true, "such": true,
	"former": true, "latter": true, "else": true, "more": true, "other": true, "others": true,
	"above": true, "instead": true, "alternatives": true, "alternative": true,
}

// leadIn are first words that make a question continue the previous one.
var leadIn = map[string]bool{"and": true, "but": true, "so": true, "also": true, "then": true, "what about": true, "how about": true}

// noise are words of how a question is asked rather than of what it is
// about; topic.Terms keeps them, a follow-up's query does not.
var noise = map[string]bool{
	"compare": true, "compares": true, "compared": true, "comparison": true, "differ": true, "differs": true,
	"difference": true, "differences": true, "mean": true, "means": true, "meaning": true, "say": true,
	"says": true, "said": true, "think": true, "tell": true, "please": true, "anything": true, "something": true,
	"stack": true, "up": true, "against": true, "relate": true, "related": true, "fare": true,
}

// Contextualize reads question against the previous turn of its session.
//
// The rule, on purpose simple enough to predict:
//   - with no previous turn, or when the question has three or more key terms
//     of its own and does not refer back, it stands alone and is researched
//     as asked;
//   - otherwise it is a follow-up — it refers back ("it", "that", "they",
//     "more", …; or starts with "and", "but", "what about", …) or is short
//     (at most two key terms) — and its query is its own key terms, then the
//     previous question's key terms (up to six), then, when it has at most
//     one key term of its own, the best key phrases of the articles already
//     found that the query does not yet cover (one, or two when it has none),
//     up to eight terms in all.
func Contextualize(question string, prev *Previous) Followup {
	question = strings.TrimSpace(question)
	f := Followup{Question: question, Query: question}
	words := strings.Fields(strings.ToLower(question))
	var own []string
	for _, t := range topic.Terms(question) {
		if !noise[t] {
			own = append(own, t)
		}
	}
	f.Terms = own
	if prev == nil || (len(prev.Terms) == 0 && len(prev.Keyphrases) == 0) {
		return f
	}
	why := ""
	for i, w := range words {
		w = strings.Trim(w, ",.;:!?\"'()")
		if referBack[w] {
			why = "refers back (“" + w + "”)"
			break
		}
		if i == 0 && leadIn[w] {
			why = "continues the previous question (“" + w + "”)"
			break
		}
		if i == 1 && leadIn[strings.Trim(words[0], ",.;:!?")+" "+w] {
			why = "continues the previous question (“" + words[0] + " " + w + "”)"
			break
		}
	}
	if why == "" && len(own) <= 2 {
		why = "short question"
	}
	if why == "" {
		return f
	}
	f.Why = why
	have := map[string]bool{}
	for _, t := range own {
		have[t] = true
	}
	terms := append([]string(nil), own...)
	for _, t := range prev.Terms {
		if len(f.Carried) >= maxCarried || len(terms) >= maxTerms {
			break
		}
		if !have[t] {
			have[t] = true
			terms = append(terms, t)
			f.Carried = append(f.Carried, t)
		}
	}
	f.Terms = append([]string(nil), terms...)
	want := 0
	switch len(own) {
	case 0:
		want = 2
	case 1:
		want = 1
	}
	for _, kp := range prev.Keyphrases {
		if len(f.Added) >= want {
			break
		}
		kw := topic.Terms(kp)
		var missing []string
		for _, w := range kw {
			if !have[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || len(terms)+len(missing) > maxTerms {
			continue
		}
		for _, w := range missing {
			have[w] = true
		}
		terms = append(terms, missing...)
		f.Added = append(f.Added, kp)
	}
	f.Query = strings.Join(terms, " ")
	if f.Query == "" {
		f.Query = question
	}
	return f
}
