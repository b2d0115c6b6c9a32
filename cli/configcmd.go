package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
)

func newConfigCmd(ios IO) *cobra.Command {
	var configPath string
	cmd := group("config", "Show the effective configuration", `  research config show
  research config path`)
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as YAML (defaults < file < environment)",
		Example: `  research config show
  RESEARCH_TIMEOUT=1m research config show --config ./research.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Build(configPath, ios.env, nil)
			if err != nil {
				return err
			}
			data, err := cfg.Marshal()
			if err != nil {
				return err
			}
			from := cfg.Path
			if from == "" {
				from = "built-in defaults (no file at " + config.UserFile() + ")"
			}
			_, err = fmt.Fprintf(ios.Out, "# from %s\n%s", from, data)
			return err
		},
	}
	path := &cobra.Command{
		Use:     "path",
		Short:   "Print where the user's config file is looked for",
		Example: `  $EDITOR "$(research config path)"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(ios.Out, config.UserFile())
			return err
		},
	}
	show.Flags().StringVar(&configPath, "config", "", "YAML config `FILE`")
	completeConfig(show)
	cmd.AddCommand(show, path)
	return cmd
}
