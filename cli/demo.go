package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/orchestrator/isolation"
	"github.com/research-cli/research/render"
)

type demoOptions struct {
	question        string
	inject          string
	format          string
	analysisTimeout time.Duration
	analyzer        string
	noColor         bool
	debug           bool
	limit           int
	session         bool // three related questions in one session (cli/demosession.go)
}

var injections = []string{"none", "hang", "crash", "garbage", "fork"}

func newDemo(ios IO) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline offline against a built-in fixture server, narrating it",
		Long: `demo starts the project's own fixture server on 127.0.0.1, serving recorded feeds, search API
responses and article pages, points every source at it, and runs a question through the real
pipeline: concurrent fetching with per-source deadlines, full-page extraction, and analysis in an
isolated research-analyze child. It needs no network.`,
		Example: `  research demo
  research demo --inject hang     # the analyzer hangs: killed at the timeout, the run still succeeds
  research demo --inject crash    # the analyzer crashes: empty analysis, every article still listed
  research demo --format html > demo.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.question, "question", "q", fixtureserver.Question, "the question to research")
	f.StringVar(&o.inject, "inject", "none", "make the analyzer misbehave: `MODE` is one of "+strings.Join(injections, ", "))
	f.StringVarP(&o.format, "format", "f", "text", "report `FORMAT`: "+strings.Join(reportFormats, ", "))
	durationVar(f, &o.analysisTimeout, "analysis-timeout", "", "analysis `DURATION` limit (default 15s, 3s with --inject hang)")
	f.StringVar(&o.analyzer, "analyzer", "", "`PATH` of research-analyze")
	f.BoolVar(&o.noColor, "no-color", false, "never use colour")
	f.BoolVar(&o.debug, "debug", false, "print the analyzer's stderr tail")
	f.IntVarP(&o.limit, "limit", "n", 15, "list `N` articles in the text, Markdown and HTML reports (0: all)")
	completeValues(cmd, "format", reportFormats...)
	completeValues(cmd, "inject", injections...)
	f.BoolVar(&o.session, "session", false, "ask three related questions in one session, each building on the one before")
	return cmd
}

func runDemo(ctx context.Context, ios IO, o *demoOptions) error {
	format, err := render.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	if err := checkLimit(o.limit); err != nil {
		return err
	}
	limit := o.limit
	if limit == 0 {
		limit = -1
	}
	valid := false
	for _, m := range injections {
		valid = valid || m == o.inject
	}
	if !valid {
		return usageError{fmt.Errorf("--inject %s: use one of %s", o.inject, strings.Join(injections, ", "))}
	}
	if o.session {
		return runDemoSession(ctx, ios, o)
	}
	srv, err := fixtureserver.Start(ctx, fixtureserver.Options{Latency: fixtureserver.DemoLatency()})
	if err != nil {
		return fmt.Errorf("start the fixture server: %w", err)
	}
	defer srv.Close()

	cfg := demoConfig(ios, srv, o)
	if o.analysisTimeout == 0 && o.inject == "hang" {
		cfg.Analyzer.Timeout = 3 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return err
	}

	// Narration goes to stdout with the report: in a demo, the story is the result.
	n := &narrator{w: ios.Out, color: !o.noColor && ios.colour(ios.OutTTY), total: len(cfg.Sources), width: termWidth(ios)}
	for _, s := range cfg.Sources {
		n.nameW = max(n.nameW, render.Width(s.Name))
	}
	if format != render.Text {
		n.w = ios.Err
	}
	po := pipelineOptions{observer: n}
	if o.inject != "none" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("--inject: find own executable: %w", err)
		}
		po.analyzerPath, po.analyzerArgs = self, []string{misbehaveCmd, o.inject}
	}
	p, err := newPipeline(cfg, po)
	if err != nil {
		return err
	}
	defer p.Close()

	n.printf("%s — everything below runs offline against a built-in server on %s\n\n",
		n.bold("research demo"), strings.TrimPrefix(srv.URL(), "http://"))
	n.printf("Question: %q\n\n", o.question)
	n.printf("%s %d sources fetched at once, each with its own deadline (%s; the whole stage %s)\n",
		n.bold("1. Fan-out:"), len(cfg.Sources), cfg.Limits.SourceTimeout, cfg.Limits.FetchTimeout)
	run, err := p.orch.Run(ctx, o.question)
	if err != nil {
		return err
	}
	n.fanoutChart(run)
	n.isolation(run, p.iso, o.inject)
	if o.debug && run.Analysis.StderrTail != "" {
		n.printf("\n   the analyzer's stderr (tail):\n")
		for _, l := range strings.Split(strings.TrimRight(run.Analysis.StderrTail, "\n"), "\n") {
			n.printf("   │ %s\n", l)
		}
	}
	hint := "research demo --debug shows the analyzer's stderr"
	if o.debug {
		hint = ""
	}
	n.printf("\n%s\n\n", n.bold("4. The report"))
	if err := render.Write(ios.Out, &run.Result, render.Options{Format: format, Color: n.color, Width: termWidth(ios),
		Limit: limit, DegradedHint: hint}); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if format == render.Text {
		n.printf("\nTry: research demo --inject hang      (the analyzer hangs: killed at the timeout, empty analysis)\n")
		n.printf("     research demo --inject crash     (the analyzer crashes: the run still succeeds)\n")
		n.printf("     research demo --inject garbage   (the analyzer prints garbage: rejected, never half-trusted)\n")
		n.printf("     research demo --inject fork      (the analyzer leaves a grandchild holding its stdout: the report still arrives at once)\n")
		n.printf("     research demo --session          (three related questions in one session, each building on the one before)\n")
	}
	n.flush()
	return nil
}

// narrator tells the demo's story as it happens.
type narrator struct {
	w     io.Writer
	color bool
	total int

	nameW   int
	width   int
	mu      sync.Mutex
	enrich  string
	pending string
}

// printf narrates; complete lines are laid out for the terminal's width.
func (n *narrator) printf(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending += fmt.Sprintf(format, args...)
	for {
		i := strings.IndexByte(n.pending, '\n')
		if i < 0 {
			return
		}
		line := n.pending[:i]
		n.pending = n.pending[i+1:]
		for _, l := range fitLine(line, n.width) {
			fmt.Fprintln(n.w, l)
		}
	}
}

// flush writes what is left of a line without its newline.
func (n *narrator) flush() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending != "" {
		fmt.Fprintln(n.w, n.pending)
		n.pending = ""
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// fitLine wraps one narration line to width columns between words. Its
// continuation lines hang under the line's last column (the text after a
// run of two spaces, as in "hn  212 ms  9 articles"), else under its indent.
func fitLine(line string, width int) []string {
	plain := sgr.ReplaceAllString(line, "")
	if width <= 0 || render.Width(plain) <= width {
		return []string{line}
	}
	hang := len(plain) - len(strings.TrimLeft(plain, " "))
	col, spaces := 0, 0
	for _, r := range plain {
		if r != ' ' && spaces >= 2 && col <= width*3/4 {
			hang = col
		}
		if r == ' ' {
			spaces++
		} else {
			spaces = 0
		}
		col += render.Width(string(r))
	}
	// The words keep their colour codes; only their visible width counts.
	var out []string
	var cur strings.Builder
	n := 0
	prefix, rest := line[:0], line
	// Keep the head of the line (up to the hanging column) as one piece.
	if hang > 0 {
		cut, seen := 0, 0
		for cut < len(line) && seen < hang {
			if loc := sgr.FindStringIndex(line[cut:]); loc != nil && loc[0] == 0 {
				cut += loc[1]
				continue
			}
			_, size := utf8.DecodeRuneInString(line[cut:])
			seen += render.Width(line[cut : cut+size])
			cut += size
		}
		prefix, rest = line[:cut], line[cut:]
	}
	cur.WriteString(prefix)
	n = hang
	start := true
	for _, w := range strings.Fields(rest) {
		ww := render.Width(sgr.ReplaceAllString(w, ""))
		if !start && n+1+ww > width {
			out = append(out, cur.String())
			cur.Reset()
			cur.WriteString(strings.Repeat(" ", hang))
			n, start = hang, true
		}
		if !start {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(w)
		n += ww
		start = false
	}
	return append(out, cur.String())
}

func (n *narrator) bold(s string) string { return render.Style{On: n.color}.Bold(s) }

func (n *narrator) SourceStarted(src models.Source) {}

func (n *narrator) SourceFinished(r models.SourceResult) {
	st := render.Style{On: n.color}
	if r.Error != "" {
		n.printf("   %s %-*s %6d ms  %s\n", st.Red("✗"), n.nameW, r.Name, r.ElapsedMS, st.Red(r.Error))
		return
	}
	extra := ""
	if r.OffTopic > 0 {
		extra = fmt.Sprintf(", %d off-topic items dropped", r.OffTopic)
	}
	n.printf("   %s %-*s %6d ms  %s%s\n", st.Green("✓"), n.nameW, r.Name, r.ElapsedMS, render.Plural(r.Fetched-r.OffTopic, "article"), extra)
}

func (n *narrator) FetchFinished(orchestrator.FetchStats) {}

func (n *narrator) EnrichFinished(tried, improved int, elapsed time.Duration) {
	n.mu.Lock()
	n.enrich = fmt.Sprintf("%d article pages fetched and extracted in %s; the page's text was kept for %d, the feed's own text for %d",
		tried, elapsed.Round(time.Millisecond), improved, tried-improved)
	n.mu.Unlock()
}

func (n *narrator) AnalysisStarted(int) {}

func (n *narrator) AnalysisFinished(isolation.Outcome) {}

// fanoutChart draws each source's time as a bar, in the order they finished.
func (n *narrator) fanoutChart(run *orchestrator.Run) {
	st := render.Style{On: n.color}
	srcs := append([]models.SourceResult(nil), run.Result.Sources...)
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].ElapsedMS < srcs[j].ElapsedMS })
	var end int64 = 1
	for _, s := range srcs {
		end = max(end, s.StartedMS+s.ElapsedMS)
	}
	// The bars take what the line leaves, 10 to 30 columns.
	width := min(max(n.width-3-n.nameW-1-1-10-40, 10), 30)
	n.printf("\n   timeline (each bar starts when its source started and ends when it finished)\n")
	for _, s := range srcs {
		from := int(s.StartedMS * int64(width) / end)
		to := int((s.StartedMS + s.ElapsedMS) * int64(width) / end)
		if to <= from {
			to = from + 1
		}
		bar := strings.Repeat(" ", from) + strings.Repeat("█", to-from) + strings.Repeat(" ", width-to)
		what := fmt.Sprintf("%d kept of %d", s.Kept, s.Fetched)
		if s.Fetched == s.Kept {
			what = render.Plural(s.Kept, "article")
		} else if dups := s.Fetched - s.OffTopic - s.Kept; dups > 0 {
			what += fmt.Sprintf(" (%d off-topic, %d carried by another source)", s.OffTopic, dups)
		} else {
			what += fmt.Sprintf(" (%d off-topic)", s.OffTopic)
		}
		if s.Error != "" {
			what = st.Red("✗ " + firstClause(s.Error))
		}
		n.printf("   %-*s %s %6d ms  %s\n", n.nameW, s.Name, bar, s.ElapsedMS, what)
	}
	f := run.Fetch
	speedup := ""
	if f.Elapsed > 0 {
		speedup = fmt.Sprintf(" (%.1f× faster)", float64(f.Sequential)/float64(f.Elapsed))
	}
	n.printf("   whole stage %s; one after another it would have taken %s%s\n", f.Elapsed.Round(time.Millisecond),
		f.Sequential.Round(time.Millisecond), speedup)
	n.printf("   %d articles kept after off-topic filtering and de-duplication by canonical URL\n", len(run.Result.Articles))
	if n.enrich != "" {
		n.printf("\n%s %s\n", n.bold("2. Full pages:"), n.enrich)
	}
}

func (n *narrator) isolation(run *orchestrator.Run, iso isolation.Config, inject string) {
	st := render.Style{On: n.color}
	o := run.Analysis
	what := fmt.Sprintf("%d articles", len(run.Result.Articles))
	if o.RequestBytes > 0 {
		what += fmt.Sprintf(" (%s of JSON)", humanBytes(o.RequestBytes))
	}
	if o.Degraded != nil && o.Degraded.Reason == models.ReasonStartFailed {
		n.printf("\n%s %s could not be handed over: %s\n", n.bold("3. Isolation:"), what, st.Yellow(o.Degraded.Detail))
		n.printf("   no child ran; the run goes on with an empty analysis and all %d articles\n", len(run.Result.Articles))
		return
	}
	n.printf("\n%s %s piped to %s, pid %d", n.bold("3. Isolation:"), what, baseName(o.Path), o.PID)
	if inject != "none" {
		n.printf(" (a stand-in that will misbehave: --inject %s)", inject)
	}
	n.printf("\n")
	if o.Degraded == nil {
		n.printf("   report back in %s; the child exited 0; its own process group, %s hard timeout, %d MiB memory cap\n",
			o.Elapsed.Round(time.Millisecond), effectiveTimeout(iso), iso.MemoryLimit>>20)
		if inject == "fork" {
			n.printf("   the child left a grandchild holding its stdout; the group was killed when the child exited,\n")
			n.printf("   so the run did not wait for it and nothing was left running\n")
		}
		return
	}
	n.printf("   %s after %s: %s\n", st.Yellow("the analysis failed ("+o.Degraded.Reason+")"), o.Elapsed.Round(time.Millisecond), o.Degraded.Detail)
	switch o.Degraded.Reason {
	case models.ReasonTimeout:
		n.printf("   the child's whole process group was killed at the deadline;")
	case models.ReasonCrashed:
		n.printf("   the child died (its process group was cleaned up);")
	default:
		n.printf("   the output was rejected, never half-trusted;")
	}
	n.printf(" the run goes on with an empty analysis and all %d articles\n", len(run.Result.Articles))
}

func effectiveTimeout(c isolation.Config) time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 15 * time.Second
}

func firstClause(s string) string {
	if strings.HasPrefix(s, "http") {
		if i := strings.Index(s, ": "); i > 0 {
			s = s[i+2:]
		}
	}
	if i := strings.Index(s, " ("); i > 0 && i < 60 {
		return s[:i]
	}
	return render.Truncate(s, 60)
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	if p == "" {
		return "research-analyze"
	}
	return p
}

// demoConfig is the configuration of every demo run: the fixture server's
// sources, no cache or retries, short deadlines, and the analyzer the flags
// or RESEARCH_ANALYZER name.
func demoConfig(ios IO, srv *fixtureserver.Server, o *demoOptions) *config.Config {
	cfg := config.Default()
	cfg.Sources = srv.Sources()
	cfg.HTTP.Cache = "off"
	cfg.HTTP.Retries = 0
	cfg.Limits.SourceTimeout = 2 * time.Second
	cfg.Limits.FetchTimeout = 10 * time.Second
	cfg.Limits.EnrichPages = 6
	// The fixture server is the demo's whole (loopback) network: its article
	// pages live on another port than the sources that link to them.
	cfg.HTTP.AllowPrivateLinks = true
	cfg.Analyzer.Path = o.analyzer
	if v, ok := ios.env("RESEARCH_ANALYZER"); ok && o.analyzer == "" {
		cfg.Analyzer.Path = v
	}
	if o.analysisTimeout > 0 {
		cfg.Analyzer.Timeout = o.analysisTimeout
	}
	return cfg
}
