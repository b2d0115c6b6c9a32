// Package config builds the run's configuration once: built-in defaults, then
// the YAML file, then environment variables, then flags. It is a value passed
// to constructors, never a global.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/research-cli/research/jobs/schedule"
	"github.com/research-cli/research/models"
)

// Config is everything a run needs to know.
type Config struct {
	// Path is the file the config was read from, "" for built-in defaults.
	Path string `yaml:"-"`
	// lines maps a field path ("sources[2].kind") to its line in the file.
	lines map[string]int

	Feeds    Feeds           `yaml:"feeds"`
	Sources  []models.Source `yaml:"sources"`
	Limits   Limits          `yaml:"limits"`
	Analyzer Analyzer        `yaml:"analyzer"`
	HTTP     HTTP            `yaml:"http"`
	Digest   Digest          `yaml:"digest"`

	// Sessions and LLM: conversations and model-written answers (config/answer.go).
	Sessions Sessions `yaml:"sessions,omitempty"`
	LLM      LLM      `yaml:"llm,omitempty"`
}

// Digest configures scheduled digests: the topics, and where what was already
// shown is remembered.
type Digest struct {
	// Topics are the questions a digest covers, each researched on every run.
	Topics []string `yaml:"topics,omitempty"`
	// MaxItems caps the new articles listed per topic.
	MaxItems int `yaml:"max_items"`
	// Store is the SQLite file of what was seen and sent; "" means the user's data directory.
	Store string `yaml:"store"`
	// Targets are where each digest is delivered; none means stdout.
	Targets []DigestTarget `yaml:"targets,omitempty"`

	// --- research worker (issue 9): schedules of digests run as jobs ---

	// Schedule is when `research worker` runs the digest of Topics: a cron
	// expression ("0 7 * * *", UTC unless it starts with CRON_TZ=Zone) or an
	// interval ("6h"). "" means the worker runs it on no schedule.
	Schedule string `yaml:"schedule,omitempty"`
	// PerTopic makes each of Topics a digest of its own: its own job, its own
	// delivery (for many topics on many workers).
	PerTopic bool `yaml:"per_topic,omitempty"`
	// Groups are further digests, each with its own topics and schedule.
	Groups []DigestGroup `yaml:"groups,omitempty"`
}

// DefaultDigest is the name of the digest of digest.topics.
const DefaultDigest = "digest"

// DigestGroup is a named digest of its own topics on its own schedule.
type DigestGroup struct {
	Name     string   `yaml:"name"`
	Topics   []string `yaml:"topics"`
	Schedule string   `yaml:"schedule"`
	PerTopic bool     `yaml:"per_topic,omitempty"`
}

// Digest target kinds.
const (
	TargetEmail   = "email"
	TargetWebhook = "webhook"
	TargetFile    = "file"
)

// DigestTarget is one place digests are delivered to. Which fields apply
// depends on Kind; secrets are never in the file, only where to find them.
type DigestTarget struct {
	Name string `yaml:"name"`
	// Kind is email, webhook or file.
	Kind string `yaml:"kind"`
	// Timeout bounds one delivery; 0 means 30s.
	Timeout time.Duration `yaml:"timeout,omitempty"`

	// email: the SMTP server, how to secure and authenticate, the addresses.
	Host string `yaml:"host,omitempty"`
	Port int    `yaml:"port,omitempty"`
	// Security is starttls (default, port 587), tls (implicit TLS, port 465) or
	// none (plain SMTP to a server on this machine, port 25).
	Security string `yaml:"security,omitempty"`
	// Auth is plain (default with a username), login or none.
	Auth     string `yaml:"auth,omitempty"`
	Username string `yaml:"username,omitempty"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env,omitempty"`
	// PasswordFile names a file whose first line is the password.
	PasswordFile string `yaml:"password_file,omitempty"`
	// Password is refused: it exists to say so clearly.
	Password string `yaml:"password,omitempty"`
	// CAFile is a PEM bundle to verify the server with instead of the system roots.
	CAFile string   `yaml:"ca_file,omitempty"`
	From   string   `yaml:"from,omitempty"`
	To     []string `yaml:"to,omitempty"`

	// webhook: where to POST, the HMAC secret's variable, the payload shape.
	URL       string `yaml:"url,omitempty"`
	SecretEnv string `yaml:"secret_env,omitempty"`
	// Payload is json (the digest, default) or slack ({"text": Markdown}).
	Payload string `yaml:"payload,omitempty"`

	// file: the directory and the format of each digest file.
	Dir string `yaml:"dir,omitempty"`
	// Format is markdown (default), html, text or json.
	Format string `yaml:"format,omitempty"`
}

