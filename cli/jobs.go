package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/config"
	"github.com/research-cli/research/jobs"
)

type migrateOptions struct {
	configPath string
	database   string
}

func newMigrate(ios IO) *cobra.Command {
	o := &migrateOptions{}
	cmd := &cobra.Command{
		Use:   "migrate [flags]",
		Short: "Create or upgrade the job queue's and the digest store's tables",
		Long: `migrate creates or upgrades, in the database of --database (a postgres:// URL or a SQLite
file; default: the digest store's file), River's job tables and the digest store's. Run it
once before starting workers on PostgreSQL, and after each upgrade of research. It is safe
to run again. See docs/scale-out.md.`,
		Example: `  research migrate --database postgres://research@db.internal/research`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(o.configPath)
			if err != nil {
				return usageError{err}
			}
			database, err := databaseOf(ios, o.database, cfg)
			if err != nil {
				return err
			}
			log, _ := newLogger(ios.Err, "text")
			db, err := jobs.Open(cmd.Context(), database, false, log)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Migrate(cmd.Context(), log); err != nil {
				return err
			}
			fmt.Fprintf(ios.Err, "research: %s is up to date (job queue and digest store)\n", db.Where())
			return nil
		},
	}
	cmd.Flags().StringVar(&o.configPath, "config", "", "YAML config `FILE` (for digest.store)")
	cmd.Flags().StringVar(&o.database, "database", "", "`URL`: postgres://… or a SQLite file (default: the digest store)")
	return cmd
}

type jobsOptions struct {
	configPath string
	database   string
	format     string
	states     []string
	all        bool
	limit      int
}

