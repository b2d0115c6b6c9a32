package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/research-cli/research/config"
)

// durationValue is a duration flag that also takes days and weeks (2d, 1w),
// and says "needs a unit" for a bare number.
type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := config.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string { return time.Duration(*d).String() }
func (d *durationValue) Type() string   { return "duration" }

// durationVar binds a duration flag (shorthand may be "").
func durationVar(f *pflag.FlagSet, p *time.Duration, name, shorthand, usage string) {
	f.VarP((*durationValue)(p), name, shorthand, usage)
	// A zero default reads better as nothing than as "0s".
	f.Lookup(name).DefValue = ""
}

// completeValues completes a flag from a fixed list.
func completeValues(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// completeConfig completes --config with YAML files.
func completeConfig(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("config", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})
}

// completeSourceNames completes source names from the config the command
// would use (its --config, else the user's file, else the defaults).
func completeSourceNames(ios IO, configPath *string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		cfg, err := config.Build(*configPath, ios.env, nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, s := range cfg.Sources {
			if strings.HasPrefix(s.Name, prefix) {
				out = append(out, s.Name+"\t"+string(s.Kind)+" "+s.URL)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
