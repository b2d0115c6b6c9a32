package digest_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

// hostileTitle is the shape that took 146 s: a tag repeated to 120,000 characters.
func hostileTitle(n int) string {
	return "A" + strings.Repeat("(2024)", n/6)
}

func hostileInputs(n int) []digest.Input {
	arts := []models.Article{
		art("a1", hostileTitle(n), "https://a.example/1", 1),
		art("a2", "B "+strings.Repeat("[pdf] ", n/6), "https://a.example/2", 1),
		art("a3", strings.Repeat("x ", n/2), "https://a.example/3", 1),
	}
	return []digest.Input{{Topic: "t", Result: result(arts)}}
}

// TestHostileTitlesBuildInLinearTime: the title key no longer runs one
// regular-expression pass per trailing tag. The check that cannot be fooled
// by a busy machine counts allocations (the old loop allocated a new string
// per tag, so 10× the tags meant 10× the allocations); the wall-clock bound is
// only a generous sanity limit (BenchmarkHostileTitle has the figure).
func TestHostileTitlesBuildInLinearTime(t *testing.T) {
	small := testing.AllocsPerRun(3, func() { digest.TitleKey(hostileTitle(12_000)) })
	large := testing.AllocsPerRun(3, func() { digest.TitleKey(hostileTitle(120_000)) })
	assert.LessOrEqual(t, large, small+4, "allocations do not grow with the number of tags (%v vs %v)", large, small)

	start := time.Now()
	d, err := digest.BuildContext(context.Background(), hostileInputs(120_000), digest.Options{Now: now})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "was 146 s; well under a second on an idle machine")
	assert.Equal(t, 3, d.New)
}

func BenchmarkHostileTitle(b *testing.B) {
	for _, n := range []int{12_000, 120_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			in := hostileInputs(n)
			for b.Loop() {
				if _, err := digest.BuildContext(context.Background(), in, digest.Options{Now: now}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/char")
		})
	}
}

func TestBuildHonoursTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := digest.BuildContext(ctx, hostileInputs(120_000), digest.Options{Now: now})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, d)
}

// TestHostileTextNeverReachesALinkOrANewLine: javascript:, data:, vbscript:
// and file: URLs become no link in any format (JSON keeps the raw value),
// and a title's line break or terminal control never starts a line.
func TestHostileTextNeverReachesALinkOrANewLine(t *testing.T) {
	bad := []string{"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
		"vbscript:msgbox(1)", "file:///etc/passwd", " javascript:alert(1)"}
	var arts []models.Article
	for i, u := range bad {
		arts = append(arts, art(fmt.Sprintf("b%d", i), fmt.Sprintf("Bad link number %d here", i), u, 1))
	}
	arts = append(arts,
		art("n1", "Harmless title\n■ fake topic heading\r\n  1  fake item", "https://ok.example/1", 1),
		art("n2", "Escapes \x1b[2J\x1b]0;pwned\x07 and bidi \u202Egnp.exe here", "https://ok.example/2", 1),
		art("n3", "Link that breaks out)](javascript:alert(1)) of markdown", "https://ok.example/3?a=(x)", 1))
	r := result(arts)
	r.Sources[1].Error = "boom\n■ fake"
	r.Sources[1].ErrorKind = "http_5xx"
	d := digest.Build([]digest.Input{{Topic: "topic", Result: r}}, digest.Options{Now: now, MaxItems: 20})
	require.Equal(t, len(arts)-1, d.New, "the two javascript: spellings are one URL, folded")

	for _, f := range []render.Format{render.Text, render.Markdown, render.HTML} {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, digest.Write(&b, d, f))
			out := b.String()
			lower := strings.ToLower(out)
			// The one "javascript:alert" left is the text of n3's title.
			assert.Equal(t, 1, strings.Count(lower, "javascript:alert"), "format %s", f)
			if f == render.Markdown {
				assert.NotRegexp(t, `(^|[^\\])\]\((javascript|data|vbscript|file):`, lower, "a Markdown link")
			}
			assert.NotRegexp(t, `href="(javascript|data|vbscript|file):`, lower, "format %s: an HTML link", f)
			assert.NotRegexp(t, `(?m)^\s*(javascript|data|vbscript|file):`, lower, "format %s: a URL line", f)
			assert.NotContains(t, lower, "base64,phnjcmlwdd4=")
			assert.NotContains(t, out, "/etc/passwd")
			for _, line := range strings.Split(out, "\n") {
				assert.False(t, strings.HasPrefix(strings.TrimSpace(line), "■ fake"), "format %s: a title opened a line: %q", f, line)
				assert.NotRegexp(t, `^\s+1\s+fake item`, line)
			}
			for _, c := range []string{"\x1b", "\x07", "\u202E", "\r"} {
				assert.NotContains(t, out, c, "format %s", f)
			}
			assert.Contains(t, out, "Bad link number 0 here", "the article is still listed, as text")
			assert.Contains(t, out, "Harmless title ■ fake topic heading 1 fake item")
		})
	}
	var b bytes.Buffer
	require.NoError(t, digest.Write(&b, d, render.Markdown))
	assert.Contains(t, b.String(), "(https://ok.example/3?a=%28x%29)", "parentheses cannot end the link early")
	assert.Regexp(t, regexp.MustCompile(`\[Link that breaks out\)\\\]\(javascript:alert\(1\)\) of markdown\]\(https://ok\.example/3`), b.String(),
		"the title's ](javascript: is escaped text inside the one real link")

	b.Reset()
	require.NoError(t, digest.Write(&b, d, render.JSON))
	assert.Contains(t, b.String(), `"url": "javascript:alert(1)"`, "JSON keeps the raw value")
}
