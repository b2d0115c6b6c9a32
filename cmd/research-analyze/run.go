package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/research-cli/research/analysis"
	"github.com/research-cli/research/models"
	"golang.org/x/sys/unix"
)

// Exit statuses, per the contract.
const (
	exitOK       = 0
	exitInternal = 1
	exitInvalid  = 2
)

// maxRequestBytes bounds the request read from stdin: 1 GiB, about 180,000
// articles of 5 KB (100,000 such articles are 550 MB).
const maxRequestBytes = 1 << 30

// memoryLimitEnv names the environment variable with a memory limit in bytes.
const memoryLimitEnv = "RESEARCH_ANALYZE_MEMORY_LIMIT"

// addressSpace is the RLIMIT_AS applied for a memory limit. The Go runtime
// reserves far more address space than it uses (measured: a 10,000-article
// run fails with RLIMIT_AS 1.3 GB while 90 MB are in use, and the runtime's
// out-of-memory abort exits with status 2, which callers would read as
// "invalid request"), so the address-space limit is only a backstop against
// runaway growth: twice the limit plus 2 GiB. The soft limit
// (debug.SetMemoryLimit) is what keeps the heap near the limit.
func addressSpace(limit int64) uint64 {
	return 2*uint64(limit) + 2<<30
}

// softLimit is the Go soft memory limit for a limit of n bytes: a tenth
// below it. The runner enforces n as RLIMIT_DATA, which counts every private
// writable mapping — goroutine stacks, runtime metadata, the mapping the
// request is read into — while the soft limit counts only the Go runtime's
// own memory; without the margin the collector starts working hard only when
// the hard limit is already reached (measured: 100,000 articles died at 2.06
// GB under a 2 GiB limit).
func softLimit(n int64) int64 { return n - n/10 }

// applyMemoryLimit sets the Go soft memory limit and an address-space limit
// from the environment variable's value, if set.
func applyMemoryLimit(v string, stderr io.Writer) {
	if v == "" {
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		fmt.Fprintf(stderr, "research-analyze: ignoring %s=%q: want a positive number of bytes\n", memoryLimitEnv, v)
		return
	}
	debug.SetMemoryLimit(softLimit(n))
	lim := addressSpace(n)
	if err := unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: lim, Max: lim}); err != nil {
		fmt.Fprintf(stderr, "research-analyze: address-space limit not applied: %v\n", err)
	}
}

// run is the whole program, minus the process: tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	for _, a := range args {
		switch a {
		case "--version", "-version", "-v":
			fmt.Fprintf(stdout, "research-analyze %s (contract v%d)\n", analysis.Version, models.ContractVersion)
			return exitOK
		case "--help", "-help", "-h":
			fmt.Fprintln(stdout, "usage: research-analyze < request.json > report.json\n"+
				"Reads one analysis request (contract v1) from stdin and writes one report to stdout.\n"+
				"Exit status: 0 report written, 2 invalid request, 1 internal failure.")
			return exitOK
		default:
			fmt.Fprintf(stderr, "research-analyze: unknown argument %q (the request is read from stdin)\n", a)
			return exitInvalid
		}
	}
	defer func() {
		if r := recover(); r != nil {
			reportPanic(stderr, r, debug.Stack())
			code = exitInternal
		}
	}()

	data, release, err := readRequest(stdin, maxRequestBytes)
	if errors.Is(err, errTooLarge) {
		fmt.Fprintf(stderr, "research-analyze: invalid request: larger than %d bytes\n", maxRequestBytes)
		return exitInvalid
	}
	if err != nil {
		fmt.Fprintf(stderr, "research-analyze: read request: %v\n", err)
		return exitInternal
	}
	req, err := decodeRequest(data)
	// Nothing refers to the raw request once it is decoded (every string was
	// copied out of it); its memory goes back before the analysis grows.
	data = nil
	release()
	if err != nil {
		fmt.Fprintf(stderr, "research-analyze: %v\n", err)
		return exitInvalid
	}
	rep := analyze(req)

	out, err := json.Marshal(rep)
	if err != nil {
		fmt.Fprintf(stderr, "research-analyze: encode report: %v\n", err)
		return exitInternal
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	w.Write(out)
	w.WriteByte('\n')
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "research-analyze: write report: %v\n", err)
		return exitInternal
	}
	return exitOK
}

// analyze is analysis.Analyze; tests replace it to inject a failure.
var analyze = analysis.Analyze

