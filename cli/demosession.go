package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/session"
)

// DemoSessionQuestions are the demo session's three questions, each building
// on the one before: the second refers back ("it") and names one new thing,
// the third names only what it wants more of.
var DemoSessionQuestions = []string{
	fixtureserver.Question,
	"and how does it compare to Mamba?",
	"what about the benchmarks?",
}

// runDemoSession asks the demo session's questions in one throwaway session
// against the fixture server, so that each answer shows how the session
// shaped it: the query it was researched as, the articles already shown
// marked "seen", the summary without the sentences already given.
func runDemoSession(ctx context.Context, ios IO, o *demoOptions) error {
	format, err := render.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	srv, err := fixtureserver.Start(ctx, fixtureserver.Options{Latency: fixtureserver.DemoLatency()})
	if err != nil {
		return fmt.Errorf("start the fixture server: %w", err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "research-demo-session-")
	if err != nil {
		return fmt.Errorf("demo session store: %w", err)
	}
	defer os.RemoveAll(dir)

	cfg := demoConfig(ios, srv, o)
	cfg.Sessions.Store = filepath.Join(dir, "sessions.db")
	if err := cfg.Validate(); err != nil {
		return err
	}
	store, err := session.Open(ctx, cfg.Sessions.Store, sessionLimits(cfg))
	if err != nil {
		return err
	}
	defer store.Close()
	limit := o.limit
	switch limit {
	case 15: // the demo's default is for a whole report; a session's answers are shorter
		limit = chatLimit
	case 0:
		limit = -1 // all
	}
	q := &queryOptions{runFlags: runFlags{debug: o.debug, limit: limit}, noColor: o.noColor}
	conv, closeFn, err := newConversation(ios, cfg, conversationOptions{q: q, format: format, store: store, id: "demo"})
	if err != nil {
		return err
	}
	defer closeFn()
	conv.progress = nil // the narration says what happens

	w := ios.Out
	if format != render.Text {
		w = ios.Err
	}
	st := render.Style{On: conv.ropts.Color}
	fmt.Fprintf(w, "%s — three related questions in one session, offline against a built-in server on %s\n",
		st.Bold("research demo --session"), strings.TrimPrefix(srv.URL(), "http://"))
	fmt.Fprintf(w, "Each question is read in the context of the ones before it; the session lives in a throwaway store.\n")
	for i, question := range DemoSessionQuestions {
		fmt.Fprintf(w, "\n%s\n\n%s %s\n\n", st.Bold(fmt.Sprintf("── Question %d of %d ──", i+1, len(DemoSessionQuestions))), st.Bold("You:"), question)
		res, err := conv.ask(ctx, question)
		if err != nil {
			return err
		}
		if format == render.Text && !res.followup.IsFollowup() {
			fmt.Fprintf(w, "%s\n", st.Dim(fmt.Sprintf("(answer %d: a first question is researched as asked)", res.turn)))
		}
	}
	se, err := store.Get(ctx, "demo")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s %s and %s remembered (research sessions show ID prints a session)\n", st.Bold("The session:"),
		render.Plural(se.Turns, "answer"), render.Plural(len(se.Articles), "article"))
	for _, m := range se.Messages {
		if m.Role == "user" {
			fmt.Fprintf(w, "   %d. %-36s researched as %q\n", m.Turn, m.Text, m.Query)
		}
	}
	if format == render.Text {
		fmt.Fprintf(w, "\nTry: research chat                       (your own session, on a terminal: line editing, history)\n")
		fmt.Fprintf(w, "     research --session work \"question\"   (continue a session from the shell)\n")
	}
	return nil
}
