// Package session remembers conversations: for each session, its recent
// questions and answers, a rolling summary of the older ones, and the
// articles already shown, in a SQLite file (modernc.org/sqlite, pure Go).
// Storage is bounded three ways: messages kept verbatim per session (older
// ones are folded into the summary), articles remembered per session (the
// oldest are forgotten), and the whole file's size (past it, the sessions
// least recently used are removed and the space given back). It also says
// how a follow-up question is read in its session's context (Contextualize).
package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/research-cli/research/internal/sqlitefile"
)

// Limits bound what the store keeps. Zero fields take the defaults.
type Limits struct {
	// MaxMessages is how many messages (a question or an answer each) a
	// session keeps verbatim; older ones are folded into its summary.
	MaxMessages int
	// MaxArticles is how many shown articles a session remembers.
	MaxArticles int
	// MaxBytes caps the store's live data; past it, the least recently used
	// sessions are removed.
	MaxBytes int64
	// MaxSummary caps a session's rolling summary, in bytes.
	MaxSummary int
	// MaxMessageBytes caps one stored message.
	MaxMessageBytes int
}

// Defaults of Limits.
const (
	DefaultMaxMessages     = 20
	DefaultMaxArticles     = 300
	DefaultMaxBytes        = 64 << 20
	DefaultMaxSummary      = 4 << 10
	DefaultMaxMessageBytes = 8 << 10
)

func (l Limits) withDefaults() Limits {
	if l.MaxMessages <= 0 {
		l.MaxMessages = DefaultMaxMessages
	}
	if l.MaxArticles <= 0 {
		l.MaxArticles = DefaultMaxArticles
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxSummary <= 0 {
		l.MaxSummary = DefaultMaxSummary
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return l
}

// Errors callers branch on.
var (
	ErrNotFound  = errors.New("no such session")
	ErrInvalidID = errors.New("invalid session id")
	// ErrCorrupt means the file is not a readable session store.
	ErrCorrupt = errors.New("the session store is damaged or not a SQLite database")
	// ErrNewerSchema means the file was written by a newer research.
	ErrNewerSchema = errors.New("the session store was written by a newer version of research")
)

const busyTimeout = 10 * time.Second

// timeLayout stores times as fixed-width UTC text, ordered by string comparison.
const timeLayout = "2006-01-02T15:04:05.000Z"

var migrations = []string{
	`CREATE TABLE sessions (
		id          TEXT PRIMARY KEY,
		created_at  TEXT NOT NULL,
		updated_at  TEXT NOT NULL,
		turns       INTEGER NOT NULL DEFAULT 0,
		summary     TEXT NOT NULL DEFAULT '',
		last_terms  TEXT NOT NULL DEFAULT '',
		last_phrases TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE messages (
		id          INTEGER PRIMARY KEY,
		session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
		turn        INTEGER NOT NULL,
		role        TEXT NOT NULL,
		text        TEXT NOT NULL,
		query       TEXT NOT NULL DEFAULT '',
		created_at  TEXT NOT NULL
	);
	CREATE INDEX messages_by_session ON messages(session_id, id);
	CREATE TABLE articles (
		id          INTEGER PRIMARY KEY,
		session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
		key         TEXT NOT NULL,
		url         TEXT NOT NULL,
		title       TEXT NOT NULL,
		source      TEXT NOT NULL,
		turn        INTEGER NOT NULL,
		n           INTEGER NOT NULL
	);
	CREATE UNIQUE INDEX articles_by_key ON articles(session_id, key);`,
}

// Store is an open session store, safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	lim  Limits
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// DefaultPath is $XDG_DATA_HOME/research/sessions.db, or
// ~/.local/share/research/sessions.db when XDG_DATA_HOME is unset.
func DefaultPath(getenv func(string) (string, bool)) (string, error) {
	p, err := sqlitefile.DefaultPath(getenv, "sessions.db")
	if err != nil {
		return "", fmt.Errorf("session store: %w", err)
	}
	return p, nil
}

// Open opens the store at path, creating it and its directory when needed.
// A file that is not a session store gives an error naming it (ErrCorrupt).
func Open(ctx context.Context, path string, lim Limits) (*Store, error) {
	if path == "" {
		return nil, errors.New("open session store: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open session store %s: the path may not contain ? or #", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open session store %s: %w", path, err)
	}
	// auto_vacuum takes effect only in a new file (before its first table),
	// on whichever connection creates it, hence on all: it lets the size cap
	// give space back.
	dsn := "file:" + path + fmt.Sprintf("?_pragma=auto_vacuum(INCREMENTAL)&_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate",
		busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open session store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, lim: lim.withDefaults(), Now: time.Now}
	if err := s.initRetrying(ctx); err != nil {
		db.Close()
		return nil, s.wrap("open", err)
	}
	return s, nil
}

// initRetrying runs init, again while it fails with SQLITE_BUSY, for up to
// busyTimeout: when several processes open a new file at once, the switch to
// WAL fails with SQLITE_BUSY at once, without waiting for the busy timeout
// (TestConcurrentTurns under -race did, a few runs in a hundred).
func (s *Store) initRetrying(ctx context.Context) error {
	return sqlitefile.RetryBusy(ctx, busyTimeout, func() error { return s.init(ctx) })
}

func (s *Store) init(ctx context.Context) error {
	// A damaged file fails here, on its first read, rather than halfway through a turn.
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return err
	}
	if check != "ok" {
		return fmt.Errorf("%w: %s", ErrCorrupt, oneLine(check, 200))
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("%w (schema %d, this one knows %d)", ErrNewerSchema, v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	if v < len(migrations) {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// wrap names the file in an error and recognises a damaged one.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
			return fmt.Errorf("session store %s: %w (%v); move it aside or remove it to start afresh", s.path, ErrCorrupt, err)
		}
	}
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("session store %s: %w; move it aside or remove it to start afresh", s.path, err)
	}
	return fmt.Errorf("session store %s: %s: %w", s.path, op, err)
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Limits are the store's bounds, defaults filled in.
func (s *Store) Limits() Limits { return s.lim }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckID says whether id may name a session: 1–64 letters, digits, '.', '_'
// or '-', starting with a letter or digit.
func CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidID, id)
	}
	return nil
}