// Feeds tunes how feed items are kept.
type Feeds struct {
	// KeepOffTopic keeps feed items that do not bear on the question.
	KeepOffTopic bool `yaml:"keep_off_topic"`
}

// DefaultParallel is limits.parallel's default: well above a typical source
// list, so every source starts at once (each host is still protected by
// http.per_host_parallel); it only bounds goroutines and sockets for huge lists.
const DefaultParallel = 64

// Limits bound the fetch stage.
type Limits struct {
	// FetchTimeout is the deadline for the whole fetch stage.
	FetchTimeout time.Duration `yaml:"fetch_timeout"`
	// SourceTimeout is each source's own deadline unless the source sets one.
	SourceTimeout time.Duration `yaml:"source_timeout"`
	// Parallel caps how many sources are fetched at once.
	Parallel int `yaml:"parallel"`
	// MaxResults is how many items a search source asks for.
	MaxResults int `yaml:"max_results"`
	// EnrichPages is how many of the best candidates get their full page fetched (0 disables).
	EnrichPages int `yaml:"enrich_pages"`
	// PageTimeout is the deadline for fetching full pages.
	PageTimeout time.Duration `yaml:"page_timeout"`

	// KindTimeouts are the deadlines of the sources of a kind that set no
	// timeout of their own; a zero one means source_timeout.
	KindTimeouts KindTimeouts `yaml:"kind_timeouts"`
}

// KindTimeouts holds a default deadline per kind of source. arXiv's default
// is long because arXiv stalls a client it throttles for 15–30 s before
// answering 429 (docs/sources.md).
type KindTimeouts struct {
	HackerNews time.Duration `yaml:"hackernews,omitempty"`
	Wikipedia  time.Duration `yaml:"wikipedia,omitempty"`
	Arxiv      time.Duration `yaml:"arxiv,omitempty"`
	Feed       time.Duration `yaml:"feed,omitempty"`
}

// DefaultArxivTimeout is the arxiv kind's default deadline.
const DefaultArxivTimeout = 40 * time.Second

// of is the default deadline of kind k, 0 when none is set.
func (k KindTimeouts) of(kind models.SourceKind) time.Duration {
	switch kind {
	case models.KindHackerNews:
		return k.HackerNews
	case models.KindWikipedia:
		return k.Wikipedia
	case models.KindArxiv:
		return k.Arxiv
	case models.KindFeed:
		return k.Feed
	}
	return 0
}

// Analyzer says where research-analyze is and how it is confined.
type Analyzer struct {
	Path          string        `yaml:"path"`
	Timeout       time.Duration `yaml:"timeout"`
	MemoryLimitMB int64         `yaml:"memory_limit_mb"`
	MaxKeywords   int           `yaml:"max_keywords"`
	MaxSummary    int           `yaml:"max_summary_sentences"`
}

// HTTP tunes the shared HTTP client.
type HTTP struct {
	UserAgent       string        `yaml:"user_agent"`
	MaxBodyMB       int64         `yaml:"max_body_mb"`
	PerHostParallel int           `yaml:"per_host_parallel"`
	PerHostInterval time.Duration `yaml:"per_host_interval"`
	Retries         int           `yaml:"retries"`
	// Cache is the SQLite file of conditional-GET validators; "off" disables it,
	// "" means the user's cache directory.
	Cache string `yaml:"cache"`

	// AllowPrivateLinks lets links found in fetched content (feed items, search
	// hits, redirects) reach loopback, private and link-local addresses. Off by
	// default: only the configured sources' own host and port may be private.
	AllowPrivateLinks bool `yaml:"allow_private_links"`
	// Contact is put in the User-Agent, as Wikimedia's policy asks: an e-mail
	// address or URL where the operator can be reached; "" means the project's
	// URL. Ignored when user_agent is set.
	Contact string `yaml:"contact,omitempty"`
}

