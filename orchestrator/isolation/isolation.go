// Package isolation runs the analyzer (research-analyze) as an isolated child
// process: one JSON request on its stdin, one JSON report read back from its
// stdout, with a hard wall-clock timeout, the child in its own process group
// killed as a group, bounded reads of stdout and stderr, resource limits, a
// parent-death signal and an allow-listed environment. Whatever the child does,
// Run returns an Outcome holding either a strictly decoded report or a typed
// reason; it never panics, never hangs past the timeout and leaves no process
// behind. docs/isolation.md lists the guarantees and their caveats.
package isolation

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/research-cli/research/models"
)

// Defaults applied by Run to zero Config fields.
const (
	DefaultTimeout           = 15 * time.Second
	DefaultMemoryLimit int64 = 2 << 30
	// DefaultMaxOutput bounds the request-sized stdout cap (see MaxOutput).
	DefaultMaxOutput int64 = 256 << 20
	// OutputBase and OutputPerArticle size the default stdout cap: a report
	// holds a few fixed sections plus a ranking entry (keywords, an
	// explanation) per article, far less than 16 KiB each.
	OutputBase        int64 = 1 << 20
	OutputPerArticle  int64 = 16 << 10
	DefaultStderrTail       = 64 << 10
	// DefaultWaitDelay bounds how long Run waits for the child's pipes to
	// close once the child has exited or been killed (a grandchild that left
	// the process group may hold them open).
	DefaultWaitDelay = 250 * time.Millisecond
)

// MemoryLimitEnv is the environment variable through which the analyzer learns
// its memory limit in bytes, so that it can also limit itself (for a Go
// analyzer: debug.SetMemoryLimit first thing in main).
const MemoryLimitEnv = "RESEARCH_ANALYZE_MEMORY_LIMIT"

// Stage is the Degraded.Stage of every degradation Run reports.
const Stage = "analysis"

// Config for one analysis run. The zero value is usable.
type Config struct {
	// Path is the analyzer binary; "" means Locate("").
	Path string
	// Args are extra arguments for the analyzer.
	Args []string
	// Timeout is the hard wall-clock timeout; default 15s.
	Timeout time.Duration
	// MemoryLimit in bytes, default 2 GiB; negative disables it. It is applied
	// to the child as RLIMIT_DATA (see applyLimits) and passed in MemoryLimitEnv.
	MemoryLimit int64
	// CPULimit is RLIMIT_CPU, rounded up to whole seconds; default 2×Timeout;
	// negative disables it.
	CPULimit time.Duration
	// MaxOutput caps the child's stdout in bytes. Zero sizes the cap from the
	// request: OutputBase + OutputPerArticle per article (1 MiB + 16 KiB each),
	// never above DefaultMaxOutput, so that a runaway child against a small
	// request costs the parent about a megabyte, not 256 MiB. A positive value
	// is used as it is.
	MaxOutput int64
	// StderrTail is how many trailing bytes of stderr are kept; default 64 KiB.
	StderrTail int
	// ExtraEnv is added to the allow-listed environment ("KEY=value").
	ExtraEnv []string
	// WaitDelay bounds the wait for the child's pipes after it exited or was
	// killed; default DefaultWaitDelay.
	WaitDelay time.Duration
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MemoryLimit == 0 {
		c.MemoryLimit = DefaultMemoryLimit
	}
	if c.CPULimit == 0 {
		c.CPULimit = 2 * c.Timeout
	}
	if c.MaxOutput < 0 {
		c.MaxOutput = 0
	}
	if c.StderrTail <= 0 {
		c.StderrTail = DefaultStderrTail
	}
	if c.WaitDelay <= 0 {
		c.WaitDelay = DefaultWaitDelay
	}
	return c
}

// outputLimit is the stdout cap for a request of n articles (see MaxOutput).
func (c Config) outputLimit(n int) int64 {
	if c.MaxOutput > 0 {
		return c.MaxOutput
	}
	if int64(n) >= (DefaultMaxOutput-OutputBase)/OutputPerArticle {
		return DefaultMaxOutput
	}
	return OutputBase + int64(n)*OutputPerArticle
}

// cpuSeconds is the CPU limit rounded up to whole seconds (0: none).
func (c Config) cpuSeconds() uint64 {
	if c.CPULimit <= 0 {
		return 0
	}
	return uint64((c.CPULimit + time.Second - 1) / time.Second)
}