// NewID makes a fresh session id from the time, e.g. "20261208-0152-3f9a".
func NewID(now time.Time, rnd uint16) string {
	return fmt.Sprintf("%s-%04x", now.UTC().Format("20060102-1504"), rnd)
}

// Message is one question or answer of a session.
type Message struct {
	Turn int    `json:"turn"`
	Role string `json:"role"` // "user" or "assistant"
	Text string `json:"text"`
	// Query is what a question was researched as (user messages).
	Query string    `json:"query,omitempty"`
	At    time.Time `json:"at"`
}

// Article is an article shown in a session.
type Article struct {
	// Key identifies the article across runs: its canonical URL, else its id.
	Key    string `json:"key"`
	URL    string `json:"url"`
	Title  string `json:"title"`
	Source string `json:"source"`
	// Turn is the answer it was first shown in, N its number there.
	Turn int `json:"turn"`
	N    int `json:"n"`
}

// Session is a session as stored.
type Session struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Turns   int       `json:"turns"`
	// Summary holds the older messages, folded.
	Summary  string    `json:"summary,omitempty"`
	Messages []Message `json:"messages"`
	Articles []Article `json:"articles"`
	// Previous is what the next follow-up is read against.
	Previous *Previous `json:"-"`
}

// Shown finds an article already shown, by key.
func (s *Session) Shown(key string) (Article, bool) {
	for _, a := range s.Articles {
		if a.Key == key {
			return a, true
		}
	}
	return Article{}, false
}

// Info is a session's line in a listing.
type Info struct {
	ID           string    `json:"id"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	Turns        int       `json:"turns"`
	Articles     int       `json:"articles"`
	LastQuestion string    `json:"last_question"`
}

// List returns every session, the most recently used first.
func (s *Store) List(ctx context.Context) ([]Info, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.created_at, s.updated_at, s.turns,
		(SELECT count(*) FROM articles a WHERE a.session_id = s.id),
		COALESCE((SELECT m.text FROM messages m WHERE m.session_id = s.id AND m.role = 'user' ORDER BY m.id DESC LIMIT 1), '')
		FROM sessions s ORDER BY s.updated_at DESC, s.id`)
	if err != nil {
		return nil, s.wrap("list sessions", err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var in Info
		var c, u string
		if err := rows.Scan(&in.ID, &c, &u, &in.Turns, &in.Articles, &in.LastQuestion); err != nil {
			return nil, s.wrap("list sessions", err)
		}
		in.Created, in.Updated = parseTime(c), parseTime(u)
		out = append(out, in)
	}
	return out, s.wrap("list sessions", rows.Err())
}

