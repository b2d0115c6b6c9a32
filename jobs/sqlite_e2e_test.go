package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/store"
)

type jobsOutput struct {
	Schedules []struct {
		Name string `json:"name"`
	} `json:"schedules"`
	Jobs []struct {
		ID          int64     `json:"id"`
		Kind        string    `json:"kind"`
		State       string    `json:"state"`
		Digest      string    `json:"digest"`
		Period      time.Time `json:"period"`
		Attempt     int       `json:"attempt"`
		AttemptedBy string    `json:"attempted_by"`
		LastError   string    `json:"last_error"`
	} `json:"jobs"`
}

// TestWorkerOnSQLiteKilledMidJobAndRestarted: a worker on the digest store's
// SQLite file is killed with SIGKILL while it holds digest jobs; a new worker
// rescues them, and every digest is done, recorded and delivered exactly once.
func TestWorkerOnSQLiteKilledMidJobAndRestarted(t *testing.T) {
	dir := t.TempDir()
	srv, url := newTopicServer(t)
	topics := topicNames(12)
	cfg := writeConfig(t, dir, url, topics, false)
	out := filepath.Join(dir, "delivered")
	args := []string{"--config", cfg, "--deliver-to", out, "--digest-workers", "2", "--digest-timeout", "8s",
		"--rescue-after", "10s", "--delivery-timeout", "8s", "--poll", "200ms", "--grace", "10s"}

	// Every fetch waits at the gate: the first worker is surely mid-job when killed.
	srv.closeGate()
	a := startWorker(t, dir, "a", args...)
	eventually(t, 60*time.Second, "the first worker holds two digests", func() bool { return srv.total() >= 2 },
		func() string { return tail(a.log, 20) })
	a.kill(t)
	srv.openGate()
	require.Empty(t, deliveredFiles(t, out), "nothing was delivered before the kill")

	b := startWorker(t, dir, "b", args...)
	db := filepath.Join(dir, "digests.db")
	runsDone := func() int {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			return 0
		}
		defer st.Close()
		runs, _ := st.Runs(context.Background(), "", 0)
		return len(runs)
	}
	eventually(t, 150*time.Second, "every digest recorded and delivered", func() bool {
		return runsDone() >= len(topics) && len(deliveredFiles(t, out)) >= len(topics)
	}, func() string { return tail(b.log, 30) })
	// Nothing more may come: the rescued jobs must not run a second time.
	time.Sleep(2 * time.Second)
	assert.Equal(t, 0, b.stop(t, 60*time.Second), "SIGTERM: exit 0; log:\n%s", tail(b.log, 20))

	st, err := store.Open(context.Background(), db)
	require.NoError(t, err)
	defer st.Close()
	for _, tp := range topics {
		runs, err := st.Runs(context.Background(), tp, 0)
		require.NoError(t, err)
		assert.Len(t, runs, 1, "topic %q digested exactly once", tp)
	}
	pending, err := st.PendingDigests(context.Background())
	require.NoError(t, err)
	assert.Empty(t, pending, "the outbox has delivered every digest")
	for _, tp := range topics {
		sent, err := st.Sent(context.Background(), tp)
		require.NoError(t, err)
		assert.Len(t, sent, 3, "topic %q: its three stories sent, once", tp)
	}
	files := deliveredFiles(t, out)
	assert.Len(t, files, len(topics), "one delivered file per digest: %v", files)

	stdout, stderr, code := research(t, dir, "jobs", "--config", cfg, "--all", "-f", "json")
	require.Equal(t, 0, code, stderr)
	var jl jobsOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &jl), stdout)
	digests, rescued, schedules := map[string]int{}, 0, 0
	for _, j := range jl.Jobs {
		switch j.Kind {
		case "research_digest":
			assert.Equal(t, "completed", j.State, "%+v", j)
			digests[j.Digest]++
			if j.Attempt > 1 {
				rescued++
			}
		case "research_schedule":
			schedules++
		case "research_delivery":
			assert.Equal(t, "completed", j.State, "%+v", j)
		}
	}
	assert.Len(t, digests, len(topics))
	for d, n := range digests {
		assert.Equal(t, 1, n, "one job for digest %s", d)
	}
	assert.GreaterOrEqual(t, rescued, 1, "the killed worker's jobs were rescued and ran again")
	assert.Equal(t, 1, schedules, "the schedule fired once for its period, although both workers ran it on start")

	fired := 0
	for _, w := range []string{a.log, b.log} {
		for _, l := range logLines(t, w, "schedule fired") {
			fired += int(l["digests"].(float64))
		}
	}
	assert.Equal(t, len(topics), fired, "the digests of the period were inserted once")
	assert.NotEmpty(t, logLines(t, b.log, "worker stopped"))
	t.Logf("%d digests, %d rescued after the kill\n%s", len(digests), rescued, tail(b.log, 12))
	_ = fmt.Sprint()
}

