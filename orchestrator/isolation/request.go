package isolation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/research-cli/research/models"
)

// encodeError is a request that could not be encoded (not an I/O error).
type encodeError struct{ err error }

func (e *encodeError) Error() string { return e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// writeRequest writes req to w as one JSON document, an article at a time,
// so that the request is never held in memory whole: the same object
// json.Marshal(req) describes (field order and all), except that a nil
// articles list is written as [] (the contract's list is never null).
// Errors from w are returned as they are; an article or option that cannot
// be encoded is an *encodeError.
func writeRequest(w io.Writer, req *models.AnalysisRequest) error {
	var scratch [32]byte
	if _, err := io.WriteString(w, `{"version":`); err != nil {
		return err
	}
	if _, err := w.Write(strconv.AppendInt(scratch[:0], int64(req.Version), 10)); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"query":`); err != nil {
		return err
	}
	if err := writeJSON(w, req.Query); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"articles":[`); err != nil {
		return err
	}
	for i := range req.Articles {
		if i > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		if err := writeJSON(w, &req.Articles[i]); err != nil {
			var enc *encodeError
			if errors.As(err, &enc) {
				return &encodeError{fmt.Errorf("articles[%d] (id %q): %w", i, req.Articles[i].ID, enc.err)}
			}
			return err
		}
	}
	if _, err := io.WriteString(w, "]"); err != nil {
		return err
	}
	if req.Options != nil {
		if _, err := io.WriteString(w, `,"options":`); err != nil {
			return err
		}
		if err := writeJSON(w, req.Options); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "}")
	return err
}

// writeJSON writes v's JSON encoding (as json.Marshal, HTML-escaped) to w.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &encodeError{err}
	}
	_, err = w.Write(b)
	return err
}
