package cli

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/session"
)

// foldedResult has a duplicate and a same-story pair, so that the report's
// numbers differ from the articles' positions.
func foldedResult() *models.Result {
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var arts []models.Article
	for i, id := range []string{"a", "b", "c", "d", "e", "f"} {
		arts = append(arts, models.Article{ID: id, Source: "s", URL: "https://example.org/" + id, Title: "Title " + id, Published: at.Add(time.Duration(-i) * time.Hour)})
	}
	return &models.Result{Query: "q", GeneratedAt: at, Articles: arts,
		Analysis: &models.AnalysisReport{Version: 1,
			Ranking: []models.RankedArticle{{ID: "a", Score: 6}, {ID: "b", Score: 5, DuplicateOf: "a"}, {ID: "c", Score: 4},
				{ID: "d", Score: 3}, {ID: "e", Score: 2}, {ID: "f", Score: 1}},
			Groups:  []models.Group{{Kind: models.GroupDuplicate, IDs: []string{"a", "b"}}, {Kind: models.GroupSameStory, IDs: []string{"c", "e"}}},
			Summary: []models.SummarySentence{{Text: "A sentence.", ArticleID: "e"}, {Text: "Another.", ArticleID: "f"}},
		}}
}

// TestNumbersMatchTheReport: the numbers the model's citations use are the
// numbers the rendered report shows.
func TestNumbersMatchTheReport(t *testing.T) {
	r := foldedResult()
	items, numberOf := numberArticles(r)
	var buf bytes.Buffer
	require.NoError(t, render.Write(&buf, r, render.Options{Format: render.Text, Width: 100, Limit: 15}))
	out := buf.String()
	require.Len(t, items, 4, "a duplicate and a same-story article are folded")
	for _, it := range items {
		assert.Contains(t, out, fmt.Sprintf("%4d  %s", it.n, it.a.Title))
	}
	assert.Equal(t, 1, numberOf["b"], "a duplicate shares its canonical's number")
	assert.Equal(t, 2, numberOf["e"], "so does another telling of the same story")
	assert.Contains(t, out, "A sentence. [2]")
	assert.Contains(t, out, "Another. [4]")
}

func TestPresentationMarksSeen(t *testing.T) {
	r := foldedResult()
	res := &answered{
		followup:  session.Followup{Question: "and the other one?", Query: "other q"},
		run:       &orchestrator.Run{Result: *r},
		seen:      map[string]session.Article{"c": {Turn: 1, N: 3}},
		sentences: []models.SummarySentence{{Text: "Another.", ArticleID: "f"}},
	}
	view := presentation(res, render.Text)
	var buf bytes.Buffer
	require.NoError(t, render.Write(&buf, view, render.Options{Format: render.Text, Width: 100, Limit: 15}))
	out := buf.String()
	assert.Contains(t, out, "Research: and the other one?")
	assert.Contains(t, out, "   2  (seen in answer 1) Title c")
	assert.NotContains(t, out, "https://example.org/c", "a seen article is cut to its title line")
	assert.Contains(t, out, "https://example.org/d")
	assert.NotContains(t, out, "A sentence.", "a sentence already given is left out")
	assert.Equal(t, "q", r.Query, "the result itself is untouched")
	assert.Equal(t, "https://example.org/c", r.Articles[2].URL)
}

func TestFreshSentences(t *testing.T) {
	an := &models.AnalysisReport{Summary: []models.SummarySentence{{Text: "One."}, {Text: "Two."}, {Text: "Three."}, {Text: "Four."}}}
	said := func(texts ...string) *session.Session {
		se := &session.Session{}
		for _, x := range texts {
			se.Messages = append(se.Messages, session.Message{Role: "assistant", Text: x})
		}
		return se
	}
	tests := []struct {
		name     string
		se       *session.Session
		want     []string
		repeated int
	}{
		{"first answer", nil, []string{"One.", "Two."}, 0},
		{"already given give way", said("One.\nThree."), []string{"Two.", "Four."}, 2},
		{"from the rolling summary too", &session.Session{Summary: "Q1: q → Two."}, []string{"One.", "Three."}, 1},
		{"all given: the best stand again", said("One. Two. Three. Four."), []string{"One.", "Two."}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, repeated := freshSentences(an, tc.se, 2)
			var texts []string
			for _, s := range got {
				texts = append(texts, s.Text)
			}
			assert.Equal(t, tc.want, texts)
			assert.Equal(t, tc.repeated, repeated)
		})
	}
}

func TestWriteSessionIsSafe(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	se := &session.Session{ID: "s", Created: at, Updated: at, Turns: 3,
		Summary: "Q1: first\x1b]0;owned\x07 question → its answer",
		Messages: []session.Message{
			{Turn: 3, Role: "user", Text: "and \u202eit?", Query: "it\x1b[2J sparse attention"},
			{Turn: 3, Role: "assistant", Text: "An answer\nover two lines [1]."},
		},
		Articles: []session.Article{{Key: "k", URL: "https://example.org/a\x1b[31m", Title: "Title\u2066", Source: "hn", Turn: 1, N: 1}},
	}
	var b bytes.Buffer
	require.NoError(t, writeSession(&b, se))
	out := b.String()
	for _, bad := range []string{"\x1b", "\u202e", "\u2066", "\x07"} {
		assert.NotContains(t, out, bad)
	}
	assert.Contains(t, out, "Earlier (summarised)\n  Q1: first question → its answer")
	assert.Contains(t, out, "You (3): and it?\n  researched as: it sparse attention")
	assert.Contains(t, out, "  An answer over two lines [1].")
	assert.Contains(t, out, "answer 1 [1]  Title (hn)")
}
