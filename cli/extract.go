package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/agents/page"
	"github.com/research-cli/research/config"
	"github.com/research-cli/research/render"
)

func newExtract(ios IO) *cobra.Command {
	var format, configPath string
	cmd := &cobra.Command{
		Use:   "extract URL",
		Short: "Extract the main text and metadata of one article page",
		Long: `extract fetches one page through the same client and extractor the page agent uses and prints
the article: as text, or with --format json as {"url","title","byline","published","site","text"}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageError{fmt.Errorf("--format %s: extract prints text or json", format)}
			}
			cfg, err := config.Load(configPath)
			if err != nil {
				return err
			}
			if err := cfg.ApplyEnv(ios.env); err != nil {
				return err
			}
			client, err := newClient(cfg, nil)
			if err != nil {
				return err
			}
			defer client.Close()
			ex, err := page.Extract(cmd.Context(), client, args[0])
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(ios.Out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(ex)
			}
			var b strings.Builder
			b.WriteString(ex.Title + "\n")
			var meta []string
			for _, m := range []string{ex.Byline, ex.Site} {
				if m != "" {
					meta = append(meta, m)
				}
			}
			if !ex.Published.IsZero() {
				meta = append(meta, ex.Published.UTC().Format("2 Jan 2006"))
			}
			if len(meta) > 0 {
				b.WriteString(strings.Join(meta, " · ") + "\n")
			}
			b.WriteString(ex.URL + "\n\n")
			for _, para := range strings.Split(ex.Text, "\n\n") {
				for _, l := range render.Wrap(para, termWidth(ios)) {
					b.WriteString(l + "\n")
				}
				b.WriteString("\n")
			}
			_, err = fmt.Fprint(ios.Out, render.Safe(strings.TrimRight(b.String(), "\n"))+"\n")
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "text or json")
	cmd.Flags().StringVar(&configPath, "config", "", "YAML config `FILE`")
	return cmd
}