// Analyze runs one analysis with this configuration: Run(ctx, c, req). Its
// method value fits orchestrator's Analyze hook.
func (c Config) Analyze(ctx context.Context, req *models.AnalysisRequest) Outcome {
	return Run(ctx, c, req)
}

// Outcome of one run. Exactly one of Report and Degraded is non-nil.
type Outcome struct {
	Report   *models.AnalysisReport
	Degraded *models.Degraded // Stage "analysis", Reason one of models.Reason*, Detail one human line

	Path         string // the binary actually run
	PID          int
	RequestBytes int
	ReportBytes  int
	Elapsed      time.Duration
	ExitCode     int    // -1 when killed by a signal
	Signal       string // e.g. "killed", "segmentation fault"
	StderrTail   string // last StderrTail bytes of the child's stderr
	StderrBytes  int64  // everything the child wrote to stderr

	// CPUTime is the child's user+system CPU time; MaxRSS its peak resident
	// memory in bytes (from the kernel's rusage). On Linux the figure is at
	// least the parent's own peak at the time of exec: Go starts children with
	// CLONE_VM, and exec records the shared memory's high-water mark into the
	// child's. It is the child's real peak only when it exceeds that.
	CPUTime time.Duration
	MaxRSS  int64
	// LimitError says why a resource limit could not be applied, if one could not.
	LimitError string
	// PipesHeld is true when something outside the analyzer's process group
	// (a descendant that called setsid) still held its stdout or stderr after
	// it exited, and WaitDelay cut the wait short. That process may still run.
	PipesHeld bool
}

// allowedEnv are the parent's variables the child may see; everything else
// (API keys, tokens, proxy credentials) stays in the parent.
var allowedEnv = []string{"PATH", "HOME", "LANG", "TZ", "TMPDIR"}

// childEnv builds the child's environment from the allow-list.
func childEnv(parent []string, memory int64, extra []string) []string {
	env := make([]string, 0, len(allowedEnv)+len(extra)+4)
	for _, kv := range parent {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if strings.HasPrefix(k, "LC_") {
			env = append(env, kv)
			continue
		}
		for _, a := range allowedEnv {
			if k == a {
				env = append(env, kv)
				break
			}
		}
	}
	if memory > 0 {
		env = append(env, MemoryLimitEnv+"="+strconv.FormatInt(memory, 10))
	}
	return append(env, extra...)
}

// runner holds what the child's I/O callbacks and exec's Cancel share.
type runner struct {
	pid    atomic.Int64
	killed atomic.Bool // Cancel ran: the context (timeout or caller) ended the child
}

func (r *runner) kill() error { return killGroup(int(r.pid.Load())) }

// Child is an analyzer started ahead of its request (Start): spawned, in its
// own process group, under its resource limits, and blocked reading its
// stdin, so that its start-up (exec, the runtime, package initialisation)
// overlaps whatever the caller does before it has the request. Analyze hands
// it the request once; Close reaps it whether or not Analyze was called.
// Exactly one goroutine may call Analyze; Close may be called any number of
// times, from any goroutine.
type Child struct {
	cfg   Config
	began time.Time

	// failed is set when the child could not be started; Analyze reports it.
	failed *models.Degraded
	out    Outcome // Path, PID, LimitError, filled by Start

	cmd     *exec.Cmd
	r       *runner
	stdin   *os.File // the write end of the child's stdin
	stdout  *cappedBuffer
	stderr  *tailBuffer
	waited  chan error // the reaper's result, once
	startCx context.Context
	stop    context.CancelFunc // kills the child's group (through cmd.Cancel) if it still runs

	used     atomic.Bool
	closeMu  sync.Mutex
	closed   bool
	waitErr  error
	reaped   bool
	reapDone chan struct{}
}

