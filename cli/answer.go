package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/research-cli/research/config"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/internal/urlcanon"
	"github.com/research-cli/research/llm"
	"github.com/research-cli/research/models"
	"github.com/research-cli/research/orchestrator"
	"github.com/research-cli/research/render"
	"github.com/research-cli/research/session"
)

// conversation answers questions one after another: each read in the
// context of its session, researched through the pipeline, answered by the
// model when one is configured (the extractive summary stays beside it), and
// recorded. It serves research chat, research --session ID and the demo's
// session; without a store it answers a single question (a plain run with a
// model configured).
type conversation struct {
	ios  IO
	out  io.Writer
	pipe *pipeline
	// run researches a query; nil means pipe.orch.Run.
	run func(ctx context.Context, query string) (*orchestrator.Run, error)
	// store and id are the session; store nil remembers nothing.
	store *session.Store
	id    string
	// model writes answers; nil leaves the extractive summary alone.
	model         *llm.Client
	modelArticles int
	format        render.Format
	ropts         render.Options
	// summary is how many summary sentences an answer shows (the analyzer
	// is asked for twice as many, so that those already shown can give way).
	summary int
	// progress brackets each run (a spinner on a terminal); nil is silent.
	progress *progress
	// explain prints how a follow-up was read.
	explain bool
}

// modelClient builds the model client from the config; nil when it is off.
func modelClient(ios IO, cfg *config.Config) (*llm.Client, error) {
	l := cfg.LLM
	if !l.On() {
		return nil, nil
	}
	key := ""
	if l.APIKeyEnv != "" {
		key, _ = ios.env(l.APIKeyEnv)
	}
	model := l.Model
	if model == "" {
		model = config.DefaultLLMModel
	}
	c, err := llm.New(llm.Config{Endpoint: l.Endpoint, API: l.API, Model: model, APIKey: key, Timeout: l.Timeout,
		IdleTimeout: l.IdleTimeout, TokenBudget: l.TokenBudget, MaxAnswerTokens: l.MaxAnswerTokens})
	if err != nil {
		return nil, usageError{fmt.Errorf("config llm: %w", err)}
	}
	return c, nil
}

// sessionLimits are the store's bounds from the config.
func sessionLimits(cfg *config.Config) session.Limits {
	return session.Limits{MaxMessages: cfg.Sessions.MaxMessages, MaxArticles: cfg.Sessions.MaxArticles,
		MaxBytes: int64(cfg.Sessions.MaxMB) << 20}
}

// sessionStorePath picks the session store: the flag, else the config, else the data directory.
func sessionStorePath(ios IO, flag string, cfg *config.Config) (string, error) {
	p := flag
	if p == "" && cfg != nil {
		p = cfg.Sessions.Store
	}
	if p == "" {
		return session.DefaultPath(ios.env)
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, ok := ios.env("HOME"); ok && home != "" {
			p = home + string(os.PathSeparator) + rest
		}
	}
	return p, nil
}

// askForMoreSentences doubles the analyzer's summary sentences so that, in a
// session, sentences already shown can give way to new ones; it returns how
// many an answer shows.
func askForMoreSentences(cfg *config.Config) int {
	n := cfg.Analyzer.MaxSummary
	cfg.Analyzer.MaxSummary = min(2*n, models.MaxOption)
	return n
}

// numberedArticle is an article with its number in the report.
type numberedArticle struct {
	n int
	a models.Article
}

