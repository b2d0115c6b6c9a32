package fetch

import (
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

	initial := int64(32 << 10)
	if contentLength > 0 && contentLength <= limit && dec == io.Reader(sent) {
		initial = contentLength + 1 // +1 so the EOF read needs no growth
	}
	body, err := readCapped(decoded, initial, limit)
	if err != nil {
		if errors.Is(err, errTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) || dec == io.Reader(sent) {
			return nil, err
		}
		return nil, fmt.Errorf("decoding %s body: %w", contentEncoding, err)
	}
	return body, nil
}

// readCapped reads r to EOF into a buffer that doubles from initial but never
// beyond limit+1 bytes (r, a capReader, fails before it needs more). Unlike
// bytes.Buffer or io.ReadAll, whose doubling can reserve twice the cap, the
// peak is about 1.5 times the body.
func readCapped(r io.Reader, initial, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(initial, limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit { // unreachable behind a capReader; never loop on a full buffer
				return nil, errTooLarge
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf))+512, limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
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

// ErrorBodyBytes bounds the part of an HTTP error response's body the client
// keeps (Error.Body): enough for a service's error message, never a page.
const ErrorBodyBytes = 4 << 10

// errorBody reads at most ErrorBodyBytes of an error response's body, decoded,
// reading at most 64 KiB from the wire; whatever cannot be read or decoded is
// simply not kept.
func errorBody(wire io.Reader, contentEncoding string) []byte {
	sent := io.LimitReader(wire, 64<<10)
	var dec io.Reader
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
		dec = sent
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(sent)
		if err != nil {
			return nil
		}
		defer gz.Close()
		dec = gz
	case "br":
		dec = brotli.NewReader(sent)
	default:
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(dec, ErrorBodyBytes))
	if len(b) == 0 {
		return nil
	}
	return b
}
