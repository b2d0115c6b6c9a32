package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkAddTurn records turns of a realistic size (a 2 KB answer, 15
// articles shown) into one session at its bounds, and reports the file's size.
func BenchmarkAddTurn(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "sessions.db")
	s, err := Open(ctx, path, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	answer := strings.Repeat("A sentence of an answer, citing its article [3]. ", 40)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := turn(fmt.Sprintf("question %d about sparse attention", i), answer)
		for k := 0; k < 15; k++ {
			t.Shown = append(t.Shown, Article{Key: fmt.Sprintf("https://example.org/%d/%d", i, k), Title: "An article title of usual length", Source: "hn", N: k + 1})
		}
		if _, err := s.AddTurn(ctx, fmt.Sprintf("s%d", i%20), t); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/1024, "KiB-file")
	}
}

// BenchmarkGet loads a session at its bounds (20 messages, 300 articles).
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "sessions.db"), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	answer := strings.Repeat("A sentence of an answer. ", 80)
	for i := 0; i < 40; i++ {
		t := turn(fmt.Sprintf("question %d", i), answer)
		for k := 0; k < 15; k++ {
			t.Shown = append(t.Shown, Article{Key: fmt.Sprintf("https://example.org/%d/%d", i, k), Title: "title", N: k + 1})
		}
		if _, err := s.AddTurn(ctx, "s", t); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Get(ctx, "s"); err != nil {
			b.Fatal(err)
		}
	}
}