// Start spawns the analyzer and applies its limits, without a request: the
// child waits on its stdin. ctx bounds the child's whole life: when it ends,
// the child's group is killed. The wall-clock Timeout starts with Analyze, not
// here (an idle child uses no CPU; RLIMIT_CPU and the memory limit apply from
// the start). A failure to start is not returned: Analyze reports it as the
// run's Degraded, as Run does. Always Close the Child.
func Start(ctx context.Context, cfg Config) *Child {
	c := &Child{cfg: cfg.withDefaults(), began: time.Now(), r: &runner{}, waited: make(chan error, 1), reapDone: make(chan struct{})}
	cfg = c.cfg
	defer func() {
		if p := recover(); p != nil {
			_ = c.r.kill()
			c.failed = degrade(models.ReasonCrashed, fmt.Sprintf("internal error in the isolation runner: %v", p))
		}
	}()
	path, err := Locate(cfg.Path)
	if err != nil {
		c.failed = degrade(models.ReasonStartFailed, locateDetail(err))
		return c
	}
	c.out.Path = path
	if err := ctx.Err(); err != nil {
		c.failed = degrade(models.ReasonCancelled, "the analysis was cancelled before it started")
		return c
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		c.failed = degrade(models.ReasonStartFailed, "the analyzer could not be started: "+oneLine(err.Error()))
		return c
	}
	c.stdin = stdinW
	growPipe(stdinW)

	c.startCx, c.stop = context.WithCancel(ctx)
	cmd := exec.CommandContext(c.startCx, path, cfg.Args...)
	c.cmd = cmd
	cmd.Env = childEnv(os.Environ(), cfg.MemoryLimit, cfg.ExtraEnv)
	cmd.SysProcAttr = sysProcAttr()
	// The analyzer has no business with the user's working directory, and a
	// child sitting in it would keep a removed directory or a mount busy.
	cmd.Dir = "/"
	// The child reads the pipe directly (no copying goroutine); the request
	// is written to its other end by Analyze, after the limits are applied.
	cmd.Stdin = stdinR
	// Both callbacks run only after Start has set cmd.Process (exec starts
	// the copying goroutines and the context watcher after that), so they
	// use it rather than r.pid, which is stored a moment later. The stdout
	// cap is set for the request's size by Analyze; until then it is the
	// base cap (a child has nothing to say before it has a request).
	c.stdout = newCappedBuffer(cfg.outputLimit(0), func() { _ = killGroup(cmd.Process.Pid) })
	c.stderr = &tailBuffer{n: cfg.StderrTail}
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	r := c.r
	cmd.Cancel = func() error {
		r.killed.Store(true)
		return killGroup(cmd.Process.Pid)
	}
	cmd.WaitDelay = cfg.WaitDelay

	started := make(chan error, 1)
	// Start and reap on one locked OS thread: Pdeathsig fires when the thread
	// that forked the child exits, and a Go thread can exit under us if another
	// goroutine locks it and returns without unlocking. Locked, the thread
	// lives exactly as long as this goroutine needs it.
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		pid := cmd.Process.Pid
		r.pid.Store(int64(pid))
		started <- nil
		if canWaitNoReap {
			// The child is a zombie now, still holding its pid and so its
			// group id: kill the group's survivors (grandchildren holding the
			// pipes open) before reaping.
			waitExited(pid)
			_ = killGroup(pid)
		}
		err := cmd.Wait()
		if !canWaitNoReap {
			_ = killGroup(pid)
		}
		c.waited <- err
	}()
	err = <-started
	// The child holds its own copy of the read end now (or never will).
	stdinR.Close()
	if err != nil {
		stdinW.Close()
		c.stop()
		switch {
		case ctx.Err() != nil:
			c.failed = degrade(models.ReasonCancelled, "the analysis was cancelled before it started")
		default:
			c.failed = degrade(models.ReasonStartFailed, fmt.Sprintf("the analyzer could not be started: %s", oneLine(err.Error())))
		}
		return c
	}
	c.out.PID = int(r.pid.Load())
	// Limits before a single byte of the request: the child is blocked on
	// its empty stdin until Analyze writes.
	if err := applyLimits(c.out.PID, cfg.MemoryLimit, cfg.cpuSeconds()); err != nil {
		c.out.LimitError = err.Error()
	}
	return c
}

// PID is the child's process id (0 when it did not start).
func (c *Child) PID() int { return c.out.PID }

// reap waits for the reaper once and remembers its result.
func (c *Child) reap() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if !c.reaped {
		c.waitErr = <-c.waited
		c.reaped = true
		close(c.reapDone)
	}
	return c.waitErr
}

// Close kills the child's process group if it still runs and reaps it. It is
// what a run that ends without analysis calls; after Analyze it does nothing.
func (c *Child) Close() error {
	if c.cmd == nil || c.failed != nil {
		return nil
	}
	if c.used.CompareAndSwap(false, true) {
		c.stop() // exec's Cancel: SIGKILL to the group
		err := c.reap()
		c.stdin.Close()
		if errors.Is(err, exec.ErrWaitDelay) {
			return err
		}
		return nil
	}
	// Analyze ran (or runs): it reaps; wait for it so Close means "gone".
	<-c.reapDone
	return nil
}

