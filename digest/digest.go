// Package digest turns research results into a scheduled digest: for each
// topic only the articles not already sent, in the analysis' ranking order,
// capped, with duplicates folded and the same story never listed twice in
// one digest; and, when a topic has nothing new, a sentence saying why.
// It does no I/O: the caller runs the pipeline, loads what was sent from the
// store, and records what the digest lists once it has been delivered.
package digest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/research-cli/research/agents/canon"
	"github.com/research-cli/research/models"
)

// SeenFilter says whether an article was already sent for a topic, by its
// canonical URL or its title key (store.Seen implements it).
type SeenFilter interface {
	Seen(canonicalURL, titleKey string) bool
}

// Input is one topic's research run.
type Input struct {
	Topic  string
	Result *models.Result
	// Seen is what was already sent for this topic; nil means nothing.
	Seen SeenFilter
	// LastRun is when the topic's previous digest ran; zero means never.
	LastRun time.Time
	// StartedAt and FinishedAt bound this topic's run.
	StartedAt, FinishedAt time.Time
}

// Options tune the selection.
type Options struct {
	// MaxItems caps the articles listed per topic; <= 0 means 10.
	MaxItems int
	// Since, when positive, drops articles published longer ago than this
	// (articles without a date are kept: their age is unknown).
	Since time.Duration
	// Now is the digest's time; zero means time.Now.
	Now time.Time
}

// Digest is one document covering every topic.
type Digest struct {
	GeneratedAt time.Time `json:"generated_at"`
	// New counts the articles listed, over all topics.
	New int `json:"new"`
	// Fetched counts the articles the runs returned, over all topics.
	Fetched int     `json:"fetched"`
	Topics  []Topic `json:"topics"`
	// Since is the --since window, when one was set.
	Since string `json:"since,omitempty"`
}

// Topic is one topic's part of a digest.
type Topic struct {
	Topic string `json:"topic"`
	Items []Item `json:"items"`
	// Summary is the analysis' summary restricted to sentences citing listed items.
	Summary []Sentence `json:"summary"`
	// Why says why Items is empty; "" when it is not.
	Why string `json:"why,omitempty"`

	Fetched int `json:"fetched"`
	// AlreadySent were sent in an earlier digest (same URL, same title, or a
	// duplicate of one that was).
	AlreadySent int `json:"already_sent"`
	// Folded are duplicates of a listed article, shown as "also in".
	Folded int `json:"folded"`
	// InOtherTopic were listed under an earlier topic of this digest.
	InOtherTopic int `json:"in_other_topic"`
	// TooOld were published before the --since window.
	TooOld int `json:"too_old"`
	// OverCap are new articles beyond MaxItems; they stay new for the next digest.
	OverCap int `json:"over_cap"`

	Sources       int              `json:"sources"`
	FailedSources []FailedSource   `json:"failed_sources"`
	Degraded      *models.Degraded `json:"degraded,omitempty"`

	LastRun    time.Time `json:"last_run,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`

	since time.Duration

	// Remember lists what to record as sent once the digest is delivered:
	// the listed articles, their folded duplicates and the repeats of other
	// topics' articles, so none of them comes back as new.
	Remember []Item `json:"-"`
}

// Item is one listed article.
type Item struct {
	N            int       `json:"n"`
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	URL          string    `json:"url,omitempty"`
	CanonicalURL string    `json:"canonical_url,omitempty"`
	TitleKey     string    `json:"title_key,omitempty"`
	Source       string    `json:"source"`
	Kind         string    `json:"kind,omitempty"`
	Published    time.Time `json:"published,omitzero"`
	Keyphrases   []string  `json:"keyphrases"`
	Score        float64   `json:"score,omitempty"`
	// AlsoIn names the other sources that carried it or a duplicate of it.
	AlsoIn []string `json:"also_in,omitempty"`
}

// Sentence is a summary sentence and the number of the item it cites.
type Sentence struct {
	Text      string `json:"text"`
	ArticleID string `json:"article_id"`
	N         int    `json:"n"`
}

// FailedSource is a source that gave nothing because it failed.
type FailedSource struct {
	Name  string `json:"name"`
	Kind  string `json:"error_kind,omitempty"`
	Error string `json:"error"`
}

// Build chooses, for each input in order, what is new, and assembles the digest.
func Build(inputs []Input, opts Options) *Digest {
	d, _ := BuildContext(context.Background(), inputs, opts)
	return d
}

