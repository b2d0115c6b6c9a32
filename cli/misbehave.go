package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// misbehaveCmd is the hidden subcommand the demo runs in place of the analyzer
// to show the isolation at work.
const misbehaveCmd = "__analyzer-misbehave"

func newMisbehave(ios IO) *cobra.Command {
	return &cobra.Command{
		Use:    misbehaveCmd + " MODE",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, _ = io.Copy(io.Discard, ios.In)
			switch args[0] {
			case "hang":
				signal.Ignore(syscall.SIGTERM)
				fmt.Fprintln(ios.Err, "misbehaving analyzer: hanging, ignoring SIGTERM")
				for {
					time.Sleep(time.Hour)
				}
			case "crash":
				fmt.Fprintln(ios.Err, "misbehaving analyzer: about to crash")
				panic("injected crash: the analyzer hit a bug")
			case "garbage":
				fmt.Fprint(ios.Out, `{"version": 1, "ranking": [ this is not JSON`)
				return nil
			case "fork":
				// A grandchild inherits stdout and outlives this process unless the group is killed.
				c := exec.Command("sleep", "600")
				c.Stdout = os.Stdout
				if err := c.Start(); err != nil {
					return err
				}
				fmt.Fprintf(ios.Err, "misbehaving analyzer: left grandchild %d holding stdout\n", c.Process.Pid)
				return nil
			}
			return fmt.Errorf("unknown mode %q", args[0])
		},
	}
}
