package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/session"
)

type sessionsOptions struct {
	configPath string
	store      string
	format     string
}

func newSessions(ios IO) *cobra.Command {
	o := &sessionsOptions{}
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List, show or remove the sessions of research chat and research --session",
		Long: `sessions manages the conversations remembered in the session store (a SQLite file, by default
$XDG_DATA_HOME/research/sessions.db). A session keeps its recent questions and answers, a summary
of older ones and the articles it has shown, all bounded (see docs/sessions.md).`,
		Example: `  research sessions list
  research sessions show attention
  research sessions rm attention`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("sessions needs a subcommand: list, show ID or rm ID")}
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.configPath, "config", "", "YAML config `FILE` (for sessions.store)")
	pf.StringVar(&o.store, "store", "", "session store `FILE` (default: sessions.store, else $XDG_DATA_HOME/research/sessions.db)")
	pf.StringVarP(&o.format, "format", "f", "text", "output `format`: text or json")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List the sessions, the most recently used first",
		Example: "  research sessions list\n  research sessions list --format json | jq -r '.[].id'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.withStore(cmd, ios, func(s *session.Store, asJSON bool) error {
				infos, err := s.List(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if infos == nil {
						infos = []session.Info{}
					}
					return writeJSON(ios.Out, infos)
				}
				if len(infos) == 0 {
					fmt.Fprintf(ios.Err, "no sessions yet in %s (start one: research chat)\n", s.Path())
					return nil
				}
				tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SESSION\tANSWERS\tARTICLES\tLAST USED\tLAST QUESTION")
				for _, in := range infos {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", in.ID, in.Turns, in.Articles, in.Updated.Local().Format("2 Jan 15:04"),
						render.Truncate(textsafe.Line(in.LastQuestion), 60))
				}
				return tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show a session: its questions, answers, summary of older ones, and articles shown",
		Example: "  research sessions show attention\n  research sessions show attention --format json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := session.CheckID(args[0]); err != nil {
				return usageError{err}
			}
			return o.withStore(cmd, ios, func(s *session.Store, asJSON bool) error {
				se, err := s.Get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(ios.Out, se)
				}
				return writeSession(ios.Out, se)
			})
		},
	}
	rm := &cobra.Command{
		Use:     "rm ID...",
		Short:   "Remove sessions and everything they remember",
		Example: "  research sessions rm attention\n  research sessions rm old-1 old-2",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				if err := session.CheckID(id); err != nil {
					return usageError{err}
				}
			}
			return o.withStore(cmd, ios, func(s *session.Store, _ bool) error {
				for _, id := range args {
					if err := s.Remove(cmd.Context(), id); err != nil {
						return err
					}
					fmt.Fprintf(ios.Err, "removed session %s\n", id)
				}
				return nil
			})
		},
	}
	show.ValidArgsFunction = completeSessionIDs(ios, &o.store, &o.configPath)
	rm.ValidArgsFunction = completeSessionIDs(ios, &o.store, &o.configPath)
	cmd.AddCommand(list, show, rm)
	return cmd
}

func (o *sessionsOptions) withStore(cmd *cobra.Command, ios IO, f func(*session.Store, bool) error) error {
	var asJSON bool
	switch strings.ToLower(o.format) {
	case "text":
	case "json":
		asJSON = true
	default:
		return usageError{fmt.Errorf("unknown format %q: use text or json", o.format)}
	}
	cfg, err := config.Build(o.configPath, ios.env, nil)
	if err != nil {
		return usageError{err}
	}
	s, err := openSessionStore(cmd.Context(), ios, o.store, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	return f(s, asJSON)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeSession prints a session as a transcript.
func writeSession(w io.Writer, se *session.Session) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Session %s — %s, started %s, last used %s\n", se.ID, render.Plural(se.Turns, "answer"),
		se.Created.Local().Format(time.DateTime), se.Updated.Local().Format(time.DateTime))
	if se.Summary != "" {
		b.WriteString("\nEarlier (summarised)\n")
		for _, l := range strings.Split(se.Summary, "\n") {
			fmt.Fprintf(&b, "  %s\n", textsafe.Line(l))
		}
	}
	for _, m := range se.Messages {
		if m.Role == "user" {
			fmt.Fprintf(&b, "\nYou (%d): %s\n", m.Turn, textsafe.Line(m.Text))
			if m.Query != "" && m.Query != m.Text {
				fmt.Fprintf(&b, "  researched as: %s\n", textsafe.Line(m.Query))
			}
			continue
		}
		for _, l := range render.Wrap(textsafe.Line(m.Text), 96) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if len(se.Articles) > 0 {
		fmt.Fprintf(&b, "\nArticles shown (%d)\n", len(se.Articles))
		for _, a := range se.Articles {
			fmt.Fprintf(&b, "  answer %d [%d]  %s (%s)\n", a.Turn, a.N, render.Truncate(textsafe.Line(a.Title), 70), textsafe.Line(a.Source))
			if a.URL != "" {
				fmt.Fprintf(&b, "      %s\n", textsafe.Line(a.URL))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// completeSessionIDs completes session ids from the store the command would
// use (its --store, else the config's, else the default). It never creates a
// store: with none there, there is nothing to complete.
func completeSessionIDs(ios IO, store, configPath *string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		cfg, err := config.Build(*configPath, ios.env, nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		path, err := sessionStorePath(ios, *store, cfg)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if _, err := os.Stat(path); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		s, err := session.Open(cmd.Context(), path, sessionLimits(cfg))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer s.Close()
		infos, err := s.List(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, in := range infos {
			if strings.HasPrefix(in.ID, prefix) {
				out = append(out, in.ID+"\t"+textsafe.Line(render.Truncate(in.LastQuestion, 50)))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