// Analyze writes req to the child's stdin as a stream (the request is never
// held in memory as one JSON document), reads the report, and reaps the
// child. The wall-clock Timeout runs from here. ctx cancellation (Ctrl-C)
// kills the child's whole process group; then Degraded.Reason is
// models.ReasonCancelled. It may be called once.
func (c *Child) Analyze(ctx context.Context, req *models.AnalysisRequest) (out Outcome) {
	began := time.Now()
	cfg := c.cfg
	out = c.out
	defer func() {
		if p := recover(); p != nil {
			_ = c.r.kill()
			if c.used.Load() {
				// Reap here, so that Close (which waits for the reap) returns.
				_ = c.reap()
				c.stdin.Close()
			}
			out.Report = nil
			out.Degraded = degrade(models.ReasonCrashed, fmt.Sprintf("internal error in the isolation runner: %v", p))
		}
		out.Elapsed = time.Since(began)
	}()
	if c.failed != nil {
		out.Degraded = c.failed
		return out
	}
	if !c.used.CompareAndSwap(false, true) {
		out.Degraded = degrade(models.ReasonStartFailed, "the analyzer was already used or closed")
		return out
	}
	defer c.stop()
	if req == nil {
		req = &models.AnalysisRequest{Version: models.ContractVersion, Articles: []models.Article{}}
	}
	if ctx.Err() != nil || c.startCx.Err() != nil {
		c.stop()
		c.reap()
		c.stdin.Close()
		out.Degraded = degrade(models.ReasonCancelled, "the analysis was cancelled before it started")
		return out
	}
	c.stdout.setMax(cfg.outputLimit(len(req.Articles)))
	// The deadline and the caller's cancellation end the child through
	// exec's Cancel (which marks it killed).
	timedOut := time.AfterFunc(cfg.Timeout, c.stop)
	defer timedOut.Stop()
	stopWatch := context.AfterFunc(ctx, c.stop)
	defer stopWatch()

	type written struct {
		n       int64
		err     error
		encoder bool // the request could not be encoded (not an I/O error)
	}
	wrote := make(chan written, 1)
	go func() {
		cw := &countingWriter{w: c.stdin}
		bw := bufio.NewWriterSize(cw, 256<<10)
		err := writeRequest(bw, req)
		var enc *encodeError
		isEnc := errors.As(err, &enc)
		if err == nil {
			err = bw.Flush()
		}
		if isEnc {
			c.stop() // the child must not analyse half a request
		}
		// EOF for the child; closing again after the reap is harmless.
		c.stdin.Close()
		wrote <- written{n: cw.n, err: err, encoder: isEnc}
	}()
	waitErr := c.reap()
	// A child that exited without reading everything, or a descendant that
	// left the group and holds stdin open: closing our end unblocks the writer.
	c.stdin.Close()
	w := <-wrote
	out.RequestBytes = int(w.n)
	if w.encoder {
		out.Degraded = degrade(models.ReasonStartFailed, "could not encode the analysis request: "+oneLine(w.err.Error()))
		return out
	}

	cmd := c.cmd
	stdout, stderr := c.stdout, c.stderr
	out.PipesHeld = errors.Is(waitErr, exec.ErrWaitDelay)
	out.StderrTail = strings.ToValidUTF8(string(stderr.Bytes()), "\uFFFD")
	out.StderrBytes = stderr.total
	out.ReportBytes = len(stdout.buf)
	out.ExitCode = -1
	var signal syscall.Signal
	if ps := cmd.ProcessState; ps != nil {
		out.ExitCode = ps.ExitCode()
		out.CPUTime = ps.UserTime() + ps.SystemTime()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			signal = ws.Signal()
			out.Signal = signal.String()
		}
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			out.MaxRSS = int64(ru.Maxrss) * 1024
		}
	}
	out.Report, out.Degraded = classify(ctx, cfg, &out, stdout, waitErr, c.r.killed.Load(), signal, req)
	return out
}

// Run starts the analyzer, hands it req and reaps it: Start then Analyze.
// It never panics, never hangs past Timeout (+ WaitDelay), never leaves a
// process behind. Elapsed includes the start-up.
func Run(ctx context.Context, cfg Config, req *models.AnalysisRequest) Outcome {
	began := time.Now()
	c := Start(ctx, cfg)
	defer c.Close()
	out := c.Analyze(ctx, req)
	out.Elapsed = time.Since(began)
	return out
}

