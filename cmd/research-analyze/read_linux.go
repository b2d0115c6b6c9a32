//go:build linux

package main

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
)

// firstMapping is the size of the first mapping readMapped reads into.
const firstMapping = 1 << 20

// readMapped reads all of r (at most max bytes, else errTooLarge) into an
// anonymous memory mapping outside the Go heap, doubled with mremap when it
// fills: the kernel moves the pages, nothing is copied, and no second copy of
// the request ever exists. release unmaps it; call it once nothing refers to
// the data any more (json.Unmarshal copies every string out of it). A 550 MB
// request read this way peaks at its own size, where chunks and a join
// peak at twice that.
func readMapped(r io.Reader, max int64) (data []byte, release func(), err error) {
	size := int(min(int64(firstMapping), max+1))
	buf, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil, errNoMapping
	}
	unmap := func() { _ = unix.Munmap(buf) }
	n := 0
	for {
		if n == len(buf) {
			if int64(n) > max {
				unmap()
				return nil, nil, errTooLarge
			}
			grown, err := unix.Mremap(buf, int(min(2*int64(len(buf)), max+1)), unix.MREMAP_MAYMOVE)
			if err != nil {
				unmap()
				return nil, nil, errNoMapping
			}
			buf = grown
		}
		k, err := r.Read(buf[n:])
		n += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			unmap()
			return nil, nil, err
		}
	}
	if int64(n) > max {
		unmap()
		return nil, nil, errTooLarge
	}
	return buf[:n:n], unmap, nil
}

func firstMappingSize() int { return firstMapping }
