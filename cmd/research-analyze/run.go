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

// maxRequestBytes bounds the request read from stdin.
const maxRequestBytes = 512 << 20

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
	debug.SetMemoryLimit(n)
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
			fmt.Fprintf(stderr, "research-analyze: internal error: %v\n%s", r, debug.Stack())
			code = exitInternal
		}
	}()

	data, err := io.ReadAll(io.LimitReader(stdin, maxRequestBytes+1))
	if err != nil {
		fmt.Fprintf(stderr, "research-analyze: read request: %v\n", err)
		return exitInternal
	}
	if len(data) > maxRequestBytes {
		fmt.Fprintf(stderr, "research-analyze: invalid request: larger than %d bytes\n", maxRequestBytes)
		return exitInvalid
	}
	req, err := decodeRequest(data)
	if err != nil {
		fmt.Fprintf(stderr, "research-analyze: %v\n", err)
		return exitInvalid
	}
	rep := analysis.Analyze(req)

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

// decodeRequest parses and validates a request. Its errors say what is
// wrong and where (byte offset, line and column for JSON errors).
func decodeRequest(data []byte) (*models.AnalysisRequest, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty input, want one JSON request", models.ErrInvalidRequest)
	}
	var req models.AnalysisRequest
	if err := json.Unmarshal(data, &req); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := lineCol(data, syn.Offset)
			return nil, fmt.Errorf("%w: bad JSON at byte %d (line %d, column %d): %v", models.ErrInvalidRequest, syn.Offset, line, col, err)
		case errors.As(err, &typ):
			line, col := lineCol(data, typ.Offset)
			field := typ.Field
			if field == "" {
				field = "(document)"
			}
			return nil, fmt.Errorf("%w: field %s at byte %d (line %d, column %d): JSON %s where %s is expected",
				models.ErrInvalidRequest, field, typ.Offset, line, col, typ.Value, typ.Type)
		default:
			return nil, fmt.Errorf("%w: bad JSON: %v", models.ErrInvalidRequest, err)
		}
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return &req, nil
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