// Default returns the built-in configuration, pointing at the real public services.
func Default() *Config {
	return &Config{
		Sources: []models.Source{
			{Name: "hn", Kind: models.KindHackerNews, URL: "https://hn.algolia.com/api/v1"},
			{Name: "wikipedia", Kind: models.KindWikipedia, URL: "https://en.wikipedia.org"},
			{Name: "arxiv", Kind: models.KindArxiv, URL: "https://export.arxiv.org"},
			{Name: "lobsters", Kind: models.KindFeed, URL: "https://lobste.rs/rss"},
			{Name: "go-blog", Kind: models.KindFeed, URL: "https://go.dev/blog/feed.atom"},
			{Name: "rust-blog", Kind: models.KindFeed, URL: "https://blog.rust-lang.org/feed.xml"},
			{Name: "lwn", Kind: models.KindFeed, URL: "https://lwn.net/headlines/rss"},
			{Name: "simonwillison", Kind: models.KindFeed, URL: "https://simonwillison.net/atom/everything/"},
			{Name: "arxiv-cs-cl", Kind: models.KindFeed, URL: "https://rss.arxiv.org/rss/cs.CL"},
		},
		Limits: Limits{
			FetchTimeout:  45 * time.Second,
			SourceTimeout: 10 * time.Second,
			Parallel:      DefaultParallel,
			MaxResults:    20,
			EnrichPages:   8,
			PageTimeout:   10 * time.Second,
			KindTimeouts:  KindTimeouts{Arxiv: DefaultArxivTimeout},
		},
		Analyzer: Analyzer{
			Timeout:       15 * time.Second,
			MemoryLimitMB: 2048,
			MaxKeywords:   models.DefaultMaxKeywords,
			MaxSummary:    models.DefaultMaxSummarySentences,
		},
		Digest: Digest{MaxItems: 10},
		HTTP: HTTP{
			MaxBodyMB:       15,
			PerHostParallel: 2,
			Retries:         2,
		},
	}
}

// UserFile is the user's config file under the XDG config directory.
func UserFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "research", "config.yaml")
}

// Load reads path over the defaults and validates the result. With path "",
// the user's config file is read when it exists, else the defaults are
// returned. A run that layers environment and flags on top uses Build, which
// validates once, after every layer.
func Load(path string) (*Config, error) {
	cfg, err := read(path)
	if err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

// Build layers the configuration: built-in defaults < the file at path (""
// means the user's file, when it exists) < the environment < override (the
// command's flags), and validates once, at the end, so that a value a later
// layer replaces is never judged. env nil means the process environment.
func Build(path string, env Env, override func(*Config) error) (*Config, error) {
	cfg, err := read(path)
	if err != nil {
		return nil, err
	}
	if err := cfg.applyEnv(env); err != nil {
		return nil, err
	}
	if override != nil {
		if err := override(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, cfg.Validate()
}

// read is the defaults with the file over them, not yet validated.
func read(path string) (*Config, error) {
	cfg := Default()
	explicit := path != ""
	if !explicit {
		path = UserFile()
		if path == "" {
			return cfg, nil
		}
	}
	data, err := readBounded(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return cfg, nil
		}
		return nil, invalid(fmt.Errorf("read config: %w", err))
	}
	if err := cfg.decode(path, data); err != nil {
		return nil, err
	}
	cfg.Path = path
	return cfg, nil
}

// MaxFileBytes bounds a config file: anything larger is not a config.
const MaxFileBytes = 4 << 20

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s is too large (more than %d MiB): a config file is a few KB", path, MaxFileBytes>>20)
	}
	return data, nil
}

// Parse reads a config from YAML bytes over the defaults and validates it;
// name is used in errors.
func Parse(name string, data []byte) (*Config, error) {
	cfg := Default()
	if err := cfg.decode(name, data); err != nil {
		return nil, err
	}
	cfg.Path = name
	return cfg, cfg.Validate()
}

func (c *Config) decode(name string, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	fail := func(ps ...Problem) error { return &ValidationError{File: name, Problems: ps} }
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // only comments
			return nil
		}
		return fail(yamlProblem(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = extra.Line
		}
		return fail(Problem{Line: line, Msg: "a second YAML document (after ---): a config file holds exactly one"})
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fail(Problem{Line: root.Line, Msg: "the top level must be a mapping of settings (sources:, limits:, …)"})
	}
	// Unknown fields, numbers where a duration needs a unit, text where a
	// number goes: all found at once, each with its line, before decoding.
	w := &checker{}
	w.walk(root, reflect.TypeOf(*c), "")
	if len(w.problems) > 0 {
		return fail(w.problems...)
	}
	// A file that lists sources replaces the default list rather than adding to it.
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sources" {
			c.Sources = nil
		}
	}
	// Decode strictly too, for what the walk does not descend into.
	normalised, err := yaml.Marshal(&doc)
	if err != nil {
		return fail(yamlProblem(err))
	}
	strict := yaml.NewDecoder(bytes.NewReader(normalised))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil {
		return fail(yamlProblem(err))
	}
	c.lines = map[string]int{}
	recordLines(&doc, "", c.lines)
	return nil
}

