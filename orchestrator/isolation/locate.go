package isolation

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// AnalyzerName is the analyzer binary's file name.
const AnalyzerName = "research-analyze"

// ErrNotFound is returned by Locate when no usable analyzer binary exists.
var ErrNotFound = errors.New("analyzer not found")

// ErrNotExecutable is returned by Locate when the file exists but cannot be run.
var ErrNotExecutable = errors.New("analyzer not executable")

// Locate finds the analyzer binary: explicit if it is non-empty (a bare name
// without a slash is looked up on PATH), else AnalyzerName next to the running
// executable, else AnalyzerName on PATH. The error names every place looked.
func Locate(explicit string) (string, error) {
	if explicit != "" {
		if !strings.ContainsRune(explicit, filepath.Separator) {
			return lookPath(explicit, nil)
		}
		abs, err := filepath.Abs(explicit)
		if err != nil {
			abs = explicit
		}
		if err := checkExecutable(abs); err != nil {
			return "", fmt.Errorf("%w: looked in %s (%s)", errKind(err), abs, reasonText(err))
		}
		return abs, nil
	}
	var looked []string
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		cand := filepath.Join(filepath.Dir(self), AnalyzerName)
		if err := checkExecutable(cand); err == nil {
			return cand, nil
		} else {
			looked = append(looked, fmt.Sprintf("%s (%s)", cand, reasonText(err)))
		}
	}
	return lookPath(AnalyzerName, looked)
}

// lookPath searches PATH for name, listing every directory in the error so a
// user can see at a glance why it was not found.
func lookPath(name string, looked []string) (string, error) {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	if p, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	where := "on PATH (empty)"
	if len(dirs) > 0 {
		where = "on PATH (" + strings.Join(dirs, string(filepath.ListSeparator)) + ")"
	}
	looked = append(looked, fmt.Sprintf("%s %s", name, where))
	return "", fmt.Errorf("%w: looked in %s", ErrNotFound, strings.Join(looked, ", and "))
}

func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%w: is a directory", ErrNotExecutable)
	}
	if st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%w: mode %s", ErrNotExecutable, st.Mode().Perm())
	}
	return nil
}

func errKind(err error) error {
	if errors.Is(err, ErrNotExecutable) {
		return ErrNotExecutable
	}
	return ErrNotFound
}

func reasonText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, ErrNotExecutable):
		return strings.TrimPrefix(err.Error(), ErrNotExecutable.Error()+": ") + ", not executable"
	default:
		return err.Error()
	}
}
