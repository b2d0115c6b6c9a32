package digest

import (
	"regexp"
	"strings"
	"testing"
)

// oldTrailingTag is the regular expression stripTrailingTags replaced (one
// pass per tag made long titles quadratic); it is kept here as the reference
// the new code must agree with.
var oldTrailingTag = regexp.MustCompile(`(?i)\s*[\[(]\s*(pdf|video|audio|paper|slides|\d{4})\s*[\])]\s*$`)

func oldStrip(t string) string {
	for {
		e := strings.TrimRight(t, " \t")
		if !strings.HasSuffix(e, "]") && !strings.HasSuffix(e, ")") {
			return t
		}
		s := oldTrailingTag.ReplaceAllString(t, "")
		if s == t {
			return t
		}
		t = s
	}
}

var tagCases = []string{
	"Attention is all you need [pdf]", "Attention (2017) [pdf]", "Attention ( 2017 )  [ PDF ] ",
	"A title (2024)(2024)(2024)", "Talk [video] (2023)", "Not a tag (20245)", "Not a tag (pdfs)",
	"Tag in the middle (2017) of it", "[pdf]", "(2024)", "Mismatched [2024)", "Trailing newline (2024)\n",
	"Paren only)", "Bracket only]", "Sparse matrix (SpMV) [slides]", "", "   ", "x\t(2020)\t",
}

func TestStripTrailingTagsMatchesTheRegexp(t *testing.T) {
	for _, s := range tagCases {
		t.Run(s, func(t *testing.T) {
			if got, want := stripTrailingTags(s), oldStrip(s); got != want {
				t.Errorf("stripTrailingTags(%q) = %q, the regexp gives %q", s, got, want)
			}
		})
	}
}

func FuzzStripTrailingTags(f *testing.F) {
	for _, s := range tagCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return // the reference is quadratic
		}
		if got, want := stripTrailingTags(s), oldStrip(s); got != want {
			t.Fatalf("stripTrailingTags(%q) = %q, the regexp gives %q", s, got, want)
		}
	})
}