// countingWriter counts the bytes its writer accepted.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// classify turns what happened to the child into a report or one typed reason.
// Order matters: a cap or a deadline explains whatever the child then did.
func classify(ctx context.Context, cfg Config, out *Outcome, stdout *cappedBuffer, waitErr error,
	killed bool, signal syscall.Signal, req *models.AnalysisRequest) (*models.AnalysisReport, *models.Degraded) {
	switch {
	case stdout.over:
		return nil, degrade(models.ReasonOutputTooLarge, fmt.Sprintf("the analyzer's output exceeded the %s limit", formatBytes(stdout.max)))
	case killed && errors.Is(ctx.Err(), context.Canceled):
		return nil, degrade(models.ReasonCancelled, "the analysis was cancelled")
	case killed && ctx.Err() != nil:
		return nil, degrade(models.ReasonTimeout, "the analyzer was stopped when the run's deadline passed")
	case killed:
		return nil, degrade(models.ReasonTimeout, fmt.Sprintf("the analyzer timed out after %s", cfg.Timeout))
	}
	if signal != 0 {
		if (signal == syscall.SIGKILL || signal == syscall.SIGXCPU) && cfg.cpuSeconds() > 0 &&
			// The kernel enforces the limit on its precise run-time clock;
			// wait4's rusage is tick-sampled and, in a VM under load, reads
			// up to ~20% lower. An unexplained SIGKILL after half the budget
			// is the limit (the runner's own kills are flagged above).
			out.CPUTime >= time.Duration(cfg.cpuSeconds())*time.Second/2 {
			return nil, degrade(models.ReasonTimeout, fmt.Sprintf("the analyzer used up its CPU time limit (%ds)", cfg.cpuSeconds()))
		}
		if oom := outOfMemory(out.StderrTail); oom {
			return nil, degrade(models.ReasonCrashed, memoryDetail(cfg))
		}
		return nil, degrade(models.ReasonCrashed, fmt.Sprintf("the analyzer crashed (%s)", signal))
	}
	if out.ExitCode != 0 {
		if outOfMemory(out.StderrTail) {
			return nil, degrade(models.ReasonCrashed, memoryDetail(cfg))
		}
		line := crashLine(out.StderrTail)
		switch {
		case goPanicked(out.StderrTail):
			return nil, degrade(models.ReasonCrashed, fmt.Sprintf("the analyzer crashed (%s)", line))
		case out.ExitCode == 2 && line != "":
			return nil, degrade(models.ReasonCrashed, fmt.Sprintf("the analyzer rejected the request (exit status 2: %s)", line))
		case line != "":
			return nil, degrade(models.ReasonCrashed, fmt.Sprintf("the analyzer failed (exit status %d: %s)", out.ExitCode, line))
		default:
			return nil, degrade(models.ReasonCrashed, fmt.Sprintf("the analyzer failed (exit status %d)", out.ExitCode))
		}
	}
	// Exit 0. ErrWaitDelay means a process that left the group held the pipes
	// open after the analyzer exited; the analyzer's own output is complete,
	// so it is judged on its merits like any other.
	if waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return nil, degrade(models.ReasonCrashed, "reading the analyzer's output failed: "+oneLine(waitErr.Error()))
	}
	ids := make([]string, len(req.Articles))
	for i, a := range req.Articles {
		ids[i] = a.ID
	}
	rep, err := DecodeReport(stdout.buf, ids)
	if errors.Is(err, ErrEmptyOutput) {
		return nil, degrade(models.ReasonBadOutput, "the analyzer exited successfully but printed nothing")
	}
	if err != nil {
		return nil, degrade(models.ReasonBadOutput, "the analyzer printed something that is "+err.Error())
	}
	return rep, nil
}

func degrade(reason, detail string) *models.Degraded {
	return &models.Degraded{Stage: Stage, Reason: reason, Detail: detail}
}

func locateDetail(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrNotExecutable):
		return "the analyzer is not executable: " + strings.TrimPrefix(msg, ErrNotExecutable.Error()+": ")
	default:
		return "the analyzer was not found: " + strings.TrimPrefix(msg, ErrNotFound.Error()+": ")
	}
}

