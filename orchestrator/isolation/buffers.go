package isolation

import "errors"

// errOutputTooLarge stops exec's stdout copy as soon as the cap is reached, so
// the parent never holds more than MaxOutput bytes of a runaway child's output.
var errOutputTooLarge = errors.New("analyzer output exceeds the limit")

// cappedBuffer keeps at most max bytes; the write that crosses the cap calls
// onOverflow (which kills the child's group) and fails, which makes exec stop
// reading and close the pipe.
type cappedBuffer struct {
	buf        []byte
	max        int64
	over       bool
	onOverflow func()
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.over {
		return 0, errOutputTooLarge
	}
	room := c.max - int64(len(c.buf))
	if int64(len(p)) > room {
		c.buf = append(c.buf, p[:room]...)
		c.over = true
		if c.onOverflow != nil {
			c.onOverflow()
		}
		return int(room), errOutputTooLarge
	}
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
