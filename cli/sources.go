package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/research-cli/research/agents/opml"
	"github.com/research-cli/research/config"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/render"
)

func newSources(ios IO) *cobra.Command {
	var configPath string
	cmd := group("sources", "List, check and import sources", `  research sources list
  research sources check hn arxiv
  research sources import feeds.opml --dry-run`)
	cmd.PersistentFlags().StringVar(&configPath, "config", "", "YAML config `FILE` (default: the user's config file)")
	_ = cmd.RegisterFlagCompletionFunc("config", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})

	list := &cobra.Command{
		Use:   "list",
		Short: "List the configured sources",
		Example: `  research sources list
  research sources list --config ~/feeds.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Build(configPath, ios.env, nil)
			if err != nil {
				return err
			}
			from := cfg.Path
			if from == "" {
				from = "built-in defaults"
			}
			fmt.Fprintf(ios.Err, "sources from %s\n", from)
			tw := tabwriter.NewWriter(ios.Out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tURL")
			for _, s := range cfg.Sources {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Kind, s.URL)
			}
			return tw.Flush()
		},
	}

	var query string
	check := &cobra.Command{
		Use:   "check [NAME...]",
		Short: "Query each source once and say whether it answers",
		Long: `check queries every configured source (or only those named) once and prints one line per
source: ✓ with the number of items, or ✗ with the error. It exits 1 when any source failed.`,
		Example: `  research sources check
  research sources check hn arxiv --query "vector databases"`,
		ValidArgsFunction: completeSourceNames(ios, &configPath),
		RunE: func(cmd *cobra.Command, names []string) error {
			o := &runFlags{configPath: configPath, only: names, keepOffTopic: true, noPages: true}
			cfg, err := o.load(ios)
			if err != nil {
				return err
			}
			p, err := newPipeline(cfg, pipelineOptions{noAnalysis: true})
			if err != nil {
				return err
			}
			defer p.Close()
			run, err := p.orch.Run(cmd.Context(), query)
			if err != nil {
				return err
			}
			st := render.Style{On: ios.colour(ios.OutTTY)}
			tw := tabwriter.NewWriter(ios.Out, 2, 4, 2, ' ', 0)
			failed := 0
			for _, r := range run.Result.Sources {
				if r.Error != "" {
					failed++
					fmt.Fprintf(tw, "%s\t%s\t%d ms\t%s\n", st.Red("✗"), textsafe.Line(r.Name), r.ElapsedMS, textsafe.Line(r.Error))
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%d ms\t%s\n", st.Green("✓"), textsafe.Line(r.Name), r.ElapsedMS, render.Plural(r.Fetched, "item"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if failed > 0 {
				return runFailed{fmt.Errorf("%d of %d sources failed", failed, len(run.Result.Sources))}
			}
			return nil
		},
	}
	check.Flags().StringVar(&query, "query", "research", "question used to probe search sources")

	var dryRun bool
	imp := &cobra.Command{
		Use:   "import FILE.opml",
		Short: "Add the feeds of an OPML file to the config file",
		Long: `import reads the feeds of an OPML file (the export of most feed readers) and adds those not
already configured to the config file, keeping the rest of the file as it is.`,
		Example: `  research sources import feeds.opml
  research sources import feeds.opml --dry-run         # print the resulting config instead
  research sources import feeds.opml --config ./research.yaml`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"opml", "xml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil && st.Size() > opml.MaxBytes {
				return usageError{fmt.Errorf("import %s: the file is too large (%s; an OPML file of feeds is at most %s)",
					args[0], humanBytes(int(st.Size())), humanBytes(opml.MaxBytes))}
			}
			found, err := opml.Parse(f)
			if err != nil {
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			target := configPath
			if target == "" {
				target = config.UserFile()
			}
			added, skipped, data, err := importSources(target, found)
			if err != nil {
				return err
			}
			if dryRun {
				_, err := ios.Out.Write(data)
				return err
			}
			if len(added) > 0 {
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					return err
				}
				if err := writeFileAtomic(target, data); err != nil {
					return err
				}
			}
			for _, s := range added {
				fmt.Fprintf(ios.Out, "+ %s\t%s\n", s.Name, s.URL)
			}
			fmt.Fprintf(ios.Err, "%d feeds added to %s, %d already there\n", len(added), target, skipped)
			return nil
		},
	}
	imp.Flags().BoolVar(&dryRun, "dry-run", false, "print the resulting config instead of writing it")
	cmd.AddCommand(list, check, imp)
	return cmd
}

// importSources merges found into the config file at path (which may not exist
// yet: then the built-in sources are kept and the feeds added to them), keeping
// the rest of the file as it is. Feeds whose URL is already configured are skipped.
func importSources(path string, found []models.Source) (added []models.Source, skipped int, out []byte, err error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil, fmt.Errorf("read config: %w", err)
	}
	cfg := config.Default()
	if len(bytes.TrimSpace(data)) > 0 {
		if cfg, err = config.Parse(path, data); err != nil {
			return nil, 0, nil, err
		}
	}
	var doc yaml.Node
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, 0, nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, 0, nil, fmt.Errorf("config %s: the top level is not a mapping", path)
	}
	var seq *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sources" {
			seq = root.Content[i+1]
		}
	}
	if seq == nil {
		seq = &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range cfg.Sources { // the file had no sources: keep the defaults explicitly
			n := &yaml.Node{}
			if err := n.Encode(s); err != nil {
				return nil, 0, nil, err
			}
			seq.Content = append(seq.Content, n)
		}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "sources"}, seq)
	}
	// opml.Merge skips feeds already configured (same canonical URL) and
	// renames the ones whose name is taken; what it appends is what is new.
	merged, _ := opml.Merge(cfg.Sources, found)
	added = merged[len(cfg.Sources):]
	skipped = len(found) - len(added)
	for _, s := range added {
		n := &yaml.Node{}
		if err := n.Encode(s); err != nil {
			return nil, 0, nil, err
		}
		seq.Content = append(seq.Content, n)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, 0, nil, err
	}
	if _, err := config.Parse(path, buf.Bytes()); err != nil {
		return nil, 0, nil, fmt.Errorf("the merged config would be invalid: %w", err)
	}
	return added, skipped, buf.Bytes(), nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := fmt.Sprintf("%s.tmp-%d", path, time.Now().UnixNano())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
