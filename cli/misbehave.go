package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/models"
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
			var req models.AnalysisRequest
			if err := json.NewDecoder(ios.In).Decode(&req); err != nil {
				return err
			}
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
				// A grandchild inherits stdout and would hold the pipe open after
				// this process exits with a good report, unless the group is killed.
				c := exec.Command("sleep", "600")
				c.Stdout = os.Stdout
				if err := c.Start(); err != nil {
					return err
				}
				fmt.Fprintf(ios.Err, "misbehaving analyzer: left grandchild %d holding stdout\n", c.Process.Pid)
				return json.NewEncoder(ios.Out).Encode(plainReport(&req))
			}
			return fmt.Errorf("unknown mode %q", args[0])
		},
	}
}

// plainReport is a valid report that ranks the articles in request order.
func plainReport(req *models.AnalysisRequest) *models.AnalysisReport {
	rep := models.NewEmptyReport(req.Query)
	rep.Stats.Articles = len(req.Articles)
	for i, a := range req.Articles {
		rep.Ranking = append(rep.Ranking, models.RankedArticle{ID: a.ID, Score: float64(len(req.Articles) - i), Keywords: []string{}})
		rep.Stats.BySource[a.Source]++
	}
	return rep
}