func memoryDetail(cfg Config) string {
	if cfg.MemoryLimit > 0 {
		return fmt.Sprintf("the analyzer ran out of memory (limit %s)", formatBytes(cfg.MemoryLimit))
	}
	return "the analyzer ran out of memory"
}

// outOfMemory recognises the last words of a child that hit its memory limit:
// the Go runtime, Python and C/C++ runtimes each say it their own way.
func outOfMemory(stderr string) bool {
	for _, m := range []string{"runtime: out of memory", "MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory"} {
		if strings.Contains(stderr, m) {
			return true
		}
	}
	return false
}

// crashLine picks the most telling stderr line, in this order: the
// analyzer's own last error line ("research-analyze: …"); the first Go
// "panic: " or "fatal error: " line (a re-panic repeats it later with
// " [recovered]"); else the last line that is not part of a stack trace (Go
// goroutine headers, function and file:line frames, "created by …"; Python's
// indented "File …" frames), which is where Python and most programs put the
// error. When every line looks like a frame, the last non-empty line.
func crashLine(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "research-analyze:") {
			return oneLine(l)
		}
	}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return oneLine(l)
		}
	}
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimRight(lines[i], " \t\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if last == "" {
			last = strings.TrimSpace(l)
		}
		if !stackFrame(l) {
			return oneLine(strings.TrimSpace(l))
		}
	}
	return oneLine(last)
}

// goPanicked reports whether stderr holds a Go panic or fatal error line:
// then the child crashed, whatever line explains it best.
func goPanicked(stderr string) bool {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return true
		}
	}
	return false
}

// goFuncName matches the function part of a Go stack frame's function line
// (before its argument list): "main.main", "panic",
// "github.com/x/y.(*T).Method", "main.work.func1", "main.Map[...]".
var goFuncName = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_./*()\[\]-]*$`)

// goFunctionFrame reports whether t is a Go frame's function line:
// "main.main()", "panic({0x4b2c40?, 0xc000012345?})", "main.f(0x1, ...)".
func goFunctionFrame(t string) bool {
	i := strings.IndexByte(t, '(')
	if i <= 0 || !strings.HasSuffix(t, ")") {
		return false
	}
	name := t[:i]
	if strings.HasSuffix(name, ".") { // a method on a pointer: "pkg.(*T).M(…)"
		if j := strings.Index(t[i:], ")."); j > 0 {
			if k := strings.IndexByte(t[i+j+2:], '('); k > 0 {
				name = t[:i+j+2+k]
			}
		}
	}
	return goFuncName.MatchString(name) && (strings.Contains(name, ".") || name == "panic")
}

// goroutineHeader matches "goroutine 1 [running]:" and "goroutine 7 gp=… m=… [chan receive]:".
var goroutineHeader = regexp.MustCompile(`^goroutine \d+ .*\[.*\]:?$`)

// stackFrame reports whether a stderr line (untrimmed) is part of a stack
// trace rather than a message.
func stackFrame(line string) bool {
	t := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, "\t"): // Go: "\t/path/main.go:12 +0x97"
		return true
	case goroutineHeader.MatchString(t),
		strings.HasPrefix(t, "created by "),
		t == "runtime stack:",
		strings.HasPrefix(t, "...") && strings.HasSuffix(t, "frames elided..."),
		strings.HasPrefix(t, "[signal ") && strings.HasSuffix(t, "]"),
		t == "Traceback (most recent call last):":
		return true
	case strings.HasPrefix(line, " ") && strings.HasPrefix(t, "File \""): // Python frame
		return true
	case strings.HasPrefix(line, "    ") && !strings.Contains(t, ": "):
		// Python's echoed source line under a frame ("    x = f(y)").
		return true
	}
	return goFunctionFrame(t)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Summary is the one-line human message for the text report: what went wrong
// and how to see more, or how the analysis went.
func (o Outcome) Summary() string {
	if o.Degraded == nil {
		if o.Report == nil {
			return "no analysis"
		}
		return fmt.Sprintf("analysed %d articles in %s (pid %d)", len(o.Report.Ranking), o.Elapsed.Round(time.Millisecond), o.PID)
	}
	msg := o.Degraded.Detail
	switch o.Degraded.Reason {
	case models.ReasonTimeout, models.ReasonCrashed, models.ReasonBadOutput, models.ReasonOutputTooLarge:
		if o.StderrBytes > 0 {
			msg += " (run with --debug for its stderr)"
		}
	}
	return msg
}