func newJobs(ios IO) *cobra.Command {
	o := &jobsOptions{}
	cmd := &cobra.Command{
		Use:   "jobs [flags]",
		Short: "List the digest queue: scheduled, running, retrying and failed jobs, with their last error",
		Long: `jobs lists the jobs of the digest queue, newest first: what is scheduled or waiting,
running (and on which worker), retrying, and given up, each with the last attempt's error,
and when each schedule of the config fires next. Completed jobs are listed with --all.`,
		Example: `  research jobs
  research jobs --database postgres://research@db/research -f json
  research jobs --state retryable --state discarded`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runJobs(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "YAML config `FILE` (for digest.store and the schedules)")
	f.StringVar(&o.database, "database", "", "`URL`: postgres://… or a SQLite file (default: the digest store)")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.StringArrayVar(&o.states, "state", nil, "only jobs in this `state` (available, scheduled, running, retryable, discarded, cancelled, completed; repeatable)")
	f.BoolVar(&o.all, "all", false, "include completed jobs")
	f.IntVarP(&o.limit, "limit", "n", 100, "jobs listed (0: all, up to 10000)")
	cmd.AddCommand(newJobsRetry(ios))
	return cmd
}

func newJobsRetry(ios IO) *cobra.Command {
	var configPath, database string
	cmd := &cobra.Command{
		Use:   "retry ID...",
		Short: "Run failed (discarded), cancelled or retrying jobs again now",
		Example: `  research jobs --state discarded      # find the ID
  research jobs retry 1234`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int64
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil || id <= 0 {
					return usageError{fmt.Errorf("%q is not a job ID (see research jobs)", a)}
				}
				ids = append(ids, id)
			}
			cfg, err := config.Load(configPath)
			if err != nil {
				return usageError{err}
			}
			dbURL, err := databaseOf(ios, database, cfg)
			if err != nil {
				return err
			}
			if _, err := os.Stat(dbURL); !jobs.IsPostgres(dbURL) && err != nil {
				return fmt.Errorf("no job queue at %s: %w", dbURL, err)
			}
			db, err := jobs.Open(cmd.Context(), dbURL, false, nil)
			if err != nil {
				return err
			}
			defer db.Close()
			for _, id := range ids {
				if err := db.Retry(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(ios.Err, "research: job %d queued to run again\n", id)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML config `FILE` (for digest.store)")
	cmd.Flags().StringVar(&database, "database", "", "`URL`: postgres://… or a SQLite file (default: the digest store)")
	return cmd
}

type scheduleInfo struct {
	Name     string    `json:"name"`
	Schedule string    `json:"schedule"`
	Digests  int       `json:"digests"`
	Next     time.Time `json:"next"`
}

func runJobs(ctx context.Context, ios IO, o *jobsOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageError{fmt.Errorf("unknown format %q: use text or json", o.format)}
	}
	// -n/--limit reads as in every command: N listed, 0 all (the queue lists
	// at most 10000 at a time).
	if o.limit < 0 || o.limit > 10000 {
		return usageError{fmt.Errorf("--limit %d: must be between 0 (all) and 10000", o.limit)}
	}
	if o.limit == 0 {
		o.limit = 10000
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return usageError{err}
	}
	plans, err := plansOf(cfg)
	if err != nil {
		return usageError{err}
	}
	database, err := databaseOf(ios, o.database, cfg)
	if err != nil {
		return err
	}
	states := o.states
	if len(states) == 0 && !o.all {
		states = jobs.States
	}
	for _, s := range states {
		if !validState(s) {
			return usageError{fmt.Errorf("--state %q: use one of %s, completed", s, strings.Join(jobs.States, ", "))}
		}
	}
	var list []jobs.Job
	where := database
	if _, statErr := os.Stat(database); jobs.IsPostgres(database) || statErr == nil {
		db, err := jobs.Open(ctx, database, false, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		if list, err = db.List(ctx, states, o.limit); err != nil {
			return err
		}
		where = db.Where()
	} // else: no store file yet, so no jobs (and none is created by looking)
	if list == nil {
		list = []jobs.Job{}
	}
	now := time.Now()
	scheds := make([]scheduleInfo, 0, len(plans))
	for _, p := range plans {
		scheds = append(scheds, scheduleInfo{Name: p.Name, Schedule: p.Schedule.String(), Digests: len(p.Digests), Next: p.Schedule.Next(now)})
	}
	for i := range list {
		list[i].LastError = canon.Collapse(canon.StripControls(list[i].LastError))
	}
	if o.format == "json" {
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Database  string         `json:"database"`
			Schedules []scheduleInfo `json:"schedules"`
			Jobs      []jobs.Job     `json:"jobs"`
		}{where, scheds, list})
	}
	tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	if len(scheds) > 0 {
		fmt.Fprintln(tw, "SCHEDULE\tWHEN\tDIGESTS\tNEXT (UTC)")
		for _, s := range scheds {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", clean(s.Name, 40), s.Schedule, s.Digests, s.Next.UTC().Format("2006-01-02 15:04"))
		}
		fmt.Fprintln(tw)
	}
	if len(list) == 0 {
		tw.Flush()
		fmt.Fprintf(ios.Err, "research: no jobs %s in %s\n", strings.Join(states, "/"), where)
		return nil
	}
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tDIGEST\tPERIOD (UTC)\tATTEMPT\tWORKER\tLAST ERROR")
	for _, j := range list {
		what := j.Digest
		if j.Schedule != "" {
			what = "schedule " + j.Schedule
		}
		if j.Target != "" {
			what += " → " + j.Target
		}
		period := ""
		if !j.Period.IsZero() {
			period = j.Period.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.State, strings.TrimPrefix(j.Kind, "research_"),
			clean(what, 50), period, j.Attempt, j.MaxAttempts, clean(j.AttemptedBy, 30), clean(j.LastError, 80))
	}
	return tw.Flush()
}

func validState(s string) bool {
	if s == "completed" {
		return true
	}
	for _, v := range jobs.States {
		if s == v {
			return true
		}
	}
	return false
}

// clean makes a value one short line without terminal controls.
func clean(s string, n int) string {
	s = canon.Collapse(canon.StripControls(s))
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
