//go:build !linux

package isolation

import (
	"os"
	"syscall"
)

// On systems other than Linux the runner still uses a process group, but has
// no parent-death signal and no resource limits; see docs/isolation.md.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func applyLimits(pid int, memory int64, cpuSeconds uint64) error { return nil }

// canWaitNoReap is false: without waitid(WNOWAIT) the group is killed after the reap.
const canWaitNoReap = false

func waitExited(pid int) {}

func killGroup(pid int) error {
	if pid <= 0 {
		return nil
	}
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}

func growPipe(*os.File) {}
