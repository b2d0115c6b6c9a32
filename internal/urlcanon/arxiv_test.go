package urlcanon

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The regular expressions arxivPath replaced: the reference it must agree with.
var (
	refVersioned    = regexp.MustCompile(`^(.*/(?:abs|pdf)/\d{4}\.\d{4,5})v\d+(?:\.pdf)?$`)
	refOldVersioned = regexp.MustCompile(`^(/(?:abs|pdf)/[a-z][a-z.-]*/\d{7})v\d+(?:\.pdf)?$`)
	refPDF          = regexp.MustCompile(`^(.*/pdf/\d{4}\.\d{4,5})\.pdf$`)
)

func refArxivPath(path string, oldStyle bool) (string, bool) {
	if m := refVersioned.FindStringSubmatch(path); m != nil {
		return m[1], true
	} else if m := refPDF.FindStringSubmatch(path); m != nil {
		return m[1], true
	} else if m := refOldVersioned.FindStringSubmatch(path); oldStyle && m != nil {
		return m[1], true
	}
	return "", false
}

func TestArxivPathAgreesWithTheRegexps(t *testing.T) {
	paths := map[string]string{
		"abs versioned":          "/abs/2611.09902v1",
		"abs five digits":        "/abs/2611.10234v12",
		"pdf versioned":          "/pdf/2611.09902v2",
		"pdf versioned with ext": "/pdf/2611.09902v2.pdf",
		"pdf without version":    "/pdf/2611.09902.pdf",
		"abs without version":    "/abs/2611.09902",
		"abs with ext, no v":     "/abs/2611.09902.pdf",
		"mirror prefix":          "/arxiv/abs/2611.04817v1",
		"old style":              "/abs/hep-th/9901001v3",
		"old style pdf ext":      "/pdf/math.AG/0101001v1.pdf",
		"old style dotted":       "/pdf/math.ag/0101001v1.pdf",
		"old style prefixed":     "/x/abs/hep-th/9901001v3",
		"old style six digits":   "/abs/hep-th/990100v3",
		"old style eight digits": "/abs/hep-th/99010011v3",
		"old style no archive":   "/abs//9901001v3",
		"old style digit first":  "/abs/1ep/9901001v3",
		"three-digit tail":       "/abs/2611.099v1",
		"six-digit tail":         "/abs/2611.099021v1",
		"five-digit head":        "/abs/12611.09902v1",
		"three-digit head":       "/abs/611.09902v1",
		"v without digits":       "/abs/2611.09902v",
		"no slash before kind":   "abs/2611.09902v1",
		"other kind":             "/html/2611.09902v1",
		"newline in prefix":      "/a\n/abs/2611.09902v1",
		"double ext":             "/pdf/2611.09902v1.pdf.pdf",
		"version letters":        "/abs/2611.09902vv1",
		"only the id":            "2611.09902v1",
		"root":                   "/",
		"empty":                  "",
		"non-ascii digits":       "/abs/２６１１.09902v1",
	}
	for name, p := range paths {
		for _, old := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				wantP, wantOK := refArxivPath(p, old)
				gotP, gotOK := arxivPath(p, old)
				assert.Equal(t, wantOK, gotOK)
				assert.Equal(t, wantP, gotP)
			})
		}
	}
}

func FuzzArxivPath(f *testing.F) {
	for _, s := range []string{"/abs/2611.09902v1", "/pdf/2611.09902v2.pdf", "/pdf/2611.09902.pdf",
		"/abs/hep-th/9901001v3", "/arxiv/abs/2611.04817v1", "/a\n/abs/2611.09902v1"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, p string, old bool) {
		wantP, wantOK := refArxivPath(p, old)
		gotP, gotOK := arxivPath(p, old)
		if gotOK != wantOK || gotP != wantP {
			t.Fatalf("arxivPath(%q, %v) = %q, %v; the regexps say %q, %v", p, old, gotP, gotOK, wantP, wantOK)
		}
	})
}
