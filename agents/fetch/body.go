package fetch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// errDecodedTooLarge is a compressed body that inflates past the cap (a gzip bomb).
var errDecodedTooLarge = fmt.Errorf("after decompression: %w", errTooLarge)

// readBody reads a response body, decoding its Content-Encoding, and never
// holds more than limit bytes: neither the bytes as sent nor the decoded ones
// may pass limit, so an endless body or a gzip bomb stops at the cap.
func readBody(wire io.Reader, contentEncoding string, contentLength, limit int64) ([]byte, error) {
	sent := &capReader{r: wire, left: limit, err: errTooLarge}
	var dec io.Reader
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "", "identity":
		if contentLength > limit {
			return nil, errTooLarge // declared too large: refuse without reading it
		}
		dec = sent
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(sent)
		if errors.Is(err, io.EOF) {
			return []byte{}, nil // an empty body labelled gzip
		}
		if err != nil {
			return nil, fmt.Errorf("decoding gzip body: %w", err)
		}
		defer gz.Close()
		dec = gz
	case "br":
		dec = brotli.NewReader(sent)
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", contentEncoding)
	}
	decoded := &capReader{r: dec, left: limit, err: errDecodedTooLarge}

	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= limit {
		// Sized once for the common case; a compressed body grows from there.
		buf.Grow(int(contentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(decoded); err != nil {
		if errors.Is(err, errTooLarge) || dec == io.Reader(sent) {
			return nil, err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		return nil, fmt.Errorf("decoding %s body: %w", contentEncoding, err)
	}
	return buf.Bytes(), nil
}

// capReader passes at most left bytes and fails with err as soon as the
// source has more, without reading the rest of it.
type capReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, c.err
	}
	// Ask for one byte more than allowed: getting it proves the body is too large.
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n - 1, c.err
	}
	return n, err
}
