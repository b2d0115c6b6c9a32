package deliver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File writes each digest into Dir as one file, atomically: a temporary file
// in the same directory, synced, then renamed over the final name, so a
// reader never sees half a digest and a retried digest replaces its own copy
// (the name holds the digest's key).
type File struct {
	TargetName string
	Dir        string
	// Format is text, markdown (the default), html or json.
	Format string
}

// Name implements Target.
func (f *File) Name() string { return f.TargetName }

var extensions = map[string]string{"text": ".txt", "markdown": ".md", "md": ".md", "html": ".html", "json": ".json", "": ".md"}

// FileName is the name a digest gets in the directory: its creation time (so
// that a listing sorts by date) and its key.
func (f *File) FileName(m *Message) string {
	key := m.Key
	if len(key) > 16 {
		key = key[:16]
	}
	return "research-digest-" + m.CreatedAt.UTC().Format("2006-01-02T150405Z") + "-" + key + extensions[f.Format]
}

// Deliver implements Target.
func (f *File) Deliver(ctx context.Context, m *Message) (err error) {
	format := f.Format
	if format == "" {
		format = "markdown"
	}
	body, err := m.Body(format)
	if err != nil {
		return err
	}
	if strings.ContainsAny(m.Key, `/\`) || m.Key == "" {
		return fmt.Errorf("file target %s: bad digest key %q", f.TargetName, m.Key)
	}
	final := filepath.Join(f.Dir, f.FileName(m))
	// A run killed while writing this digest left its temporary file; the
	// digest is retried with the same key, so that is the moment to remove it.
	prefix := ".research-digest-" + m.Key + "-"
	if stale, _ := filepath.Glob(filepath.Join(f.Dir, prefix+"*.tmp")); len(stale) > 0 {
		for _, p := range stale {
			os.Remove(p)
		}
	}
	tmp, err := os.CreateTemp(f.Dir, prefix+"*.tmp")
	if err != nil {
		return fmt.Errorf("file target %s: %w", f.TargetName, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.WriteString(body); err != nil {
		return fmt.Errorf("file target %s: write %s: %w", f.TargetName, tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("file target %s: sync %s: %w", f.TargetName, tmp.Name(), err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("file target %s: %w", f.TargetName, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("file target %s: close %s: %w", f.TargetName, tmp.Name(), err)
	}
	// The last moment an interrupt can still leave nothing behind.
	if err = ctx.Err(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("file target %s: %w", f.TargetName, err)
	}
	// The rename is durable once the directory is synced.
	if d, derr := os.Open(f.Dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
