package isolation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/research-cli/research/models"
)

// ErrBadReport marks analyzer output that is not exactly one valid v1 report.
var ErrBadReport = errors.New("not a report")

// ErrEmptyOutput marks analyzer output that holds nothing but whitespace.
var ErrEmptyOutput = errors.New("no output")

// DecodeReport strictly decodes the analyzer's stdout: exactly one JSON object,
// nothing but whitespace around it, version 1, and every article id it names
// (ranking, duplicate_of, summary citations, groups) one of ids. The ranking
// must list each of ids exactly once, as the contract promises. Unknown fields
// are tolerated so that the analyzer may add optional fields. The error says
// what is wrong in one line, suitable for the user.
func DecodeReport(out []byte, ids []string) (*models.AnalysisReport, error) {
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrBadReport, ErrEmptyOutput)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: output starts with %s, not a JSON object", ErrBadReport, quoteStart(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var rep models.AnalysisReport
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %s", ErrBadReport, oneLine(err.Error()))
	}
	if rest := bytes.TrimSpace(out[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("%w: %d more bytes after the report, starting with %s", ErrBadReport, len(rest), quoteStart(rest))
	}
	if rep.Version != models.ContractVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadReport, rep.Version, models.ContractVersion)
	}
	if err := checkIDs(&rep, ids); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReport, err)
	}
	normalize(&rep)
	return &rep, nil
}

func checkIDs(rep *models.AnalysisReport, ids []string) error {
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = false
	}
	for i, r := range rep.Ranking {
		seen, ok := known[r.ID]
		if !ok {
			return fmt.Errorf("ranking[%d] names unknown article %q", i, r.ID)
		}
		if seen {
			return fmt.Errorf("ranking[%d] lists article %q a second time", i, r.ID)
		}
		known[r.ID] = true
		if r.DuplicateOf != "" {
			if _, ok := known[r.DuplicateOf]; !ok {
				return fmt.Errorf("ranking[%d] is a duplicate of unknown article %q", i, r.DuplicateOf)
			}
		}
	}
	if len(rep.Ranking) != len(known) {
		for _, id := range ids {
			if !known[id] {
				return fmt.Errorf("ranking misses article %q (%d of %d ranked)", id, len(rep.Ranking), len(known))
			}
		}
	}
	for i, s := range rep.Summary {
		if _, ok := known[s.ArticleID]; !ok {
			return fmt.Errorf("summary[%d] cites unknown article %q", i, s.ArticleID)
		}
	}
	for i, g := range rep.Groups {
		for _, id := range g.IDs {
			if _, ok := known[id]; !ok {
				return fmt.Errorf("groups[%d] names unknown article %q", i, id)
			}
		}
	}
	return nil
}

// normalize turns JSON nulls into empty collections so renderers need no nil checks.
func normalize(rep *models.AnalysisReport) {
	if rep.Ranking == nil {
		rep.Ranking = []models.RankedArticle{}
	}
	if rep.Keywords == nil {
		rep.Keywords = []models.Keyword{}
	}
	if rep.Summary == nil {
		rep.Summary = []models.SummarySentence{}
	}
	if rep.Groups == nil {
		rep.Groups = []models.Group{}
	}
	if rep.Stats.BySource == nil {
		rep.Stats.BySource = map[string]int{}
	}
	if rep.Stats.ByDay == nil {
		rep.Stats.ByDay = map[string]int{}
	}
}

// quoteStart quotes the first few characters of b for an error message.
func quoteStart(b []byte) string {
	const max = 40
	s := string(b)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", strings.ToValidUTF8(s, "\uFFFD"))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
