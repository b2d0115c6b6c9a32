//go:build linux

package isolation

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts the child in a process group of its own (so it and
// everything it spawns can be killed together, and a terminal's Ctrl-C reaches
// only the parent, which then decides) and asks the kernel to SIGKILL it if
// the thread that started it dies (Pdeathsig). Run keeps that thread locked to
// its goroutine until the child is reaped, so Pdeathsig means "the parent
// process died", not "some runtime thread exited".
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// applyLimits caps the running child's data segment and CPU time and turns
// off its core dumps. It runs
// after Start but before the child is given a single byte of input.
//
// RLIMIT_DATA (Linux ≥ 4.7 counts every private writable mapping) rather than
// RLIMIT_AS: a Go program reserves more than 1 GiB of address space at start-up
// without using it, so an address-space limit measures reservations, not memory.
func applyLimits(pid int, memory int64, cpuSeconds uint64) error {
	var errs []error
	if memory > 0 {
		lim := unix.Rlimit{Cur: uint64(memory), Max: uint64(memory)}
		if err := unix.Prlimit(pid, unix.RLIMIT_DATA, &lim, nil); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("prlimit RLIMIT_DATA: %w", err))
		}
	}
	if cpuSeconds > 0 {
		// Soft == hard: the kernel sends SIGKILL at the limit; a SIGXCPU
		// warning first would be ignored by a Go child anyway.
		lim := unix.Rlimit{Cur: cpuSeconds, Max: cpuSeconds}
		if err := unix.Prlimit(pid, unix.RLIMIT_CPU, &lim, nil); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("prlimit RLIMIT_CPU: %w", err))
		}
	}
	// No core files: a crashing analyzer must not write gigabytes to disk,
	// and its stderr tail already says what happened.
	if err := unix.Prlimit(pid, unix.RLIMIT_CORE, &unix.Rlimit{}, nil); err != nil && !errors.Is(err, unix.ESRCH) {
		errs = append(errs, fmt.Errorf("prlimit RLIMIT_CORE: %w", err))
	}
	return errors.Join(errs...)
}

// canWaitNoReap says waitExited really waits without reaping.
const canWaitNoReap = true

// waitExited blocks until the child has exited without reaping it, so its
// pid — and with it the process group id — cannot be reused while the group is
// killed afterwards.
func waitExited(pid int) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// killGroup SIGKILLs the process group led by pid.
func killGroup(pid int) error {
	if pid <= 0 {
		return nil
	}
	err := unix.Kill(-pid, unix.SIGKILL)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	return err
}

// requestPipeSize is the capacity asked for the request pipe: a 50 MB request
// then crosses it in fewer, larger writes (the default is 64 KiB).
const requestPipeSize = 1 << 20

// growPipe enlarges a pipe's buffer; it is only an optimisation, so failure
// (a lower /proc/sys/fs/pipe-max-size) is ignored.
func growPipe(f *os.File) {
	_, _ = unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, requestPipeSize)
}