// Get loads a session whole; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, id string) (*Session, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	se := &Session{ID: id, Messages: []Message{}, Articles: []Article{}}
	var c, u, terms, phrases string
	err := s.db.QueryRowContext(ctx, `SELECT created_at, updated_at, turns, summary, last_terms, last_phrases
		FROM sessions WHERE id = ?`, id).Scan(&c, &u, &se.Turns, &se.Summary, &terms, &phrases)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session %s: %w (see research sessions list)", id, ErrNotFound)
	}
	if err != nil {
		return nil, s.wrap("read session "+id, err)
	}
	se.Created, se.Updated = parseTime(c), parseTime(u)
	if terms != "" || phrases != "" {
		se.Previous = &Previous{Terms: splitList(terms), Keyphrases: splitList(phrases)}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT turn, role, text, query, created_at FROM messages
		WHERE session_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, s.wrap("read session "+id, err)
	}
	for rows.Next() {
		var m Message
		var at string
		if err := rows.Scan(&m.Turn, &m.Role, &m.Text, &m.Query, &at); err != nil {
			rows.Close()
			return nil, s.wrap("read session "+id, err)
		}
		m.At = parseTime(at)
		se.Messages = append(se.Messages, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read session "+id, err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT key, url, title, source, turn, n FROM articles
		WHERE session_id = ? ORDER BY turn, n, id`, id)
	if err != nil {
		return nil, s.wrap("read session "+id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Article
		if err := rows.Scan(&a.Key, &a.URL, &a.Title, &a.Source, &a.Turn, &a.N); err != nil {
			return nil, s.wrap("read session "+id, err)
		}
		se.Articles = append(se.Articles, a)
	}
	return se, s.wrap("read session "+id, rows.Err())
}

// Remove deletes a session and everything it remembers; ErrNotFound when
// there is none.
func (s *Store) Remove(ctx context.Context, id string) error {
	if err := CheckID(id); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return s.wrap("remove session "+id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %s: %w (see research sessions list)", id, ErrNotFound)
	}
	return s.reclaim(ctx)
}

// Turn is one question and its answer, as recorded.
type Turn struct {
	Followup Followup
	// Answer is the answer in short: the model's text, or the summary's sentences.
	Answer string
	// Keyphrases are the key phrases of what this answer found, best first.
	Keyphrases []string
	// Shown are the articles this answer listed (those already shown keep
	// their first showing).
	Shown []Article
}

// AddTurn records a turn, creating the session when it does not exist, and
// applies the bounds. It returns the turn's number (1 for a new session).
func (s *Store) AddTurn(ctx context.Context, id string, t Turn) (int, error) {
	if err := CheckID(id); err != nil {
		return 0, err
	}
	now := s.Now().UTC().Format(timeLayout)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.wrap("record a turn", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(id) DO NOTHING`, id, now, now); err != nil {
		return 0, s.wrap("record a turn", err)
	}
	var turn int
	if err := tx.QueryRowContext(ctx, `UPDATE sessions SET turns = turns + 1, updated_at = ?, last_terms = ?, last_phrases = ?
		WHERE id = ? RETURNING turns`, now, joinList(t.Followup.Terms), joinList(t.Keyphrases), id).Scan(&turn); err != nil {
		return 0, s.wrap("record a turn", err)
	}
	for _, m := range []Message{
		{Role: "user", Text: t.Followup.Question, Query: t.Followup.Query},
		{Role: "assistant", Text: t.Answer},
	} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (session_id, turn, role, text, query, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, turn, m.Role, clip(m.Text, s.lim.MaxMessageBytes), clip(m.Query, 1024), now); err != nil {
			return 0, s.wrap("record a turn", err)
		}
	}
	for _, a := range t.Shown {
		if a.Key == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO articles (session_id, key, url, title, source, turn, n)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(session_id, key) DO NOTHING`,
			id, clip(a.Key, 2048), clip(a.URL, 2048), clip(a.Title, 512), clip(a.Source, 128), turn, a.N); err != nil {
			return 0, s.wrap("record a turn", err)
		}
	}
	if err := s.fold(ctx, tx, id); err != nil {
		return 0, s.wrap("record a turn", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM articles WHERE session_id = ? AND id NOT IN
		(SELECT id FROM articles WHERE session_id = ? ORDER BY turn DESC, id DESC LIMIT ?)`, id, id, s.lim.MaxArticles); err != nil {
		return 0, s.wrap("record a turn", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, s.wrap("record a turn", err)
	}
	if err := s.enforceSize(ctx, id); err != nil {
		return turn, err
	}
	return turn, nil
}