// TestWorkerSIGTERMHandsBackRunningJobs: SIGTERM while digests are running
// (their fetches hang) lets them run for the grace period, then cancels them
// and exits 0; they are back in the queue at once (not after the rescue
// delay), and the next worker completes each exactly once.
func TestWorkerSIGTERMHandsBackRunningJobs(t *testing.T) {
	dir := t.TempDir()
	srv, url := newTopicServer(t)
	topics := topicNames(4)
	cfg := writeConfig(t, dir, url, topics, false)
	out := filepath.Join(dir, "delivered")
	args := []string{"--config", cfg, "--deliver-to", out, "--digest-workers", "2", "--digest-timeout", "60s",
		"--rescue-after", "10m", "--delivery-timeout", "8s", "--poll", "200ms", "--grace", "1s"}

	srv.closeGate()
	a := startWorker(t, dir, "a", args...)
	eventually(t, 60*time.Second, "the worker holds two digests", func() bool { return srv.total() >= 2 },
		func() string { return tail(a.log, 20) })
	// The worker holds the store: a one-shot digest or a second worker on the
	// same file is refused, naming it, rather than delivering its digests too.
	holder := fmt.Sprintf("pid %d", a.cmd.Process.Pid)
	_, stderr, code := research(t, dir, "digest", "--config", cfg)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, holder)
	_, stderr, code = research(t, dir, "worker", "--config", cfg, "--deliver-to", out)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, holder)

	assert.Equal(t, 0, a.stop(t, 60*time.Second), "SIGTERM: exit 0; log:\n%s", tail(a.log, 20))
	assert.NotEmpty(t, logLines(t, a.log, "grace period over: cancelling running jobs, which go back to the queue"))
	srv.openGate()

	// With a rescue delay of ten minutes, only a job handed back can run now.
	b := startWorker(t, dir, "b", args...)
	db := filepath.Join(dir, "digests.db")
	eventually(t, 120*time.Second, "every digest done by the next worker", func() bool {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			return false
		}
		defer st.Close()
		runs, _ := st.Runs(context.Background(), "", 0)
		return len(runs) >= len(topics) && len(deliveredFiles(t, out)) >= len(topics)
	}, func() string { return tail(b.log, 20) })
	assert.Equal(t, 0, b.stop(t, 60*time.Second))

	stdout, stderr, code := research(t, dir, "jobs", "--config", cfg, "--all", "-f", "json")
	require.Equal(t, 0, code, stderr)
	var jl jobsOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &jl), stdout)
	// The jobs the first worker held were handed back (River does not count
	// an attempt cancelled by a stopping client) and the second one ran them,
	// ten minutes before any rescue could have.
	held := map[int64]bool{}
	for _, l := range logLines(t, a.log, "digest started") {
		held[int64(l["job"].(float64))] = true
	}
	require.GreaterOrEqual(t, len(held), 2, "the first worker had started two digests")
	for _, j := range jl.Jobs {
		if j.Kind != "research_digest" {
			continue
		}
		assert.Equal(t, "completed", j.State)
		if held[j.ID] {
			assert.Equal(t, "b", j.AttemptedBy, "job %d handed back and run by the next worker", j.ID)
		}
	}
	st, err := store.Open(context.Background(), db)
	require.NoError(t, err)
	defer st.Close()
	for _, tp := range topics {
		runs, err := st.Runs(context.Background(), tp, 0)
		require.NoError(t, err)
		assert.Len(t, runs, 1, "topic %q once", tp)
	}
}

// TestScheduleFiresOncePerPeriod runs a one-minute schedule across a period
// boundary: the first period on start, the next one when it comes (River
// fires up to 100 ms early, which must still count as the new period), each
// period's digests exactly once.
func TestScheduleFiresOncePerPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits for the next minute")
	}
	dir := t.TempDir()
	_, url := newTopicServer(t)
	topics := topicNames(2)
	cfg := writeConfig(t, dir, url, topics, false)
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfg, bytes.Replace(data, []byte(`"0 0 1 1 *"`), []byte(`"1m"`), 1), 0o644))
	out := filepath.Join(dir, "delivered")
	w := startWorker(t, dir, "a", "--config", cfg, "--deliver-to", out, "--poll", "200ms", "--digest-timeout", "20s",
		"--rescue-after", "30s", "--delivery-timeout", "10s")

	var jl jobsOutput
	periods := func() map[time.Time]int {
		stdout, _, code := research(t, dir, "jobs", "--config", cfg, "--all", "-f", "json")
		jl = jobsOutput{}
		if code != 0 || json.Unmarshal([]byte(stdout), &jl) != nil {
			return nil
		}
		got := map[time.Time]int{}
		for _, j := range jl.Jobs {
			if j.Kind == "research_digest" && j.State == "completed" {
				got[j.Period]++
			}
		}
		return got
	}
	eventually(t, 150*time.Second, "two periods done", func() bool { return len(periods()) >= 2 },
		func() string { return tail(w.log, 20) })
	assert.Equal(t, 0, w.stop(t, 60*time.Second))

	got := periods()
	var slots []time.Time
	for p, n := range got {
		assert.Equal(t, len(topics), n, "period %s: each digest once", p)
		assert.Equal(t, p, p.Truncate(time.Minute), "a period is a whole minute")
		slots = append(slots, p)
	}
	schedules := map[time.Time]int{}
	for _, j := range jl.Jobs {
		if j.Kind == "research_schedule" {
			schedules[j.Period]++
		}
	}
	for p, n := range schedules {
		assert.Equal(t, 1, n, "the schedule fired once for %s", p)
	}
	require.GreaterOrEqual(t, len(slots), 2)
	for i := range slots {
		for j := range slots {
			if i != j {
				d := slots[i].Sub(slots[j]).Abs()
				assert.True(t, d%time.Minute == 0 && d > 0, "distinct minutes: %v", slots)
			}
		}
	}
}
