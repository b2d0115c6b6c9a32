package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/store"
)

// helperEnv makes the test binary act as one digest process (the
// helper-process pattern): open the store, read, write, close.
const helperEnv = "STORE_TEST_HELPER_PATH"

func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("only run as a helper process")
	}
	ctx := context.Background()
	id := os.Getenv("STORE_TEST_HELPER_ID")
	s, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	defer s.Close()
	for i := range 5 {
		if _, _, err := s.LastRun(ctx, "topic"); err != nil {
			fmt.Fprintln(os.Stderr, "last run:", err)
			os.Exit(4)
		}
		if _, err := s.SeenFilter(ctx, "topic"); err != nil {
			fmt.Fprintln(os.Stderr, "seen:", err)
			os.Exit(5)
		}
		_, err := s.Commit(ctx, []store.Record{{Run: store.Run{Topic: "topic", StartedAt: time.Now(), FinishedAt: time.Now()},
			Items: []store.Item{{CanonicalURL: "https://shared.example/" + strconv.Itoa(i)}, {CanonicalURL: "https://own.example/" + id + "/" + strconv.Itoa(i)}}}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "commit:", err)
			os.Exit(6)
		}
	}
}

// TestConcurrentProcesses starts several processes on one new file at once,
// as simultaneous cron jobs would: none may fail with "database is locked",
// not even while the first of them creates the file and switches it to WAL.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	procs, rounds := 6, 30
	if raceEnabled {
		procs, rounds = 3, 4
	}
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "d.db")
		var wg sync.WaitGroup
		errs := make([]string, procs)
		for p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
				cmd.Env = append(os.Environ(), helperEnv+"="+path, "STORE_TEST_HELPER_ID="+strconv.Itoa(p))
				if out, err := cmd.CombinedOutput(); err != nil {
					errs[p] = fmt.Sprintf("%v: %s", err, out)
				}
			}()
		}
		wg.Wait()
		for p, e := range errs {
			require.Empty(t, e, "round %d, process %d", round, p)
		}
		s, err := store.Open(context.Background(), path)
		require.NoError(t, err)
		runs, err := s.Runs(context.Background(), "topic", 0)
		require.NoError(t, err)
		assert.Len(t, runs, procs*5)
		sent, err := s.Sent(context.Background(), "topic")
		require.NoError(t, err)
		assert.Len(t, sent, 5+procs*5, "shared URLs once, each process's own")
		require.NoError(t, s.Close())
	}
}
