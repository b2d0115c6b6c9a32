package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/research-cli/research/models"
)

// decodeFast decodes a request the way decodeRequest's json.Unmarshal does,
// but with the articles decoded in parallel: the top-level object is split
// into its members, the articles array into its elements, and each element
// is decoded by json.Unmarshal on its own goroutine. It handles only the
// request's common form: an object whose members are exactly "version",
// "query", "articles" and "options", each at most once. Anything else —
// another member, a key in another case or with escapes, a duplicate, any
// syntax or type error — returns ok false, and the caller decodes the whole
// document with json.Unmarshal, so that the result and every error message
// are exactly encoding/json's (FuzzDecodeFastMatchesEncodingJSON checks it).
// The date check is left to the caller, as for the slow path.
func decodeFast(data []byte) (wire wireRequest, pub []time.Time, pubErrs []error, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return wire, nil, nil, false
	}
	i = skipSpace(data, i+1)
	var seen [4]bool
	var elems [][2]int
	hasArticles := false
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return wire, nil, nil, false
			}
			end := skipString(data, i)
			if end < 0 {
				return wire, nil, nil, false
			}
			key := data[i+1 : end-1]
			k := -1
			switch string(key) {
			case "version":
				k = 0
			case "query":
				k = 1
			case "articles":
				k = 2
			case "options":
				k = 3
			}
			if k < 0 || seen[k] {
				return wire, nil, nil, false
			}
			seen[k] = true
			i = skipSpace(data, end)
			if i >= len(data) || data[i] != ':' {
				return wire, nil, nil, false
			}
			i = skipSpace(data, i+1)
			if k == 2 {
				var next int
				elems, next, ok = splitArray(data, i)
				if !ok {
					return wire, nil, nil, false
				}
				hasArticles = elems != nil
				i = next
			} else {
				end := skipValue(data, i)
				if end < 0 {
					return wire, nil, nil, false
				}
				var err error
				switch k {
				case 0:
					err = json.Unmarshal(data[i:end], &wire.Version)
				case 1:
					err = json.Unmarshal(data[i:end], &wire.Query)
				case 3:
					err = json.Unmarshal(data[i:end], &wire.Options)
				}
				if err != nil {
					return wire, nil, nil, false
				}
				i = end
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return wire, nil, nil, false
			}
			if data[i] == '}' {
				i++
				break
			}
			if data[i] != ',' {
				return wire, nil, nil, false
			}
			i = skipSpace(data, i+1)
		}
	}
	if skipSpace(data, i) != len(data) {
		return wire, nil, nil, false
	}
	if !hasArticles {
		// Absent or null: as json.Unmarshal leaves it (nil).
		return wire, nil, nil, true
	}
	wire.Articles = make([]wireArticle, len(elems))
	pub = make([]time.Time, len(elems))
	pubErrs = make([]error, len(elems))
	var bad atomic.Bool
	parallelRange(len(elems), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			e := elems[j]
			if err := json.Unmarshal(data[e[0]:e[1]], &wire.Articles[j]); err != nil {
				bad.Store(true)
				return
			}
			pub[j], pubErrs[j] = parsePublished(wire.Articles[j].Published)
			wire.Articles[j].Published = nil
		}
	})
	if bad.Load() {
		return wire, nil, nil, false
	}
	return wire, pub, pubErrs, true
}

// splitArray splits the JSON array at data[i:] (or a null) into its
// elements' spans; next is the index after it. A null gives nil elements;
// an empty array a non-nil empty list.
func splitArray(data []byte, i int) (elems [][2]int, next int, ok bool) {
	if bytes.HasPrefix(data[i:], []byte("null")) {
		return nil, i + 4, true
	}
	if i >= len(data) || data[i] != '[' {
		return nil, 0, false
	}
	elems = make([][2]int, 0, 64)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return elems, i + 1, true
	}
	for {
		end := skipValue(data, i)
		if end < 0 {
			return nil, 0, false
		}
		elems = append(elems, [2]int{i, end})
		i = skipSpace(data, end)
		if i >= len(data) {
			return nil, 0, false
		}
		switch data[i] {
		case ']':
			return elems, i + 1, true
		case ',':
			i = skipSpace(data, i+1)
		default:
			return nil, 0, false
		}
	}
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string that starts at data[i]
// (a quote), or -1 if it does not end. Escapes are honoured, not checked.
func skipString(data []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		// An odd number of backslashes before the quote escapes it.
		n := 0
		for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index after the JSON value that starts at data[i],
// or -1 when it plainly does not end. It finds the extent only (strings,
// balanced brackets); json.Unmarshal validates what is inside.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			if depth > maxFastDepth {
				return -1 // let encoding/json judge its depth limit
			}
			switch data[i] {
			case '"':
				i = skipString(data, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		start := i
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == start {
					return -1
				}
				return i
			}
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}

// maxFastDepth is a nesting depth beyond which decodeFast gives up, well
// below encoding/json's limit (10000) for the whole document.
const maxFastDepth = 1000

// parallelRange calls fn on contiguous ranges covering [0, n), on up to
// GOMAXPROCS goroutines (ranges are small so a slow one does not hold the rest).
func parallelRange(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/16, 1))
	if workers <= 1 {
		fn(0, n)
		return
	}
	const chunk = 64
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}

// assembleRequest turns a decoded wire request into the request, with the
// dates parsed (pub, pubErrs indexed like the articles) and checked after the
// contract's own checks, as decodeRequest does.
func assembleRequest(wire *wireRequest, pub []time.Time, pubErrs []error) (*models.AnalysisRequest, error) {
	req := wire.AnalysisRequest
	if wire.Articles == nil {
		req.Articles = make([]models.Article, 0)
	} else {
		req.Articles = make([]models.Article, len(wire.Articles))
	}
	var pubErr error
	for i := range wire.Articles {
		a := &wire.Articles[i]
		req.Articles[i] = a.Article
		req.Articles[i].Published = pub[i]
		if pubErrs[i] != nil && pubErr == nil {
			pubErr = publishedError(i, a.ID, pubErrs[i])
		}
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if pubErr != nil {
		return nil, pubErr
	}
	return &req, nil
}
