package cli

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/orchestrator/isolation"
	"github.com/research-cli/research/render"
)

// progress reports a run on stderr: a spinner on a terminal, a line per event
// when verbose, nothing otherwise. It never writes to stdout.
type progress struct {
	ios     IO
	verbose bool
	spinner bool
	total   int

	mu     sync.Mutex
	done   int
	stage  string
	stop   chan struct{}
	wg     sync.WaitGroup
	drawn  bool
	closed bool
}

func newProgress(ios IO, verbose bool, total int) *progress {
	return &progress{ios: ios, verbose: verbose, spinner: ios.ErrTTY && !verbose, total: total,
		stage: "fetching " + render.Plural(total, "source")}
}

// errWidth is stderr's width in columns (80 when it cannot be told).
func errWidth(ios IO) int {
	if f, ok := ios.Err.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w >= 20 {
			return w
		}
	}
	return 80
}

func (p *progress) begin() {
	if !p.spinner {
		return
	}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				// One line that never wraps, or \r would not return to its start.
				fmt.Fprintf(p.ios.Err, "\r\x1b[K%c %s …", frames[i%len(frames)], render.Truncate(p.stage, errWidth(p.ios)-4))
				p.drawn = true
				p.mu.Unlock()
			}
		}
	}()
}

func (p *progress) end() {
	if p.stop == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	p.wg.Wait()
	if p.drawn {
		fmt.Fprint(p.ios.Err, "\r\x1b[K")
	}
}

func (p *progress) setStage(s string) {
	p.mu.Lock()
	p.stage = s
	p.mu.Unlock()
}

func (p *progress) line(format string, args ...any) {
	if !p.verbose {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.ios.Err, format+"\n", args...)
}

func (p *progress) SourceStarted(src models.Source) {
	p.line("  → %s (%s) %s", textsafe.Line(src.Name), src.Kind, textsafe.Line(src.URL))
}

func (p *progress) SourceFinished(r models.SourceResult) {
	p.mu.Lock()
	p.done++
	p.stage = fmt.Sprintf("fetching %s (%d done)", render.Plural(p.total, "source"), p.done)
	p.mu.Unlock()
	if r.Error != "" {
		p.line("  ✗ %-14s %6d ms  %s", textsafe.Line(r.Name), r.ElapsedMS, textsafe.Line(r.Error))
		return
	}
	extra := ""
	if r.OffTopic > 0 {
		extra = fmt.Sprintf(" (%d off-topic dropped)", r.OffTopic)
	}
	p.line("  ✓ %-14s %6d ms  %d articles%s", textsafe.Line(r.Name), r.ElapsedMS, r.Fetched-r.OffTopic, extra)
}

func (p *progress) FetchFinished(s orchestrator.FetchStats) {
	p.setStage("reading full pages")
	p.line("fetched %d sources in %s (%d failed); one after another: %s", s.Sources, s.Elapsed.Round(time.Millisecond),
		s.Failed, s.Sequential.Round(time.Millisecond))
}

func (p *progress) EnrichFinished(tried, improved int, elapsed time.Duration) {
	if tried > 0 {
		p.line("full pages: %d fetched, %d kept, in %s", tried, improved, elapsed.Round(time.Millisecond))
	}
}

func (p *progress) AnalysisStarted(articles int) {
	p.setStage(fmt.Sprintf("analysing %d articles", articles))
	p.line("analysing %d articles in research-analyze …", articles)
}

func (p *progress) AnalysisFinished(o isolation.Outcome) {
	if o.Degraded != nil {
		p.line("analysis degraded (%s): %s", o.Degraded.Reason, textsafe.Line(o.Degraded.Detail))
		return
	}
	p.line("analysis: pid %d, %s of JSON in, report back in %s", o.PID, humanBytes(o.RequestBytes), o.Elapsed.Round(time.Millisecond))
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