// recordLines walks a YAML tree and notes the line of every key and item.
func recordLines(n *yaml.Node, path string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			recordLines(c, path, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			out[p] = n.Content[i].Line
			recordLines(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			out[p] = c.Line
			recordLines(c, p, out)
		}
	}
}

// lineOf is the line of field in the file, or of its nearest parent that is
// there; 0 when the field came from the defaults.
func (c *Config) lineOf(field string) int {
	for f := field; f != ""; {
		if l, ok := c.lines[f]; ok {
			return l
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

// Problem is one thing wrong with a config, phrased for a person.
type Problem struct {
	Field string
	Msg   string
	// Line is where the field is in the file, 0 when it is not there.
	Line int
}

// ValidationError lists every problem of a config at once.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	where := e.File
	if where == "" {
		where = "built-in defaults"
	}
	fmt.Fprintf(&b, "config %s:", where)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		if p.Line > 0 {
			fmt.Fprintf(&b, "line %d: ", p.Line)
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

// Is makes every validation error an ErrConfig.
func (e *ValidationError) Is(target error) bool { return target == ErrConfig }

// ErrConfig marks every error about the configuration, whichever layer it
// came from (file, environment, flags): the user's to fix, not a failed run.
var ErrConfig = errors.New("invalid configuration")

// configError marks a wrapped error as an ErrConfig without changing its text.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == ErrConfig }

func invalid(err error) error { return configError{err} }

// Validate checks the config and reports every problem with the field it concerns.
func (c *Config) Validate() error {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...), Line: c.lineOf(field)})
	}
	if len(c.Sources) == 0 {
		add("sources", "no sources configured: list at least one (see research sources list for the defaults)")
	}
	names := map[string]int{}
	for i, s := range c.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		if s.Name == "" {
			add(f+".name", "is required")
		} else if j, dup := names[s.Name]; dup {
			add(f+".name", "%q is already used by sources[%d]", s.Name, j)
		} else {
			names[s.Name] = i
		}
		if !slices.Contains(models.Kinds, s.Kind) {
			add(f+".kind", "%q is not one of hackernews, wikipedia, arxiv, feed", s.Kind)
		}
		if s.URL == "" {
			if s.Kind == models.KindFeed {
				add(f+".url", "is required for a feed")
			}
		} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(f+".url", "%q is not an http(s) URL", s.URL)
		}
		if s.Timeout < 0 {
			add(f+".timeout", "must not be negative")
		}
		if s.MaxResults < 0 {
			add(f+".max_results", "must not be negative")
		} else if most := models.MaxResultsLimit[s.Kind]; most > 0 && s.MaxResults > most {
			add(f+".max_results", "%d is more than a %s source allows (at most %d)", s.MaxResults, s.Kind, most)
		}
	}
	for _, k := range []struct {
		name string
		d    time.Duration
	}{{"hackernews", c.Limits.KindTimeouts.HackerNews}, {"wikipedia", c.Limits.KindTimeouts.Wikipedia},
		{"arxiv", c.Limits.KindTimeouts.Arxiv}, {"feed", c.Limits.KindTimeouts.Feed}} {
		if k.d < 0 {
			add("limits.kind_timeouts."+k.name, "must not be negative")
		}
	}
	if strings.ContainsFunc(c.HTTP.Contact, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '(' || r == ')' }) {
		add("http.contact", "must be an e-mail address or URL without control characters or parentheses")
	}
	if c.Limits.FetchTimeout <= 0 {
		add("limits.fetch_timeout", "must be positive (for example 30s)")
	}
	if c.Limits.SourceTimeout <= 0 {
		add("limits.source_timeout", "must be positive (for example 10s)")
	}
	if c.Limits.Parallel < 1 || c.Limits.Parallel > 1024 {
		add("limits.parallel", "must be between 1 and 1024")
	}
	if c.Limits.MaxResults < 1 || c.Limits.MaxResults > 1000 {
		add("limits.max_results", "must be between 1 and 1000")
	}
	if c.Limits.EnrichPages < 0 || c.Limits.EnrichPages > 1000 {
		add("limits.enrich_pages", "must be between 0 and 1000")
	}
	if c.Limits.PageTimeout <= 0 {
		add("limits.page_timeout", "must be positive")
	}
	if c.Analyzer.Timeout <= 0 {
		add("analyzer.timeout", "must be positive (for example 15s)")
	}
	if c.Analyzer.MemoryLimitMB < 64 || c.Analyzer.MemoryLimitMB > 1<<20 {
		add("analyzer.memory_limit_mb", "must be between 64 and 1048576 (1 TiB)")
	}
	if c.Analyzer.MaxKeywords < 0 || c.Analyzer.MaxKeywords > models.MaxOption {
		add("analyzer.max_keywords", "must be between 0 and %d", models.MaxOption)
	}
	if c.Analyzer.MaxSummary < 0 || c.Analyzer.MaxSummary > models.MaxOption {
		add("analyzer.max_summary_sentences", "must be between 0 and %d", models.MaxOption)
	}
	if strings.IndexFunc(c.HTTP.UserAgent, unicode.IsControl) >= 0 {
		add("http.user_agent", "must not contain control characters (a newline would inject a header)")
	}
	if c.HTTP.MaxBodyMB < 1 || c.HTTP.MaxBodyMB > 4096 {
		add("http.max_body_mb", "must be between 1 and 4096")
	}
	if c.HTTP.PerHostParallel < 1 || c.HTTP.PerHostParallel > 64 {
		add("http.per_host_parallel", "must be between 1 and 64")
	}
	if c.HTTP.PerHostInterval < 0 {
		add("http.per_host_interval", "must not be negative")
	}
	if c.HTTP.Retries < 0 || c.HTTP.Retries > 10 {
		add("http.retries", "must be between 0 and 10")
	}
	if c.Digest.MaxItems < 1 || c.Digest.MaxItems > 1000 {
		add("digest.max_items", "must be between 1 and 1000")
	}
	for i, t := range c.Digest.Topics {
		if strings.TrimSpace(t) == "" {
			add(fmt.Sprintf("digest.topics[%d]", i), "is empty")
		}
	}
	if c.Digest.Schedule != "" {
		if _, err := schedule.Parse(c.Digest.Schedule); err != nil {
			add("digest.schedule", "%v", err)
		}
	}
	groupNames := map[string]bool{}
	for i, g := range c.Digest.Groups {
		f := fmt.Sprintf("digest.groups[%d]", i)
		name := strings.TrimSpace(g.Name)
		switch {
		case name == "":
			add(f+".name", "is empty")
		case name == DefaultDigest || groupNames[name]:
			add(f+".name", "%q is used twice (%q is the name of the digest of digest.topics)", name, DefaultDigest)
		}
		groupNames[name] = true
		if len(g.Topics) == 0 {
			add(f+".topics", "is empty")
		}
		for j, t := range g.Topics {
			if strings.TrimSpace(t) == "" {
				add(fmt.Sprintf("%s.topics[%d]", f, j), "is empty")
			}
		}
		if _, err := schedule.Parse(g.Schedule); err != nil {
			add(f+".schedule", "%v", err)
		}
	}
	validateTargets(c.Digest.Targets, add)
	ps = append(ps, c.answerProblems()...)
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{File: c.Path, Problems: ps}
}