// reportPanic writes an internal failure to stderr: the stack first (the
// failing worker's, when a worker goroutine panicked) and the one-line
// message last, because the parent shows the last line of stderr.
func reportPanic(stderr io.Writer, r any, stack []byte) {
	if wp, ok := r.(*analysis.WorkerPanic); ok {
		stack = wp.Stack
	}
	msg := strings.Join(strings.Fields(fmt.Sprint(r)), " ")
	if err, ok := r.(error); ok {
		msg = strings.Join(strings.Fields(err.Error()), " ")
	}
	fmt.Fprintf(stderr, "%s\nresearch-analyze: internal error: %s\n", bytes.TrimRight(stack, "\n"), clipTo(msg, 400))
}

// decodeRequest parses and validates a request. Its errors say what is
// wrong and where (byte offset, line and column for JSON errors). The
// common form is decoded in parallel (decodeFast); everything else, and
// every invalid request, by one json.Unmarshal of the whole document.
func decodeRequest(data []byte) (*models.AnalysisRequest, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty input, want one JSON request", models.ErrInvalidRequest)
	}
	if wire, pub, pubErrs, ok := decodeFast(data); ok {
		return assembleRequest(&wire, pub, pubErrs)
	}
	return decodeWhole(data)
}

// decodeWhole is decodeRequest with one json.Unmarshal of the whole document:
// the reference behaviour, and the source of every JSON error message.
func decodeWhole(data []byte) (*models.AnalysisRequest, error) {
	var wire wireRequest
	if err := json.Unmarshal(data, &wire); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := lineCol(data, syn.Offset)
			return nil, fmt.Errorf("%w: bad JSON at byte %d (line %d, column %d): %v", models.ErrInvalidRequest, syn.Offset, line, col, err)
		case errors.As(err, &typ):
			line, col := lineCol(data, typ.Offset)
			field := jsonPath(typ.Field)
			if field == "" {
				field = "(document)"
			}
			return nil, fmt.Errorf("%w: field %s at byte %d (line %d, column %d): JSON %s where %s is expected",
				models.ErrInvalidRequest, field, typ.Offset, line, col, typ.Value, typ.Type)
		default:
			return nil, fmt.Errorf("%w: bad JSON: %v", models.ErrInvalidRequest, err)
		}
	}
	pub := make([]time.Time, len(wire.Articles))
	pubErrs := make([]error, len(wire.Articles))
	for i := range wire.Articles {
		pub[i], pubErrs[i] = parsePublished(wire.Articles[i].Published)
	}
	return assembleRequest(&wire, pub, pubErrs)
}

// publishedError is the error for article i's unparseable date.
func publishedError(i int, id string, err error) error {
	return fmt.Errorf("%w: articles[%d] (id %q): published: %v", models.ErrInvalidRequest, i, id, err)
}

// wireRequest is the request as it arrives: articles' published dates are
// decoded by parsePublished, which is more lenient than time.Time's RFC 3339.
type wireRequest struct {
	models.AnalysisRequest
	Articles []wireArticle `json:"articles"`
}

// wireArticle shadows models.Article's published field (the outer field
// wins in encoding/json) so that its raw value can be parsed leniently.
type wireArticle struct {
	models.Article
	Published json.RawMessage `json:"published"`
}

// publishedLayouts are the forms of a date the contract accepts: RFC 3339
// and its common variants (a space for the T, no seconds, no zone, a zone
// without a colon), and a bare date. A value without a zone is UTC.
var publishedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parsePublished parses an article's published value: absent, null and ""
// are the zero time (no date); a string in one of publishedLayouts is the
// time; anything else is an error that quotes the value.
func parsePublished(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("JSON %s where a date string is expected", clipValue(string(raw)))
	}
	s = strings.ToUpper(strings.TrimSpace(s)) // RFC 3339 allows "t" and "z"
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range publishedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want RFC 3339, e.g. 2026-11-20T10:00:00Z, or 2026-11-20)", clipValue(s))
}

// clipValue shortens a quoted value for an error message.
func clipValue(s string) string { return clipTo(s, 64) }

// clipTo shortens s to at most most bytes plus an ellipsis, at a rune start.
func clipTo(s string, most int) string {
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// jsonPath drops the embedded Go type names (AnalysisRequest, Article) that
// encoding/json puts in a field path of the wire structs: every contract
// field name is lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