// numberArticles numbers a result's articles the way the report does: in
// ranking order, a duplicate or another telling of the same story folded
// under the first of its group (and sharing its number).
func numberArticles(r *models.Result) (items []numberedArticle, numberOf map[string]int) {
	numberOf = map[string]int{}
	dupOf := map[string]string{}
	sameOf := map[string]string{}
	if an := r.Analysis; an != nil {
		for _, e := range an.Ranking {
			if e.DuplicateOf != "" {
				dupOf[e.ID] = e.DuplicateOf
			}
		}
		for _, g := range an.Groups {
			if g.Kind == models.GroupSameStory && len(g.IDs) > 1 {
				for _, id := range g.IDs[1:] {
					sameOf[id] = g.IDs[0]
				}
			}
		}
	}
	for _, a := range r.Articles {
		if c, ok := dupOf[a.ID]; ok {
			if n, ok := numberOf[c]; ok {
				numberOf[a.ID] = n
				continue
			}
		}
		if c, ok := sameOf[a.ID]; ok {
			if n, ok := numberOf[c]; ok {
				numberOf[a.ID] = n
				continue
			}
		}
		items = append(items, numberedArticle{n: len(items) + 1, a: a})
		numberOf[a.ID] = len(items)
	}
	return items, numberOf
}

// articleKey recognises an article across runs: its URL's comparison key
// (canonical, scheme and "www." aside), else its id.
func articleKey(a models.Article) string {
	if k := urlcanon.Key(a.URL); k != "" {
		return k
	}
	return "id:" + a.ID
}

// answered is one question's outcome.
type answered struct {
	followup session.Followup
	turn     int
	run      *orchestrator.Run
	answer   *llm.Answer
	// seen maps an article id to its earlier showing in the session.
	seen map[string]session.Article
	// sentences are the summary sentences shown; repeated counts those dropped.
	sentences []models.SummarySentence
	repeated  int
}