// Env is the environment read by ApplyEnv; tests pass their own.
type Env func(key string) (string, bool)

// ApplyEnv overrides settings from RESEARCH_* environment variables and
// validates the result. Build applies the environment without validating in
// between.
func (c *Config) ApplyEnv(env Env) error {
	if err := c.applyEnv(env); err != nil {
		return err
	}
	return c.Validate()
}

func (c *Config) applyEnv(env Env) error {
	if env == nil {
		env = os.LookupEnv
	}
	durations := []struct {
		key string
		dst *time.Duration
	}{
		{"RESEARCH_TIMEOUT", &c.Limits.FetchTimeout},
		{"RESEARCH_SOURCE_TIMEOUT", &c.Limits.SourceTimeout},
		{"RESEARCH_ANALYSIS_TIMEOUT", &c.Analyzer.Timeout},
	}
	for _, d := range durations {
		if v, ok := env(d.key); ok && v != "" {
			t, err := ParseDuration(v)
			if err != nil {
				return invalid(fmt.Errorf("environment %s: %w", d.key, err))
			}
			*d.dst = t
		}
	}
	if v, ok := env("RESEARCH_ANALYZER"); ok && v != "" {
		c.Analyzer.Path = v
	}
	if v, ok := env("RESEARCH_CACHE"); ok && v != "" {
		c.HTTP.Cache = v
	}
	if v, ok := env("RESEARCH_ENRICH_PAGES"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalid(fmt.Errorf("environment RESEARCH_ENRICH_PAGES=%q: not a whole number", v))
		}
		c.Limits.EnrichPages = n
	}
	return nil
}

