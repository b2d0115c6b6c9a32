package isolation

import (
	"errors"
	"sync"
)

// errOutputTooLarge stops exec's stdout copy as soon as the cap is reached, so
// the parent never holds more than the cap of a runaway child's output.
var errOutputTooLarge = errors.New("analyzer output exceeds the limit")

// cappedBuffer keeps at most max bytes; the write that crosses the cap calls
// onOverflow (which kills the child's group) and fails, which makes exec stop
// reading and close the pipe. Its storage grows by doubling but never past
// max, so it never holds more than max bytes of capacity (append alone would
// round a 200 MiB buffer up to 256 MiB and more).
type cappedBuffer struct {
	mu         sync.Mutex // Write (exec's copying goroutine) against setMax and the final read
	buf        []byte
	max        int64
	over       bool
	onOverflow func()
}

// initialOutputBuffer is the first allocation for a child's stdout: a typical
// report fits, and a larger one doubles from here.
const initialOutputBuffer = 64 << 10

func newCappedBuffer(max int64, onOverflow func()) *cappedBuffer {
	return &cappedBuffer{buf: make([]byte, 0, min(max, initialOutputBuffer)), max: max, onOverflow: onOverflow}
}

// reserve makes room for n more bytes (n ≤ max-len), growing to at most max.
func (c *cappedBuffer) reserve(n int) {
	need := len(c.buf) + n
	if need <= cap(c.buf) {
		return
	}
	grown := int64(max(2*cap(c.buf), need, initialOutputBuffer))
	grown = min(grown, c.max)
	b := make([]byte, len(c.buf), grown)
	copy(b, c.buf)
	c.buf = b
}

// setMax changes the cap (a started child's cap is set when its request is
// known). Bytes already kept beyond a lower cap stay; the next write fails.
func (c *cappedBuffer) setMax(max int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = max
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over {
		return 0, errOutputTooLarge
	}
	room := max(c.max-int64(len(c.buf)), 0)
	if int64(len(p)) > room {
		c.reserve(int(room))
		c.buf = append(c.buf, p[:room]...)
		c.over = true
		if c.onOverflow != nil {
			c.onOverflow()
		}
		return int(room), errOutputTooLarge
	}
	c.reserve(len(p))
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// tailBuffer keeps the last n bytes written to it, in amortised O(1) per byte
// and at most 2n bytes of memory, however much is written.
type tailBuffer struct {
	buf   []byte
	n     int
	total int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.total += int64(len(p))
	if t.n <= 0 {
		return len(p), nil
	}
	if len(p) >= t.n {
		t.buf = append(t.buf[:0], p[len(p)-t.n:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.n {
		k := copy(t.buf, t.buf[len(t.buf)-t.n:])
		t.buf = t.buf[:k]
	}
	return len(p), nil
}

// Bytes returns the kept tail (at most n bytes).
func (t *tailBuffer) Bytes() []byte {
	if len(t.buf) > t.n {
		return t.buf[len(t.buf)-t.n:]
	}
	return t.buf
}
