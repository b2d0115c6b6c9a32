package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
)

func newConfigCmd(ios IO) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{Use: "config", Short: "Show the effective configuration"}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as YAML (defaults < file < environment)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				return err
			}
			if err := cfg.ApplyEnv(ios.env); err != nil {
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
			fmt.Fprintf(ios.Out, "# from %s\n%s", from, data)
			return nil
		},
	}
	path := &cobra.Command{
		Use:   "path",
		Short: "Print where the user's config file is looked for",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(ios.Out, config.UserFile())
			return err
		},
	}
	show.Flags().StringVar(&configPath, "config", "", "YAML config `FILE`")
	cmd.AddCommand(show, path)
	return cmd
}