// ask answers one question and records it in the session.
func (c *conversation) ask(ctx context.Context, question string) (*answered, error) {
	var se *session.Session
	if c.store != nil {
		s, err := c.store.Get(ctx, c.id)
		switch {
		case errors.Is(err, session.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			se = s
		}
	}
	res := &answered{turn: 1, seen: map[string]session.Article{}}
	var prev *session.Previous
	if se != nil {
		prev, res.turn = se.Previous, se.Turns+1
	}
	res.followup = session.Contextualize(question, prev)
	st := render.Style{On: c.ropts.Color}
	if c.format == render.Text && res.followup.IsFollowup() {
		c.printFollowup(st, res.followup)
	}

	if c.progress != nil {
		c.progress.rearm()
		c.progress.begin()
	}
	run, err := c.research(ctx, res.followup.Query)
	if c.progress != nil {
		c.progress.end()
	}
	if err != nil {
		return nil, err
	}
	res.run = run
	items, numberOf := numberArticles(&run.Result)
	if se != nil {
		for _, it := range items {
			if a, ok := se.Shown(articleKey(it.a)); ok {
				res.seen[it.a.ID] = a
			}
		}
	}
	res.sentences, res.repeated = freshSentences(run.Result.Analysis, se, c.summary)

	if c.model != nil && len(items) > 0 {
		a, err := c.answer(ctx, question, se, items, st)
		if err != nil {
			return nil, err
		}
		res.answer = a
	}
	if err := c.write(res, items, numberOf); err != nil {
		return nil, err
	}
	if c.store != nil {
		n, err := c.store.AddTurn(ctx, c.id, c.record(res, items, numberOf))
		if err != nil {
			return nil, err
		}
		res.turn = n
	}
	return res, nil
}

func (c *conversation) research(ctx context.Context, query string) (*orchestrator.Run, error) {
	if c.run != nil {
		return c.run(ctx, query)
	}
	return c.pipe.orch.Run(ctx, query)
}

func (c *conversation) printFollowup(st render.Style, f session.Followup) {
	line := fmt.Sprintf("follow-up — %s: researching %q", f.Why, f.Query)
	var from []string
	if len(f.Carried) > 0 {
		from = append(from, "carried from the previous question: "+strings.Join(f.Carried, ", "))
	}
	if len(f.Added) > 0 {
		from = append(from, "from the articles found so far: "+strings.Join(f.Added, ", "))
	}
	fmt.Fprintln(c.out, st.Dim(textsafe.Line(line)))
	if len(from) > 0 {
		fmt.Fprintln(c.out, st.Dim("  "+textsafe.Line(strings.Join(from, "; "))))
	}
	fmt.Fprintln(c.out)
}

// freshSentences picks up to n summary sentences not already shown in the
// session, and counts those left out; when every one was shown, the first n.
func freshSentences(an *models.AnalysisReport, se *session.Session, n int) ([]models.SummarySentence, int) {
	if an == nil {
		return nil, 0
	}
	var earlier []string
	if se != nil {
		for _, m := range se.Messages {
			if m.Role == "assistant" {
				earlier = append(earlier, m.Text)
			}
		}
		earlier = append(earlier, se.Summary)
	}
	var out []models.SummarySentence
	repeated := 0
	for _, s := range an.Summary {
		if len(out) >= n {
			break
		}
		shown := false
		for _, e := range earlier {
			if strings.Contains(e, s.Text) {
				shown = true
				break
			}
		}
		if shown {
			repeated++
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 && len(an.Summary) > 0 {
		// Everything was said before: an answer without a summary helps
		// nobody, so the best sentences stand again.
		return an.Summary[:min(n, len(an.Summary))], 0
	}
	return out, repeated
}

// answer asks the model, streaming its text to the terminal in text format.
func (c *conversation) answer(ctx context.Context, question string, se *session.Session, items []numberedArticle, st render.Style) (*llm.Answer, error) {
	k := c.modelArticles
	if k <= 0 {
		k = 5
	}
	var srcs []llm.Source
	for _, it := range items[:min(k, len(items))] {
		text := it.a.Content
		if text == "" {
			text = it.a.Summary
		}
		srcs = append(srcs, llm.Source{N: it.n, Title: it.a.Title, URL: it.a.URL, Text: text})
	}
	req := llm.Request{Question: question, Context: conversationContext(se), Sources: srcs}
	var onText func(string)
	streamed := false
	// The heading waits for the first piece of text: a model that fails
	// before it gets the one-line note alone.
	heading := func() {
		if !streamed {
			streamed = true
			cfg := c.model.Config()
			fmt.Fprintf(c.out, "%s %s\n  ", st.Bold("Answer"), st.Dim(fmt.Sprintf("(%s, from the top %s)", textsafe.Line(cfg.Model), render.Plural(len(srcs), "article"))))
		}
	}
	if c.format == render.Text {
		onText = func(s string) {
			if !streamed {
				if s = strings.TrimLeft(s, " \t\n"); s == "" {
					return
				}
			}
			heading()
			io.WriteString(c.out, strings.ReplaceAll(s, "\n", "\n  "))
		}
	}
	a := c.model.Answer(ctx, req, onText)
	if a.Degraded != nil && a.Degraded.Reason == models.ReasonCancelled && ctx.Err() != nil {
		if streamed {
			fmt.Fprintln(c.out)
		}
		return nil, fmt.Errorf("answer: %w", ctx.Err())
	}
	if c.format == render.Text {
		if streamed {
			fmt.Fprintln(c.out)
		}
		if a.Degraded != nil {
			note := "! " + answerDegradedLine(a.Degraded)
			if streamed {
				note += " (the text above is incomplete)"
			}
			fmt.Fprintln(c.out, st.Yellow(note))
		}
		fmt.Fprintln(c.out)
	}
	return &a, nil
}

// answerDegradedLine is the one-line notice of a failed answer.
func answerDegradedLine(d *models.Degraded) string {
	return "answer unavailable: " + textsafe.Line(d.Detail) + "; the extractive summary below stands"
}

// conversationContext is the session so far, in a few lines, for the model.
func conversationContext(se *session.Session) string {
	if se == nil {
		return ""
	}
	var b strings.Builder
	if se.Summary != "" {
		b.WriteString(se.Summary)
		b.WriteString("\n")
	}
	for _, m := range se.Messages {
		if m.Role == "user" {
			fmt.Fprintf(&b, "Q%d: %s\n", m.Turn, m.Text)
		}
	}
	return b.String()
}

// write prints the answer's report in the chosen format.
func (c *conversation) write(res *answered, items []numberedArticle, numberOf map[string]int) error {
	if c.format == render.JSON {
		return c.writeJSON(res, numberOf)
	}
	view := presentation(res, c.format)
	var buf bytes.Buffer
	if err := render.Write(&buf, view, c.ropts); err != nil {
		return err
	}
	out := buf.String()
	switch c.format {
	case render.Markdown:
		if a := res.answer; a != nil {
			out += "\n" + markdownAnswer(a)
		}
	case render.HTML:
		if a := res.answer; a != nil {
			out = insertBeforeBodyEnd(out, htmlAnswer(a))
		}
	case render.Text:
		if res.repeated > 0 || len(res.seen) > 0 {
			st := render.Style{On: c.ropts.Color}
			var parts []string
			if len(res.seen) > 0 {
				parts = append(parts, render.Plural(len(res.seen), "article")+" (marked “seen”)")
			}
			if res.repeated > 0 {
				parts = append(parts, render.Plural(res.repeated, "summary sentence")+" (left out)")
			}
			out += st.Dim("Session   already in earlier answers: "+strings.Join(parts, ", ")) + "\n"
		}
	}
	_, err := io.WriteString(c.out, out)
	return err
}

// presentation is the result as the report shows it in a session: the
// question as asked in the title, articles already shown marked as such and
// cut to their title line, the summary without the sentences already given.
func presentation(res *answered, format render.Format) *models.Result {
	r := res.run.Result
	if res.followup.Question != "" {
		r.Query = res.followup.Question
	}
	r.Articles = make([]models.Article, len(res.run.Result.Articles))
	for i, a := range res.run.Result.Articles {
		if s, ok := res.seen[a.ID]; ok {
			a.Title = fmt.Sprintf("(seen in answer %d) %s", s.Turn, a.Title)
			a.URL, a.Summary, a.Content, a.AlsoIn = "", "", "", nil
		}
		r.Articles[i] = a
	}
	if src := res.run.Result.Analysis; src != nil {
		an := *src
		an.Ranking = make([]models.RankedArticle, len(src.Ranking))
		for i, e := range src.Ranking {
			if _, ok := res.seen[e.ID]; ok {
				e.Keywords = nil
			}
			an.Ranking[i] = e
		}
		an.Summary = res.sentences
		r.Analysis = &an
	}
	return &r
}

// conversationJSON is research --format json with a session or a model:
// the contract's result, plus optional "session" and "answer" members.
type conversationJSON struct {
	models.Result
	Session *sessionJSON `json:"session,omitempty"`
	Answer  *llm.Answer  `json:"answer,omitempty"`
}

type sessionJSON struct {
	ID       string           `json:"id"`
	Turn     int              `json:"turn"`
	Followup session.Followup `json:"followup"`
	// Seen lists the articles already shown in an earlier answer.
	Seen []seenJSON `json:"seen"`
	// SummaryRepeats counts summary sentences left out as already given.
	SummaryRepeats int `json:"summary_repeats"`
}

type seenJSON struct {
	ID   string `json:"id"`
	N    int    `json:"n"`
	Turn int    `json:"turn"`
}

func (c *conversation) writeJSON(res *answered, numberOf map[string]int) error {
	out := conversationJSON{Result: res.run.Result, Answer: res.answer}
	if c.store != nil {
		// The analyzer was asked for twice the sentences so that those already
		// given could give way: the summary is the sentences this answer shows.
		if an := out.Result.Analysis; an != nil {
			cp := *an
			cp.Summary = res.sentences
			if cp.Summary == nil {
				cp.Summary = []models.SummarySentence{}
			}
			out.Result.Analysis = &cp
		}
		sj := &sessionJSON{ID: c.id, Turn: res.turn, Followup: res.followup, Seen: []seenJSON{}, SummaryRepeats: res.repeated}
		for _, a := range res.run.Result.Articles {
			if s, ok := res.seen[a.ID]; ok {
				sj.Seen = append(sj.Seen, seenJSON{ID: a.ID, N: numberOf[a.ID], Turn: s.Turn})
			}
		}
		out.Session = sj
	}
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// record is what the session keeps of an answer.
func (c *conversation) record(res *answered, items []numberedArticle, numberOf map[string]int) session.Turn {
	var texts []string
	if a := res.answer; a != nil && a.Degraded == nil {
		texts = append(texts, a.Text)
	}
	for _, s := range res.sentences {
		texts = append(texts, s.Text)
	}
	t := session.Turn{Followup: res.followup, Answer: strings.Join(texts, "\n")}
	if an := res.run.Result.Analysis; an != nil {
		for _, k := range an.Keywords[:min(5, len(an.Keywords))] {
			t.Keyphrases = append(t.Keyphrases, k.Phrase)
		}
	}
	limit := c.ropts.Limit // as render reads it: 0 the default, negative all
	switch {
	case limit == 0:
		limit = 15
	case limit < 0:
		limit = len(items)
	}
	cited := map[int]bool{}
	for _, s := range res.sentences {
		cited[numberOf[s.ArticleID]] = true
	}
	if a := res.answer; a != nil {
		for _, n := range a.Cited {
			cited[n] = true
		}
	}
	for _, it := range items {
		if it.n <= limit || cited[it.n] {
			t.Shown = append(t.Shown, session.Article{Key: articleKey(it.a), URL: it.a.URL, Title: it.a.Title, Source: it.a.Source, N: it.n})
		}
	}
	return t
}

var citation = regexp.MustCompile(`\[(\d+(?:\s*[-–,;]\s*\d+)*)\]`)

// mdCitation is a single citation once escaped: \[3\].
var mdCitation = regexp.MustCompile(`\\\[(\d+)\\\]`)

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "#", `\#`, "|", `\|`)

// markdownAnswer is the model's answer as a Markdown section, its citations
// linked to the articles.
func markdownAnswer(a *llm.Answer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Answer\n\n_%s_\n\n", mdEscaper.Replace(answerByline(a)))
	if a.Degraded != nil {
		fmt.Fprintf(&b, "> **Note:** %s\n", mdEscaper.Replace(answerDegradedLine(a.Degraded)))
		return b.String()
	}
	for _, para := range strings.Split(a.Text, "\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		text := mdEscaper.Replace(para)
		text = mdCitation.ReplaceAllString(text, `[\[$1\]](#a$1)`)
		b.WriteString(text + "\n\n")
	}
	return b.String()
}

// htmlAnswer is the model's answer as an HTML section: every character
// escaped, then the single citations made links to the articles.
func htmlAnswer(a *llm.Answer) string {
	var b strings.Builder
	b.WriteString(`<section id="answer"><h2>Answer</h2><p class="meta">` + html.EscapeString(answerByline(a)) + "</p>\n")
	if a.Degraded != nil {
		b.WriteString(`<p class="note">` + html.EscapeString(answerDegradedLine(a.Degraded)) + "</p></section>\n")
		return b.String()
	}
	for _, para := range strings.Split(a.Text, "\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		esc := html.EscapeString(para)
		esc = citation.ReplaceAllStringFunc(esc, func(m string) string {
			inner := m[1 : len(m)-1]
			if n, err := strconv.Atoi(inner); err == nil {
				return fmt.Sprintf(`<a href="#a%d">[%d]</a>`, n, n)
			}
			return m
		})
		b.WriteString("<p>" + esc + "</p>\n")
	}
	b.WriteString("</section>\n")
	return b.String()
}

func answerByline(a *llm.Answer) string {
	return fmt.Sprintf("written by %s from the top %s; the extractive summary is above", a.Model, render.Plural(len(a.Sources), "article"))
}

func insertBeforeBodyEnd(page, section string) string {
	if i := strings.LastIndex(page, "</body>"); i >= 0 {
		return page[:i] + section + page[i:]
	}
	return page + section
}

// rearm readies a progress that has ended for the next question of a
// conversation (end refuses to run twice, so the spinner of a second
// question would otherwise never stop).
func (p *progress) rearm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed, p.drawn, p.done = false, false, 0
	p.stage = "fetching " + render.Plural(p.total, "source")
}
