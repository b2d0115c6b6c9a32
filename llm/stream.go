package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors of a stream that is not what its API documents. Each wraps
// ErrBadStream, so that callers branch on one sentinel.
var (
	// ErrBadStream marks a response that breaks the API's streaming format.
	ErrBadStream = errors.New("malformed stream")
	// ErrLineTooLong is a line longer than the parser accepts.
	ErrLineTooLong = fmt.Errorf("%w: a line is longer than the limit", ErrBadStream)
	// ErrMidLine is a stream that ended in the middle of a line.
	ErrMidLine = fmt.Errorf("%w: the stream broke off in the middle of a line", ErrBadStream)
	// ErrUnfinished is a stream that ended cleanly but before the answer was done.
	ErrUnfinished = fmt.Errorf("%w: the stream ended before the answer was done", ErrBadStream)
)

// ServerError is an error the model server reported inside a stream.
type ServerError struct{ Msg string }

func (e *ServerError) Error() string { return "the model server said: " + e.Msg }

// DefaultMaxLine bounds one line of a stream: a token's JSON is a few hundred bytes.
const DefaultMaxLine = 256 << 10

// lineReader reads lines of at most max bytes.
type lineReader struct {
	br  *bufio.Reader
	max int
}

func newLineReader(r io.Reader, max int) *lineReader {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &lineReader{br: bufio.NewReaderSize(r, min(max, 64<<10)), max: max}
}

// next returns the next line without its line ending (LF or CR LF). At a
// clean end of stream it returns io.EOF. When the stream ends after part of
// a line, it returns that part with ErrMidLine: a parser may still accept a
// last line that is whole but for its newline. Any other read error is
// returned as it is.
func (l *lineReader) next() ([]byte, error) {
	var line []byte
	for {
		frag, err := l.br.ReadSlice('\n')
		if len(line)+len(frag) > l.max+2 { // +2: the line ending
			return nil, ErrLineTooLong
		}
		switch {
		case err == nil:
			line = append(line, frag...)
			line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			line = append(line, frag...)
			continue
		case errors.Is(err, io.EOF):
			if len(line)+len(frag) == 0 {
				return nil, io.EOF
			}
			return bytes.TrimSuffix(append(line, frag...), []byte("\r")), ErrMidLine
		default:
			return nil, err
		}
	}
}

// ParseNDJSON reads Ollama's /api/chat stream: one JSON object a line, each
// carrying the next piece of the answer in message.content, the last one with
// "done": true. Every piece goes to emit as it arrives; an error from emit
// stops the parse and is returned. It returns the model's name as the server
// reported it. A line {"error": "…"} is a *ServerError.
func ParseNDJSON(r io.Reader, maxLine int, emit func(string) error) (model string, err error) {
	lr := newLineReader(r, maxLine)
	for n := 1; ; n++ {
		line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return model, ErrUnfinished
		}
		last := errors.Is(err, ErrMidLine)
		if err != nil && !last {
			return model, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if last {
				return model, ErrMidLine
			}
			continue
		}
		var chunk struct {
			Model   string `json:"model"`
			Message *struct {
				Content string `json:"content"`
			} `json:"message"`
			Done  bool            `json:"done"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(line, &chunk); err != nil {
			if last {
				return model, ErrMidLine
			}
			return model, fmt.Errorf("%w: line %d is not JSON: %s", ErrBadStream, n, jsonProblem(err))
		}
		if msg := errorText(chunk.Error); msg != "" {
			return model, &ServerError{Msg: msg}
		}
		if chunk.Model != "" {
			model = chunk.Model
		}
		if chunk.Message != nil && chunk.Message.Content != "" {
			if err := emit(chunk.Message.Content); err != nil {
				return model, err
			}
		}
		if chunk.Done {
			return model, nil
		}
		if last {
			return model, ErrMidLine
		}
	}
}

// ParseSSE reads an OpenAI-compatible chat completions stream: server-sent
// events whose data is a chat.completion.chunk object carrying the next piece
// of the answer in choices[0].delta.content, ended by "data: [DONE]". Comment
// lines and the event, id and retry fields are ignored, an event's several
// data lines are joined with newlines (as the SSE standard says). A stream
// that ends cleanly after a chunk with a finish_reason is accepted without
// [DONE], since some compatible servers omit it.
func ParseSSE(r io.Reader, maxLine int, emit func(string) error) (model string, err error) {
	lr := newLineReader(r, maxLine)
	var data []string
	finished := false
	dispatch := func(n int) (bool, error) {
		if len(data) == 0 {
			return false, nil
		}
		payload := strings.Join(data, "\n")
		data = data[:0]
		if strings.TrimSpace(payload) == "[DONE]" {
			return true, nil
		}
		var chunk struct {
			Model   string `json:"model"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal([]byte(payload), &chunk); err != nil {
			return false, fmt.Errorf("%w: the event ending on line %d is not JSON: %s", ErrBadStream, n, jsonProblem(err))
		}
		if msg := errorText(chunk.Error); msg != "" {
			return false, &ServerError{Msg: msg}
		}
		if chunk.Model != "" {
			model = chunk.Model
		}
		for i, c := range chunk.Choices {
			if i > 0 { // one answer was asked for; ignore any other choice
				break
			}
			if c.Delta.Content != "" {
				if err := emit(c.Delta.Content); err != nil {
					return false, err
				}
			}
			if c.FinishReason != nil && *c.FinishReason != "" {
				finished = true
			}
		}
		return false, nil
	}
	for n := 1; ; n++ {
		line, err := lr.next()
		if errors.Is(err, ErrMidLine) {
			// A last line whole but for its newline: only "data: [DONE]" is
			// taken; anything else was cut off.
			if strings.TrimSpace(strings.TrimPrefix(string(line), "data:")) != "[DONE]" {
				return model, ErrMidLine
			}
			return model, nil
		}
		if errors.Is(err, io.EOF) {
			// A last event without its blank line still counts.
			if done, derr := dispatch(n); derr != nil || done {
				return model, derr
			}
			if finished {
				return model, nil
			}
			return model, ErrUnfinished
		}
		if err != nil {
			return model, err
		}
		if len(line) == 0 {
			done, err := dispatch(n)
			if err != nil || done {
				return model, err
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		if string(field) == "data" {
			data = append(data, string(value))
		}
	}
}

// errorText reads an "error" member: a string (Ollama) or an object with a
// message (OpenAI). Empty when there is none.
func errorText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return oneLine(s, 300)
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != "" {
		return oneLine(o.Message, 300)
	}
	return oneLine(string(raw), 300)
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}
