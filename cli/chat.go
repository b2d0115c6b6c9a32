package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/session"
)

// chatOptions are the flags of research chat.
type chatOptions struct {
	q       queryOptions
	session string
	store   string
	noModel bool
}

// chatLimit is how many articles a chat answer lists: shorter than a report.
const chatLimit = 5

func newChat(ios IO) *cobra.Command {
	o := &chatOptions{}
	cmd := &cobra.Command{
		Use:   "chat [--session ID]",
		Short: "Ask questions one after another in a session; follow-ups are researched in context",
		Long: `chat asks for questions in a loop and answers each with the same report as a one-shot run, shorter
(five articles unless --limit says otherwise). A follow-up ("and how does it compare to Mamba?") is
researched in the context of the session: a question that refers back or is short carries the
previous question's key terms, and articles already shown are marked "seen" rather than repeated.
The session is remembered (a SQLite file; see research sessions), so research chat --session ID or
research --session ID "question" continues it later.

On a terminal: line editing and history (arrow keys, Ctrl-R); Ctrl-C cancels the question being
researched, Ctrl-D or "exit" leaves. Without a terminal, questions are read from standard input one
a line (blank lines and lines starting with # are skipped), so a conversation can be scripted.

With an llm section in the config, each answer is also written by the model from the top
articles, streamed as it arrives (see docs/llm.md).`,
		Example: `  research chat
  research chat --session attention
  printf 'sparse attention for long documents\nand how does it compare to Mamba?\n' | research chat --session demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.q.check(cmd); err != nil {
				return err
			}
			return runChat(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	// Before bind, which then leaves --session to this command.
	f.StringVar(&o.session, "session", "", "continue (or start) the session `ID` (default: a new session)")
	f.StringVar(&o.store, "store", "", "session store `FILE` (default: sessions.store, else $XDG_DATA_HOME/research/sessions.db)")
	f.BoolVar(&o.noModel, "no-model", false, "do not ask the configured model; the extractive summary only")
	o.q.bind(cmd, ios)
	_ = cmd.RegisterFlagCompletionFunc("session", completeSessionIDs(ios, &o.store, &o.q.configPath))
	o.q.limit = chatLimit
	if fl := f.Lookup("limit"); fl != nil {
		fl.DefValue = fmt.Sprint(chatLimit)
	}
	return cmd
}

// conversationOptions build a conversation.
type conversationOptions struct {
	q       *queryOptions
	format  render.Format
	store   *session.Store
	id      string
	noModel bool
}

// newConversation wires the pipeline, the model and the rendering for a
// conversation; close releases them.
func newConversation(ios IO, cfg *config.Config, co conversationOptions) (*conversation, func(), error) {
	summary := cfg.Analyzer.MaxSummary
	if co.store != nil {
		summary = askForMoreSentences(cfg)
	}
	var model = cfg.LLM
	if co.noModel {
		model.Endpoint = ""
	}
	mc, err := modelClient(ios, &config.Config{LLM: model})
	if err != nil {
		return nil, nil, err
	}
	prog := newProgress(ios, co.q.verbose || co.q.debug, len(cfg.Sources))
	p, err := newPipeline(cfg, pipelineOptions{observer: prog, explain: co.q.explain, logger: warnLogger(ios, co.q.debug)})
	if err != nil {
		return nil, nil, err
	}
	hint := ""
	if !co.q.debug {
		hint = "run with --debug for its stderr"
	}
	c := &conversation{ios: ios, out: ios.Out, pipe: p, store: co.store, id: co.id, model: mc, modelArticles: cfg.LLM.Articles,
		format: co.format, summary: summary, progress: prog,
		ropts: render.Options{Format: co.format, Color: !co.q.noColor && ios.colour(ios.OutTTY), Width: termWidth(ios),
			Limit: co.q.renderLimit(), DegradedHint: hint, Explain: co.q.explain}}
	closeFn := func() {
		p.Close()
		if mc != nil {
			mc.Close()
		}
	}
	return c, closeFn, nil
}

// openSessionStore opens the session store named by the flag or the config.
func openSessionStore(ctx context.Context, ios IO, flag string, cfg *config.Config) (*session.Store, error) {
	path, err := sessionStorePath(ios, flag, cfg)
	if err != nil {
		return nil, err
	}
	return session.Open(ctx, path, sessionLimits(cfg))
}

// runConversational answers research QUESTION within a session (--session)
// or with the configured model: the hook of the one-shot command.
func runConversational(ctx context.Context, ios IO, o *queryOptions, cfg *config.Config, format render.Format) error {
	var store *session.Store
	if o.session != "" {
		if err := session.CheckID(o.session); err != nil {
			return usageError{fmt.Errorf("--session: %w", err)}
		}
		s, err := openSessionStore(ctx, ios, "", cfg)
		if err != nil {
			return err
		}
		defer s.Close()
		store = s
	}
	conv, closeFn, err := newConversation(ios, cfg, conversationOptions{q: o, format: format, store: store, id: o.session})
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := conv.ask(ctx, o.question)
	if err != nil {
		return err
	}
	if o.debug && res.run.Analysis.StderrTail != "" {
		fmt.Fprintf(ios.Err, "--- research-analyze stderr (tail) ---\n%s\n---\n", textsafe.Strip(res.run.Analysis.StderrTail))
	}
	if store != nil {
		fmt.Fprintf(ios.Err, "session %s, answer %d (continue: research --session %s \"…\", or research chat --session %s)\n",
			o.session, res.turn, o.session, o.session)
	}
	if f := res.run.Fetch; f.Sources > 0 && f.Failed == f.Sources {
		return runFailed{errors.New("no source answered; each source's error is in the report (research demo works offline)")}
	}
	return nil
}

func runChat(ctx context.Context, ios IO, o *chatOptions) error {
	format, err := render.ParseFormat(o.q.format)
	if err != nil {
		return usageError{err}
	}
	id := o.session
	if id == "" {
		var b [2]byte
		_, _ = rand.Read(b[:])
		id = session.NewID(time.Now(), binary.BigEndian.Uint16(b[:]))
	}
	if err := session.CheckID(id); err != nil {
		return usageError{fmt.Errorf("--session: %w", err)}
	}
	cfg, err := o.q.load(ios)
	if err != nil {
		return err
	}
	store, err := openSessionStore(ctx, ios, o.store, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	conv, closeFn, err := newConversation(ios, cfg, conversationOptions{q: &o.q, format: format, store: store, id: id, noModel: o.noModel})
	if err != nil {
		return err
	}
	defer closeFn()

	if in, ok := ios.In.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		return chatTerminal(ctx, ios, conv, o.session == "")
	}
	return chatScript(ctx, ios, conv)
}

// maxQuestion bounds one question read from standard input.
const maxQuestion = 64 << 10

// chatScript reads questions from standard input one a line and answers each.
func chatScript(ctx context.Context, ios IO, conv *conversation) error {
	fmt.Fprintf(ios.Err, "research chat: session %s\n", conv.id)
	sc := bufio.NewScanner(ios.In)
	sc.Buffer(make([]byte, 0, 4096), maxQuestion)
	asked, failed := 0, 0
	for sc.Scan() {
		q := strings.TrimSpace(sc.Text())
		if q == "" || strings.HasPrefix(q, "#") {
			continue
		}
		if isExit(q) {
			break
		}
		asked++
		if conv.format == render.Text {
			if asked > 1 {
				fmt.Fprintln(conv.out)
			}
			fmt.Fprintf(conv.out, "%s %s\n\n", render.Style{On: conv.ropts.Color}.Bold("You:"), textsafe.Line(q))
		}
		if _, err := conv.ask(ctx, q); err != nil {
			if ctx.Err() != nil {
				return err
			}
			failed++
			fmt.Fprintf(ios.Err, "research: question %d: %s\n", asked, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return usageError{fmt.Errorf("a question on standard input is longer than %d KiB", maxQuestion>>10)}
		}
		return fmt.Errorf("read questions: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d questions failed", failed, asked)
	}
	return nil
}

func isExit(q string) bool {
	switch strings.ToLower(q) {
	case "exit", "quit", ":q", "/exit", "/quit":
		return true
	}
	return false
}

// errTerminated ends an interactive chat on SIGTERM.
var errTerminated = errors.New("terminated")

// chatTerminal is the interactive loop: line editing and history through
// readline; Ctrl-C cancels the question being researched (at the prompt it
// clears the line), Ctrl-D or exit leaves, SIGTERM ends the chat.
func chatTerminal(ctx context.Context, ios IO, conv *conversation, fresh bool) error {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:            "You: ",
		HistoryFile:       historyFile(ios),
		HistoryLimit:      1000,
		HistorySearchFold: true,
		InterruptPrompt:   "^C",
		EOFPrompt:         "exit",
		// The prompt and line editing go to stderr, so that research chat >
		// transcript.txt keeps only the answers.
		Stdout: ios.Err,
		Stderr: ios.Err,
	})
	if err != nil {
		return fmt.Errorf("chat: terminal: %w", err)
	}
	defer rl.Close()
	st := render.Style{On: conv.ropts.Color}
	how := "continue it later with"
	if !fresh {
		how = "continuing; later again with"
	}
	fmt.Fprintf(ios.Err, "%s session %s (%s: research chat --session %s)\n", st.Bold("research chat"), conv.id, how, conv.id)
	fmt.Fprintln(ios.Err, st.Dim("Ask a question. Ctrl-C cancels the one being researched; Ctrl-D or exit leaves."))

	// The process's own handler (main) cancels ctx on the first Ctrl-C; a
	// chat outlives that: it cancels only the current question.
	base, stopAll := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopAll(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var mu sync.Mutex
	var cancelQuestion context.CancelFunc
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				mu.Lock()
				if cancelQuestion != nil {
					cancelQuestion()
				}
				mu.Unlock()
				if s == syscall.SIGTERM {
					stopAll(errTerminated)
					rl.Close()
				}
			}
		}
	}()
	defer wg.Wait()
	defer close(done)

	for {
		line, err := rl.Readline()
		if base.Err() != nil {
			return fmt.Errorf("chat: %w (%w)", context.Canceled, context.Cause(base))
		}
		if errors.Is(err, readline.ErrInterrupt) {
			if strings.TrimSpace(line) == "" {
				fmt.Fprintln(ios.Err, st.Dim("(Ctrl-D or exit leaves)"))
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("chat: read: %w", err)
		}
		q := strings.TrimSpace(line)
		if q == "" {
			continue
		}
		if isExit(q) {
			return nil
		}
		qctx, cancel := context.WithCancel(base)
		mu.Lock()
		cancelQuestion = cancel
		mu.Unlock()
		fmt.Fprintln(conv.out)
		_, err = conv.ask(qctx, q)
		mu.Lock()
		cancelQuestion = nil
		mu.Unlock()
		cancel()
		switch {
		case base.Err() != nil:
			return fmt.Errorf("chat: %w (%w)", context.Canceled, context.Cause(base))
		case err != nil && qctx.Err() != nil:
			fmt.Fprintln(ios.Err, st.Yellow("(question cancelled; nothing was recorded)"))
		case err != nil:
			fmt.Fprintf(ios.Err, "research: %s\n", err)
		}
		fmt.Fprintln(conv.out)
	}
}

// historyFile is where chat keeps its line history:
// $XDG_STATE_HOME/research/chat_history, else ~/.local/state/research/chat_history.
func historyFile(ios IO) string {
	dir := ""
	if d, ok := ios.env("XDG_STATE_HOME"); ok && filepath.IsAbs(d) {
		dir = filepath.Join(d, "research")
	} else if h, ok := ios.env("HOME"); ok && h != "" {
		dir = filepath.Join(h, ".local", "state", "research")
	}
	if dir == "" || os.MkdirAll(dir, 0o700) != nil {
		return "" // no history kept
	}
	return filepath.Join(dir, "chat_history")
}