// SourceTimeout is the deadline that applies to s.
// The source's own timeout wins, then its kind's (limits.kind_timeouts), then
// limits.source_timeout.
func (c *Config) SourceTimeout(s models.Source) time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	if d := c.Limits.KindTimeouts.of(s.Kind); d > 0 {
		return d
	}
	return c.Limits.SourceTimeout
}

// ResolvedSources are the sources with each one's deadline made explicit
// (SourceTimeout), as the orchestrator is given them.
func (c *Config) ResolvedSources() []models.Source {
	out := make([]models.Source, len(c.Sources))
	for i, s := range c.Sources {
		s.Timeout = c.SourceTimeout(s)
		out[i] = s
	}
	return out
}

// Marshal renders the config as YAML, for `research config show` and for saving.
func (c *Config) Marshal() ([]byte, error) {
	return yaml.Marshal(c)
}

// isLoopbackHost reports localhost or a loopback IP.
func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// validateTargets checks the digest's delivery targets, each for its kind.
func validateTargets(ts []DigestTarget, add func(field, format string, args ...any)) {
	names := map[string]int{}
	for i, t := range ts {
		f := fmt.Sprintf("digest.targets[%d]", i)
		switch {
		case t.Name == "":
			add(f+".name", "is required")
		case t.Name == "stdout":
			add(f+".name", `"stdout" is the built-in target used when none is configured`)
		default:
			if j, dup := names[t.Name]; dup {
				add(f+".name", "%q is already used by digest.targets[%d]", t.Name, j)
			}
			names[t.Name] = i
		}
		if t.Timeout < 0 {
			add(f+".timeout", "must not be negative")
		}
		if t.Password != "" {
			add(f+".password", "a password is never stored in the config: name an environment variable (password_env) or a file (password_file)")
		}
		switch t.Kind {
		case TargetEmail:
			if t.Host == "" {
				add(f+".host", "is required for an email target (the SMTP server)")
			}
			if t.Port < 0 || t.Port > 65535 {
				add(f+".port", "must be between 1 and 65535")
			}
			if t.Security != "" && t.Security != "starttls" && t.Security != "tls" && t.Security != "none" {
				add(f+".security", "%q is not starttls, tls or none", t.Security)
			}
			if t.Security == "none" && !isLoopbackHost(t.Host) {
				add(f+".security", "none (plain SMTP) is only for a mail server on this machine (localhost), not %q", t.Host)
			}
			if t.Security == "none" && t.Username != "" {
				add(f+".username", "no password is sent over plain SMTP: use starttls or tls to authenticate")
			}
			if t.Auth != "" && t.Auth != "plain" && t.Auth != "login" && t.Auth != "none" {
				add(f+".auth", "%q is not plain, login or none", t.Auth)
			}
			if (t.Auth == "plain" || t.Auth == "login") && t.Username == "" {
				add(f+".username", "is required with auth %s", t.Auth)
			}
			if t.PasswordEnv != "" && t.PasswordFile != "" {
				add(f+".password_file", "give password_env or password_file, not both")
			}
			if t.Username != "" && t.Auth != "none" && t.PasswordEnv == "" && t.PasswordFile == "" {
				add(f+".password_env", "a username needs a password: name its environment variable (password_env) or file (password_file)")
			}
			if !strings.Contains(t.From, "@") {
				add(f+".from", "must be an address such as research@example.org")
			}
			if len(t.To) == 0 {
				add(f+".to", "list at least one recipient")
			}
			for j, to := range t.To {
				if !strings.Contains(to, "@") {
					add(fmt.Sprintf("%s.to[%d]", f, j), "%q is not an address", to)
				}
			}
		case TargetWebhook:
			if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(f+".url", "%q is not an http(s) URL", t.URL)
			}
			if t.Payload != "" && t.Payload != "json" && t.Payload != "slack" {
				add(f+".payload", "%q is not json or slack", t.Payload)
			}
		case TargetFile:
			if strings.TrimSpace(t.Dir) == "" {
				add(f+".dir", "is required for a file target")
			}
			if !slices.Contains([]string{"", "markdown", "html", "text", "json"}, t.Format) {
				add(f+".format", "%q is not markdown, html, text or json", t.Format)
			}
		default:
			add(f+".kind", "%q is not one of email, webhook, file", t.Kind)
		}
	}
}