// fold moves the messages beyond MaxMessages into the session's summary:
// each old turn becomes one line, "Q3: question → answer (cut)", and the
// summary keeps its most recent lines within MaxSummary.
func (s *Store) fold(ctx context.Context, tx *sql.Tx, id string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, turn, role, text FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT -1 OFFSET ?`,
		id, s.lim.MaxMessages)
	if err != nil {
		return err
	}
	type old struct {
		id         int64
		turn       int
		role, text string
	}
	var olds []old
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.id, &o.turn, &o.role, &o.text); err != nil {
			rows.Close()
			return err
		}
		olds = append(olds, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(olds) == 0 {
		return err
	}
	var summary string
	if err := tx.QueryRowContext(ctx, `SELECT summary FROM sessions WHERE id = ?`, id).Scan(&summary); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(summary)
	for i := len(olds) - 1; i >= 0; i-- { // oldest first
		o := olds[i]
		switch o.role {
		case "user":
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "Q%d: %s", o.turn, oneLine(o.text, 200))
		default:
			if a := oneLine(o.text, 240); a != "" {
				fmt.Fprintf(&b, " → %s", a)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id = ?`, o.id); err != nil {
			return err
		}
	}
	summary = keepTail(b.String(), s.lim.MaxSummary)
	_, err = tx.ExecContext(ctx, `UPDATE sessions SET summary = ? WHERE id = ?`, summary, id)
	return err
}

// Used is the store's live data in bytes (pages in use times page size).
func (s *Store) Used(ctx context.Context) (int64, error) {
	var pages, free, size int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, s.wrap("measure", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, s.wrap("measure", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, s.wrap("measure", err)
	}
	return (pages - free) * size, nil
}

// enforceSize removes the least recently used sessions other than keep
// while the store is over MaxBytes, then gives the space back.
func (s *Store) enforceSize(ctx context.Context, keep string) error {
	removed := false
	for {
		used, err := s.Used(ctx)
		if err != nil {
			return err
		}
		if used <= s.lim.MaxBytes {
			break
		}
		var victim string
		err = s.db.QueryRowContext(ctx, `SELECT id FROM sessions WHERE id <> ? ORDER BY updated_at, id LIMIT 1`, keep).Scan(&victim)
		if errors.Is(err, sql.ErrNoRows) {
			// Only this session is left: its own bounds keep it small.
			break
		}
		if err != nil {
			return s.wrap("enforce the size cap", err)
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, victim); err != nil {
			return s.wrap("enforce the size cap", err)
		}
		removed = true
	}
	if removed {
		return s.reclaim(ctx)
	}
	return nil
}

// reclaim gives free pages back to the file system and empties the WAL.
func (s *Store) reclaim(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return s.wrap("reclaim space", err)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return s.wrap("reclaim space", err)
	}
	return nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func joinList(xs []string) string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(strings.ReplaceAll(x, "\n", " ")); x != "" {
			out = append(out, x)
		}
		if len(out) == 10 {
			break
		}
	}
	return clip(strings.Join(out, "\n"), 1024)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// clip cuts s to max bytes on a rune boundary.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// keepTail keeps the end of s within max bytes, from a line start when it can.
func keepTail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	t := s[len(s)-max+len("…\n"):]
	if i := strings.IndexByte(t, '\n'); i >= 0 && i < len(t)-1 {
		t = t[i+1:]
	} else {
		for len(t) > 0 && !utf8.RuneStart(t[0]) {
			t = t[1:]
		}
	}
	return "…\n" + t
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	return clip(s, max-len("…")) + "…"
}
