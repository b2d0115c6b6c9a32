package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/research-cli/research/analysis"
	"github.com/research-cli/research/models"
)

// DemoDir is where the demo regression set lives, relative to the module
// root: a request captured from `research demo` (a query-retrieved set where
// every article is on-topic) and hand-judged relevance of each article.
const DemoDir = "testdata/analysis"

// DemoQrels are the hand judgements of the demo request's articles (0 not
// about the question to 3 squarely about it).
type DemoQrels struct {
	Query      string `json:"query"`
	Judgements []struct {
		ID    string  `json:"id"`
		Title string  `json:"title"`
		Grade float64 `json:"grade"`
	} `json:"judgements"`
}

// LoadDemo reads the demo request and its judgements (as id → gain) from
// the module root root.
func LoadDemo(root string) (*models.AnalysisRequest, map[string]float64, error) {
	dir := filepath.Join(root, DemoDir)
	raw, err := os.ReadFile(filepath.Join(dir, "demo-request.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("demo request: %w", err)
	}
	var req models.AnalysisRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, nil, fmt.Errorf("demo request: %w", err)
	}
	if err := req.Validate(); err != nil {
		return nil, nil, fmt.Errorf("demo request: %w", err)
	}
	raw, err = os.ReadFile(filepath.Join(dir, "demo-qrels.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("demo qrels: %w", err)
	}
	var q DemoQrels
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, nil, fmt.Errorf("demo qrels: %w", err)
	}
	if q.Query != req.Query {
		return nil, nil, fmt.Errorf("demo qrels judge %q, the request asks %q", q.Query, req.Query)
	}
	gains := make(map[string]float64, len(q.Judgements))
	for _, j := range q.Judgements {
		gains[j.ID] = j.Grade
	}
	for _, a := range req.Articles {
		if _, ok := gains[a.ID]; !ok {
			return nil, nil, fmt.Errorf("demo qrels: article %s is not judged", a.ID)
		}
	}
	return &req, gains, nil
}

// ShownRanking is a report's ranking as a reader sees it: duplicates folded
// into their canonical article.
func ShownRanking(rep *models.AnalysisReport) []string {
	var out []string
	for _, r := range rep.Ranking {
		if r.DuplicateOf == "" {
			out = append(out, r.ID)
		}
	}
	return out
}

// DemoResult is the ranking quality on the demo set.
type DemoResult struct {
	Articles              int
	NDCG5, NDCG10         float64 // the analyzer, duplicates folded
	BaseNDCG5, BaseNDCG10 float64 // plain BM25 over title, summary and content
	Keywords              []string
}

// Demo evaluates the analyzer on the demo set under the module root root.
func Demo(root string) (DemoResult, error) {
	req, gains, err := LoadDemo(root)
	if err != nil {
		return DemoResult{}, err
	}
	rep := analysis.Analyze(req)
	shown := ShownRanking(rep)
	ids := make([]string, len(req.Articles))
	texts := make([]string, len(req.Articles))
	for i, a := range req.Articles {
		ids[i] = a.ID
		texts[i] = a.Title + " " + a.Summary + " " + a.Content
	}
	base := NewBM25(ids, texts).Search(req.Query)
	res := DemoResult{Articles: len(req.Articles),
		NDCG5: NDCG(shown, gains, 5), NDCG10: NDCG(shown, gains, 10),
		BaseNDCG5: NDCG(base, gains, 5), BaseNDCG10: NDCG(base, gains, 10)}
	for _, k := range rep.Keywords {
		res.Keywords = append(res.Keywords, k.Phrase)
	}
	return res, nil
}