// BuildContext is Build that stops, with ctx's error and no digest, as soon as
// ctx ends: every per-item step checks it (each one is linear in its item's
// size, so none can hold an interrupt back for long).
func BuildContext(ctx context.Context, inputs []Input, opts Options) (*Digest, error) {
	if opts.MaxItems <= 0 {
		opts.MaxItems = 10
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	d := &Digest{GeneratedAt: opts.Now.UTC().Truncate(time.Second), Topics: []Topic{}}
	if opts.Since > 0 {
		d.Since = humanDuration(opts.Since)
	}
	listed := map[string]bool{} // "u:"+canonical URL and "t:"+title key of everything listed so far
	for _, in := range inputs {
		t, err := buildTopic(ctx, in, opts, listed)
		if err != nil {
			return nil, err
		}
		d.New += len(t.Items)
		d.Fetched += t.Fetched
		d.Topics = append(d.Topics, t)
	}
	return d, nil
}

func keys(u, tk string) []string {
	var ks []string
	if u != "" {
		ks = append(ks, "u:"+u)
	}
	if tk != "" {
		ks = append(ks, "t:"+tk)
	}
	return ks
}

func anyIn(m map[string]bool, ks []string) bool {
	for _, k := range ks {
		if m[k] {
			return true
		}
	}
	return false
}

func buildTopic(ctx context.Context, in Input, opts Options, listed map[string]bool) (Topic, error) {
	t := Topic{Topic: in.Topic, Items: []Item{}, Summary: []Sentence{}, FailedSources: []FailedSource{},
		LastRun: in.LastRun.UTC(), StartedAt: in.StartedAt.UTC(), FinishedAt: in.FinishedAt.UTC(), since: opts.Since}
	r := in.Result
	if r == nil {
		r = &models.Result{}
	}
	t.Sources = len(r.Sources)
	for _, s := range r.Sources {
		if s.Error != "" {
			t.FailedSources = append(t.FailedSources, FailedSource{Name: s.Name, Kind: s.ErrorKind, Error: s.Error})
		}
	}
	t.Degraded = r.Degraded
	t.Fetched = len(r.Articles)

	arts := r.Ordered()
	rank := map[string]models.RankedArticle{}
	if r.Analysis != nil {
		for _, e := range r.Analysis.Ranking {
			rank[e.ID] = e
		}
	}
	group := r.DuplicateGroups()
	type keyed struct {
		a     models.Article
		u, tk string
	}
	ka := make([]keyed, len(arts))
	seenGroup := map[string]bool{}
	for i, a := range arts {
		if err := ctx.Err(); err != nil {
			return Topic{}, err
		}
		ka[i] = keyed{a: a, u: canonURL(a.URL), tk: TitleKey(a.Title)}
		if in.Seen != nil && in.Seen.Seen(ka[i].u, ka[i].tk) {
			if g, ok := group[a.ID]; ok {
				seenGroup[g] = true
			}
		}
	}

	cutoff := time.Time{}
	if opts.Since > 0 {
		cutoff = opts.Now.Add(-opts.Since)
	}
	mine := map[string]int{}      // key -> index in t.Items, for this topic's items
	groupItem := map[string]int{} // duplicate group -> index in t.Items
	remember := func(x keyed) {
		t.Remember = append(t.Remember, Item{ID: x.a.ID, Title: x.a.Title, URL: x.a.URL, CanonicalURL: x.u, TitleKey: x.tk, Source: x.a.Source})
	}
	// fold lists x as another source of item at; its keys then count as
	// listed, so a later topic does not bring the same story back.
	fold := func(at int, x keyed) {
		t.Folded++
		remember(x)
		for _, k := range keys(x.u, x.tk) {
			if _, ok := mine[k]; !ok {
				mine[k] = at
			}
			listed[k] = true
		}
		it := &t.Items[at]
		for _, s := range append([]string{x.a.Source}, x.a.AlsoIn...) {
			if s != it.Source && !contains(it.AlsoIn, s) {
				it.AlsoIn = append(it.AlsoIn, s)
			}
		}
	}
	for _, x := range ka {
		if err := ctx.Err(); err != nil {
			return Topic{}, err
		}
		ks := keys(x.u, x.tk)
		g, inGroup := group[x.a.ID]
		switch {
		case !cutoff.IsZero() && !x.a.Published.IsZero() && x.a.Published.Before(cutoff):
			t.TooOld++
			continue
		case in.Seen != nil && in.Seen.Seen(x.u, x.tk), inGroup && seenGroup[g]:
			t.AlreadySent++
			continue
		}
		if inGroup {
			if at, ok := groupItem[g]; ok {
				fold(at, x)
				continue
			}
		}
		if at, ok := firstIndex(mine, ks); ok {
			fold(at, x)
			continue
		}
		if anyIn(listed, ks) {
			t.InOtherTopic++
			remember(x)
			continue
		}
		if len(t.Items) >= opts.MaxItems {
			t.OverCap++
			continue
		}
		e := rank[x.a.ID]
		it := Item{N: len(t.Items) + 1, ID: x.a.ID, Title: x.a.Title, URL: x.a.URL, CanonicalURL: x.u, TitleKey: x.tk,
			Source: x.a.Source, Kind: x.a.Kind, Published: x.a.Published.UTC(), Keyphrases: e.Keywords, Score: e.Score}
		if it.Keyphrases == nil {
			it.Keyphrases = []string{}
		}
		for _, s := range x.a.AlsoIn {
			if s != it.Source && !contains(it.AlsoIn, s) {
				it.AlsoIn = append(it.AlsoIn, s)
			}
		}
		at := len(t.Items)
		t.Items = append(t.Items, it)
		remember(x)
		for _, k := range ks {
			mine[k] = at
			listed[k] = true
		}
		if inGroup {
			groupItem[g] = at
		}
	}

	// Summary sentences that cite a listed article or a duplicate folded into one.
	if r.Analysis != nil && len(t.Items) > 0 {
		cite := map[string]int{}
		for _, it := range t.Items {
			cite[it.ID] = it.N
		}
		for id, g := range group {
			if at, ok := groupItem[g]; ok {
				if _, direct := cite[id]; !direct {
					cite[id] = t.Items[at].N
				}
			}
		}
		for _, s := range r.Analysis.Summary {
			if n, ok := cite[s.ArticleID]; ok {
				t.Summary = append(t.Summary, Sentence{Text: s.Text, ArticleID: s.ArticleID, N: n})
			}
		}
	}
	if len(t.Items) == 0 {
		t.Why = t.explain(opts)
	}
	return t, nil
}

func firstIndex(m map[string]int, ks []string) (int, bool) {
	for _, k := range ks {
		if at, ok := m[k]; ok {
			return at, true
		}
	}
	return 0, false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func canonURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	return canon.URL(raw)
}

// explain says why a topic lists nothing.
func (t *Topic) explain(opts Options) string {
	failed := len(t.FailedSources)
	switch {
	case t.Sources == 0:
		return "no sources are configured"
	case failed == t.Sources && t.Fetched == 0:
		return "no source answered: " + t.failures(3)
	case t.Fetched == 0 && failed > 0:
		return fmt.Sprintf("nothing found: %d of %d sources failed (%s) and the others had no articles on this topic",
			failed, t.Sources, t.failures(3))
	case t.Fetched == 0:
		return fmt.Sprintf("nothing found: none of the %d sources had articles on this topic", t.Sources)
	}
	head := "nothing new"
	if !t.LastRun.IsZero() {
		head += " since " + FormatWhen(t.LastRun)
	}
	var parts []string
	if t.AlreadySent == t.Fetched {
		parts = append(parts, "all already sent")
	} else {
		if t.AlreadySent > 0 {
			parts = append(parts, fmt.Sprintf("%d already sent", t.AlreadySent))
		}
		if t.TooOld > 0 {
			parts = append(parts, fmt.Sprintf("%d published more than %s ago", t.TooOld, humanDuration(opts.Since)))
		}
		if t.InOtherTopic > 0 {
			parts = append(parts, fmt.Sprintf("%d already listed under another topic above", t.InOtherTopic))
		}
	}
	s := fmt.Sprintf("%s: %s fetched, %s", head, plural(t.Fetched, "article"), strings.Join(parts, ", "))
	if failed > 0 {
		s += fmt.Sprintf("; %d of %d sources failed: %s", failed, t.Sources, t.failures(3))
	}
	return s
}

// failures names the first n failed sources with the kind of failure.
func (t *Topic) failures(n int) string {
	var parts []string
	for i, f := range t.FailedSources {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(t.FailedSources)-n))
			break
		}
		why := f.Kind
		if why == "" {
			why = f.Error
			if r := []rune(why); len(r) > 60 {
				why = strings.TrimSpace(string(r[:57])) + "…"
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", f.Name, strings.ReplaceAll(why, "_", " ")))
	}
	return strings.Join(parts, ", ")
}

// FormatWhen is how the digest writes a moment: "24 Nov 2026 07:00 UTC".
func FormatWhen(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// FormatDate is how the digest writes an article's date: "24 Nov 2026".
func FormatDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func humanDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return d.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
