package analysis

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/research-cli/research/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feedbackSet is a collection where the query matches a few articles well,
// two articles mention it once each (one about engines in other words, one
// about something else), and the rest are about other things.
func feedbackSet() []models.Article {
	arts := []models.Article{
		art("m1", "Diesel engine wear", "The engine wears at the piston rings and the cylinder liner; fuel injection timing and lubrication decide how fast."),
		art("m2", "Engine maintenance for older cars", "An older engine needs its piston rings checked, its cylinder compression measured and its fuel injection cleaned."),
		art("m3", "Why the engine knocks", "Knocking starts in the cylinder when fuel ignites early; the piston takes the shock and the injection timing is to blame."),
		art("zmiss", "Cylinder liner and piston ring friction", "Friction between piston rings and the cylinder liner, with the lubrication film and the fuel injection pattern, sets the wear rate of an engine."),
		art("decoy", "Search rankings for bakeries", "Bakeries that want customers to find them should list opening hours, prices and photos of the bread, as a search engine ranks pages by them."),
	}
	topics := []string{"gardening tomatoes soil compost spade", "baking bread flour yeast oven", "knitting wool needles pattern scarf",
		"sailing wind harbour boat rope", "chess opening endgame bishop knight", "painting canvas brush colour light",
		"hiking trail mountain boots map", "birdwatching heron binoculars marsh notebook", "pottery clay wheel kiln glaze",
		"astronomy telescope planet orbit moon", "cycling saddle gears tyre climb", "beekeeping hive honey queen swarm",
		"fishing rod reel bait river", "origami paper fold crane square", "climbing rope harness chalk crag",
		"juggling balls clubs rhythm throw", "calligraphy ink nib letter stroke", "skating ice blade rink spin",
		"surfing wave board tide reef", "woodwork chisel plane joint oak", "photography lens shutter aperture film",
		"singing choir breath pitch song", "rowing oar scull stroke river", "camping tent stove sleeping bag"}
	for k, tp := range topics {
		w := strings.Fields(tp)
		arts = append(arts, art(fmt.Sprintf("x%02d", k), strings.ToUpper(w[0][:1])+w[0][1:]+" for beginners",
			fmt.Sprintf("A guide to %s: the %s, the %s and the %s, and how to start with %s.", w[0], w[1], w[2], w[3], w[4])))
	}
	return arts
}

func TestPseudoRelevanceFeedback(t *testing.T) {
	arts := feedbackSet()
	req := &models.AnalysisRequest{Version: 1, Query: "engine", Articles: arts, Options: &models.AnalysisOptions{Explain: true}}
	rep := Analyze(req)
	got := ids(rep.Ranking)
	require.Len(t, got, len(arts))
	assert.ElementsMatch(t, []string{"m1", "m2", "m3"}, got[:3], "the articles with the query's word lead")
	assert.Equal(t, []string{"zmiss", "decoy"}, got[3:5],
		"of two articles that mention the query once, the one in the vocabulary of the best articles comes first, through the feedback terms")
	var miss *models.RankedArticle
	for i := range rep.Ranking {
		if rep.Ranking[i].ID == "zmiss" {
			miss = &rep.Ranking[i]
		}
	}
	require.NotNil(t, miss.Explain)
	assert.Positive(t, miss.Score)
	assert.Contains(t, miss.Explain.Note, "feedback")
	var sumTerms, sumFields float64
	var expansion []string
	for k, v := range miss.Explain.Terms {
		sumTerms += v
		if strings.HasPrefix(k, "+") {
			expansion = append(expansion, k)
		}
	}
	for _, v := range miss.Explain.Fields {
		sumFields += v
	}
	slices.Sort(expansion)
	assert.Contains(t, expansion, "+piston", "expansion terms are shown with a +")
	assert.InDelta(t, miss.Score, sumTerms, 0.002, "the terms add up to the score")
	assert.InDelta(t, miss.Score, sumFields, 0.002, "the fields add up to the score")
	for _, r := range rep.Ranking[5:] {
		assert.Zero(t, r.Score, "%s has nothing to do with engines: feedback only reorders the articles that match", r.ID)
	}
}

func TestNoFeedbackOnAQueryRetrievedSet(t *testing.T) {
	// Every article has the query's words, as when a search selected them:
	// the first ranking's top is no better evidence than the rest, so no
	// expansion.
	arts := feedbackSet()[:5]
	rep := Analyze(&models.AnalysisRequest{Version: 1, Query: "engine", Articles: arts, Options: &models.AnalysisOptions{Explain: true}})
	for _, r := range rep.Ranking {
		assert.NotContains(t, r.Explain.Note, "feedback", r.ID)
		for k := range r.Explain.Terms {
			assert.False(t, strings.HasPrefix(k, "+"), "%s: expansion term %q", r.ID, k)
		}
	}
}
