package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/agents/fetch"
	"github.com/research-cli/research/agents/page"
	"github.com/research-cli/research/config"
	"github.com/research-cli/research/render"
)

var extractFormats = []string{"text", "json", "markdown"}

func newExtract(ios IO) *cobra.Command {
	var format, configPath string
	cmd := &cobra.Command{
		Use:   "extract URL",
		Short: "Extract the main text and metadata of one article page",
		Long: `extract fetches one page through the same client and extractor the page agent uses and prints
the article: as text wrapped to the terminal, as Markdown, or with --format json as
{"url","title","byline","published","site","text"}.`,
		Example: `  research extract https://go.dev/blog/loopvar-preview
  research extract -f markdown https://example.org/post > post.md
  research extract -f json https://example.org/post | jq -r .title`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(extractFormats, format) {
				return usageError{fmt.Errorf("--format %s: extract prints %s", format, strings.Join(extractFormats, ", "))}
			}
			if u := args[0]; !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return usageError{fmt.Errorf("%q is not an http(s) URL", u)}
			}
			cfg, err := config.Build(configPath, ios.env, nil)
			if err != nil {
				return err
			}
			client, err := newClient(cfg, nil)
			if err != nil {
				return err
			}
			defer client.Close()
			ex, err := page.Extract(cmd.Context(), client, args[0])
			if err != nil {
				// The client's errors name the URL already: say it once.
				if fe := (*fetch.Error)(nil); errors.As(err, &fe) && fe.URL != "" {
					return fmt.Errorf("extract: %w", fe)
				}
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(ios.Out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(ex)
			case "markdown":
				return writeExtractMarkdown(ios.Out, ex)
			}
			var b strings.Builder
			b.WriteString(render.WrapIndent(ex.Title, termWidth(ios), "", ""))
			if meta := extractMeta(ex); meta != "" {
				b.WriteString(render.WrapIndent(meta, termWidth(ios), "", ""))
			}
			b.WriteString(ex.URL + "\n\n")
			for _, para := range strings.Split(ex.Text, "\n\n") {
				b.WriteString(render.WrapIndent(para, termWidth(ios), "", ""))
				b.WriteString("\n")
			}
			_, err = fmt.Fprint(ios.Out, render.Safe(strings.TrimRight(b.String(), "\n"))+"\n")
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output `FORMAT`: "+strings.Join(extractFormats, ", "))
	cmd.Flags().StringVar(&configPath, "config", "", "YAML config `FILE`")
	completeValues(cmd, "format", extractFormats...)
	completeConfig(cmd)
	return cmd
}

func extractMeta(ex *page.Extracted) string {
	var meta []string
	for _, m := range []string{ex.Byline, ex.Site} {
		if m = strings.TrimSpace(m); m != "" {
			meta = append(meta, m)
		}
	}
	if !ex.Published.IsZero() {
		meta = append(meta, ex.Published.UTC().Format("2 Jan 2006"))
	}
	return strings.Join(meta, " · ")
}

// writeExtractMarkdown prints the article as a Markdown document: title,
// provenance, a link to the page, then its paragraphs, every one escaped.
func writeExtractMarkdown(w io.Writer, ex *page.Extracted) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", render.MarkdownText(oneLine(ex.Title)))
	if meta := extractMeta(ex); meta != "" {
		fmt.Fprintf(&b, "_%s_\n\n", render.MarkdownText(meta))
	}
	if link := render.MarkdownLink(ex.URL, ex.URL); link != "" {
		fmt.Fprintf(&b, "Source: %s\n\n", link)
	}
	for _, para := range strings.Split(ex.Text, "\n\n") {
		if p := oneLine(para); p != "" {
			b.WriteString(render.MarkdownText(p) + "\n\n")
		}
	}
	_, err := io.WriteString(w, render.Safe(strings.TrimRight(b.String(), "\n")+"\n"))
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
