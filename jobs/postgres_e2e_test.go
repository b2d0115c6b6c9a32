package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/internal/pgtest"
)

// TestThreeWorkersOnPostgresSurviveTheLeaderKilled: three worker processes
// share one PostgreSQL queue for 200 per-topic digests against a loopback
// feed server. One digest fails once, one times out once. The leader is
// killed with SIGKILL while it holds jobs. Every (digest, period) must then
// be done exactly once (rows in the store and delivered files), the killed
// worker's jobs rescued and completed, the schedule fired once for its
// period, and the survivors must exit 0 on SIGTERM.
func TestThreeWorkersOnPostgresSurviveTheLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: three worker processes and 200 digests")
	}
	pgURL := pgtest.URL(t)
	dir := t.TempDir()
	srv, url := newTopicServer(t)
	const n = 200
	topics := topicNames(n)
	const failTopic, hangTopic = "topic 007", "topic 013"
	srv.failOnce[failTopic] = true
	srv.hangOnce[hangTopic] = true
	srv.delay = 600 * time.Millisecond // digests take a while, so the leader surely holds some when killed
	cfg := writeConfig(t, dir, url, topics, true)

	// A worker refuses an unmigrated database; migrate is idempotent.
	_, stderr, code := research(t, dir, "worker", "--config", cfg, "--database", pgURL)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "research migrate")
	for range 2 {
		_, stderr, code = research(t, dir, "migrate", "--config", cfg, "--database", pgURL)
		require.Equal(t, 0, code, stderr)
	}

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgURL)
	require.NoError(t, err)
	defer pool.Close()
	count := func(q string, args ...any) int {
		var c int
		if err := pool.QueryRow(ctx, q, args...).Scan(&c); err != nil {
			return -1
		}
		return c
	}

	args := []string{"--config", cfg, "--database", pgURL, "--digest-workers", "2",
		"--digest-timeout", "8s", "--delivery-timeout", "8s", "--rescue-after", "12s", "--poll", "200ms", "--grace", "20s"}
	workers := map[string]*worker{}
	for _, id := range []string{"w1", "w2", "w3"} {
		workers[id] = startWorker(t, dir, id, args...)
	}
	logs := func() string {
		var b strings.Builder
		for id, w := range workers {
			fmt.Fprintf(&b, "--- %s\n%s\n", id, tail(w.log, 8))
		}
		return b.String()
	}

	// Wait for a leader holding jobs, once the two made-to-fail digests have
	// failed their first attempt (so that the kill cannot take them along).
	failedOnce := func(topic string) int {
		return count(`SELECT count(*) FROM river_job WHERE kind = 'research_digest' AND args->>'digest' = $1
			AND jsonb_array_length(to_jsonb(errors)) > 0`, "digest/"+topic)
	}
	var leader string
	var held []int64
	eventually(t, 120*time.Second, "a leader holding jobs after both made-to-fail digests failed once", func() bool {
		if failedOnce(failTopic) < 1 || failedOnce(hangTopic) < 1 {
			return false
		}
		if err := pool.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&leader); err != nil {
			return false
		}
		rows, err := pool.Query(ctx, `SELECT id FROM river_job WHERE state = 'running'
			AND attempted_by[array_length(attempted_by, 1)] = $1`, leader)
		if err != nil {
			return false
		}
		held = held[:0]
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			held = append(held, id)
		}
		rows.Close()
		return len(held) > 0
	}, logs)
	victim, ok := workers[leader]
	require.True(t, ok, "leader %q is one of the workers", leader)
	victim.kill(t)
	killedAt := time.Now()
	t.Logf("killed leader %s holding jobs %v; %d of %d digests recorded", leader, held, count(`SELECT count(*) FROM research_runs`), n)

	// Every digest recorded and delivered, nothing left in the queue.
	eventually(t, 180*time.Second, "every digest done after the kill", func() bool {
		keys, _ := srv.deliveries()
		return count(`SELECT count(*) FROM research_runs`) >= n && keys >= n &&
			count(`SELECT count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'running', 'retryable', 'pending')`) == 0
	}, logs)
	took := time.Since(killedAt)
	t.Logf("all %d digests done %s after the kill", n, took.Round(time.Second))
	if took > 90*time.Second {
		t.Logf("note: slower than the 90 s the issue asks for (a loaded machine?)")
	}

	// Exactly once: one run per topic, one delivered file per digest, one
	// completed job per (digest, period).
	assert.Equal(t, n, count(`SELECT count(*) FROM research_runs`), "runs recorded")
	assert.Equal(t, n, count(`SELECT count(DISTINCT topic_id) FROM research_runs`), "one run per topic")
	keys, posts := srv.deliveries()
	assert.Equal(t, n, keys, "every digest reached the webhook")
	// The one window (a worker killed after the target took a digest, before
	// the mark) can repeat a POST, with the same key; only the victim's
	// deliveries in flight could.
	assert.LessOrEqual(t, posts-keys, len(held), "repeated POSTs: %d", posts-keys)
	assert.Equal(t, n, count(`SELECT count(*) FROM research_digests WHERE state = 'delivered'`), "the outbox: every digest delivered")
	assert.Equal(t, 3*n, count(`SELECT count(*) FROM research_sent`), "three stories per topic sent")
	assert.Equal(t, n, count(`SELECT count(*) FROM river_job WHERE kind = 'research_digest' AND state = 'completed'`))
	assert.Equal(t, n, count(`SELECT count(DISTINCT (args->>'digest', args->>'period')) FROM river_job WHERE kind = 'research_digest'`))
	assert.Equal(t, n, count(`SELECT count(*) FROM river_job WHERE kind = 'research_delivery' AND state = 'completed'`))
	assert.Zero(t, count(`SELECT count(*) FROM river_job WHERE state IN ('discarded', 'cancelled')`))

	// The killed worker's jobs were rescued and completed by another.
	for _, id := range held {
		var state, by string
		var attempt int
		require.NoError(t, pool.QueryRow(ctx, `SELECT state, attempt, attempted_by[array_length(attempted_by, 1)]
			FROM river_job WHERE id = $1`, id).Scan(&state, &attempt, &by))
		assert.Equal(t, "completed", state, "job %d", id)
		assert.GreaterOrEqual(t, attempt, 2, "job %d ran again", id)
		assert.NotEqual(t, leader, by, "job %d completed by a survivor", id)
	}

	// The made-to-fail digests completed on a later attempt, after the errors wanted.
	lastErrs := func(topic string) (int, string) {
		var attempt int
		var errs string
		_ = pool.QueryRow(ctx, `SELECT attempt, coalesce(to_jsonb(errors)::text, '') FROM river_job
			WHERE kind = 'research_digest' AND args->>'digest' = $1`, "digest/"+topic).Scan(&attempt, &errs)
		return attempt, errs
	}
	a, errs := lastErrs(failTopic)
	assert.GreaterOrEqual(t, a, 2)
	assert.Contains(t, errs, "no source answered")
	a, errs = lastErrs(hangTopic)
	assert.GreaterOrEqual(t, a, 2)
	assert.Contains(t, errs, "deadline exceeded")

	// The schedule fired once for its period: each new leader runs it on
	// start, and uniqueness turns the repeats away.
	assert.Equal(t, 1, count(`SELECT count(*) FROM river_job WHERE kind = 'research_schedule'`))
	fired := 0
	for _, w := range workers {
		for _, l := range logLines(t, w.log, "schedule fired") {
			fired += int(l["digests"].(float64))
		}
	}
	assert.Equal(t, n, fired, "the period's digests were inserted once")

	// Survivors stop on SIGTERM with status 0.
	for id, w := range workers {
		if id == leader {
			continue
		}
		assert.Equal(t, 0, w.stop(t, 60*time.Second), "worker %s exit status; log:\n%s", id, tail(w.log, 10))
	}
}
