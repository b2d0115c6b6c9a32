package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/internal/smtptest"
	"github.com/research-cli/research/store"
)

// growingFeed is an RSS feed that gains perRequest new items on every
// request, all of them kept: each digest run is offered what earlier runs
// were offered plus something new. offered is how many items exist.
type growingFeed struct {
	srv        *httptest.Server
	perRequest int
	block      chan struct{} // when not nil, requests wait on it (a slow fetch)

	mu       sync.Mutex
	offered  int
	requests int
}

var vocab = strings.Fields(`amber basalt cobalt dahlia ember fjord garnet harbor indigo juniper kestrel lagoon
	meadow nickel obsidian prairie quartz raven saffron tundra umber violet walnut xenon yarrow zephyr
	anchor beacon canyon delta estuary falcon glacier heron island jasmine kelp lantern marble nectar orchid
	pebble quiver ridge summit thistle upland valley willow yonder zinnia`)

// title is item n's title: words no other item shares in that order, so the
// analysis never folds two items together as near-duplicates.
func itemTitle(n int) string {
	w := func(k int) string { return vocab[(n*k+k*k)%len(vocab)] }
	return fmt.Sprintf("Sparse attention %s %s %s %s %s note %d", w(3), w(7), w(11), w(13), w(17), n)
}

func startGrowingFeed(t *testing.T, perRequest int) *growingFeed {
	t.Helper()
	g := &growingFeed{perRequest: perRequest}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		block := g.block
		g.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		g.mu.Lock()
		g.requests++
		g.offered += g.perRequest
		n := g.offered
		g.mu.Unlock()
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>growing</title><link>http://feed.example/</link><description>d</description>`)
		for i := n; i >= 1; i-- {
			fmt.Fprintf(&b, `<item><title>%s</title><link>%s/item/%d</link><guid>%s/item/%d</guid><pubDate>%s</pubDate><description>%s, written up at length.</description></item>`,
				itemTitle(i), g.srv.URL, i, g.srv.URL, i, time.Now().Add(-time.Duration(n-i)*time.Minute).UTC().Format(time.RFC1123Z), itemTitle(i))
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// setBlock makes requests wait until b is closed; setOffered sets how many items exist.
func (g *growingFeed) setBlock(b chan struct{}) { g.mu.Lock(); g.block = b; g.mu.Unlock() }
func (g *growingFeed) setOffered(n int)         { g.mu.Lock(); g.offered = n; g.mu.Unlock() }

func (g *growingFeed) url(n int) string { return fmt.Sprintf("%s/item/%d", g.srv.URL, n) }

func (g *growingFeed) state() (offered, requests int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.offered, g.requests
}

// hookReceiver is a webhook endpoint: it keeps every POST by idempotency key,
// checks the signature, and can fail on demand.
type hookReceiver struct {
	srv    *httptest.Server
	secret string

	mu       sync.Mutex
	posts    map[string][][]byte // key -> bodies received
	order    []string
	badSig   int
	failNext int
}

func startHook(t *testing.T, secret string) *hookReceiver {
	t.Helper()
	h := &hookReceiver{secret: secret, posts: map[string][][]byte{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failNext > 0 { // set through fail
			h.failNext--
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		if r.Header.Get(deliver.HeaderSignature) != deliver.Sign([]byte(h.secret), body.Bytes()) {
			h.badSig++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		key := r.Header.Get(deliver.HeaderIdempotencyKey)
		if _, ok := h.posts[key]; !ok {
			h.order = append(h.order, key)
		}
		h.posts[key] = append(h.posts[key], body.Bytes())
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// delivered decodes each distinct digest (the first body of each key, as an
// idempotent receiver would take it) and maps item URL -> keys listing it.
func (h *hookReceiver) delivered(t *testing.T) (byURL map[string][]string, duplicates int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	byURL = map[string][]string{}
	for _, key := range h.order {
		bodies := h.posts[key]
		for _, b := range bodies[1:] {
			assert.Equal(t, string(bodies[0]), string(b), "a digest sent again is sent unchanged")
		}
		duplicates += len(bodies) - 1
		var d digest.Digest
		require.NoError(t, json.Unmarshal(bodies[0], &d))
		for _, tp := range d.Topics {
			for _, it := range tp.Items {
				byURL[it.URL] = append(byURL[it.URL], key)
			}
		}
	}
	assert.Zero(t, h.badSig, "every POST was signed")
	return byURL, duplicates
}

// fail makes the next n POSTs answer 500.
func (h *hookReceiver) fail(n int) { h.mu.Lock(); h.failNext = n; h.mu.Unlock() }

func (h *hookReceiver) keys() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.order...)
}

type deliveryEnv struct {
	feed  *growingFeed
	hook  *hookReceiver
	dir   string // the file target's directory
	db    string
	cfg   string
	smtp  *smtptest.Server
	extra []string // environment
}

// newDeliveryEnv writes a config with the growing feed as the one source and
// a webhook and a file directory as targets (and an SMTP server when asked).
func newDeliveryEnv(t *testing.T, perRequest int, withMail bool) *deliveryEnv {
	t.Helper()
	e := &deliveryEnv{feed: startGrowingFeed(t, perRequest), hook: startHook(t, "hook-secret"),
		dir: filepath.Join(t.TempDir(), "digests"), db: filepath.Join(t.TempDir(), "state", "digests.db")}
	require.NoError(t, os.MkdirAll(e.dir, 0o755))
	e.extra = []string{"HOOK_SECRET=hook-secret"}
	var b strings.Builder
	fmt.Fprintf(&b, `http: {cache: "off", retries: 0}
feeds: {keep_off_topic: true}
limits: {source_timeout: 20s, fetch_timeout: 30s}
sources:
  - {name: growing, kind: feed, url: %q, max_results: 1000}
digest:
  max_items: 1000
  topics: [sparse attention]
  targets:
    - {name: hook, kind: webhook, url: %q, secret_env: HOOK_SECRET}
    - {name: archive, kind: file, dir: %q, format: json}
`, e.feed.srv.URL+"/feed.xml", e.hook.srv.URL, e.dir)
	if withMail {
		e.smtp = smtptest.Start(t, smtptest.Options{Username: "digest", Password: "mail-secret"})
		fmt.Fprintf(&b, `    - {name: inbox, kind: email, host: %q, port: %d, security: starttls, username: digest,
       password_env: SMTP_PASSWORD, ca_file: %q, from: research@example.org, to: [me@example.org]}
`, e.smtp.Host, e.smtp.Port, e.smtp.CAFile)
		e.extra = append(e.extra, "SMTP_PASSWORD=mail-secret")
	}
	e.cfg = filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(e.cfg, []byte(b.String()), 0o644))
	return e
}

func (e *deliveryEnv) command(ctx context.Context, t *testing.T, args ...string) *exec.Cmd {
	args = append([]string{"digest", "--config", e.cfg, "--store", e.db, "--no-pages"}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "research"), args...)
	cmd.Env = append(os.Environ(), append(e.extra, "XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(), "NO_COLOR=1")...)
	return cmd
}

func (e *deliveryEnv) run(ctx context.Context, t *testing.T, args ...string) cmdResult {
	t.Helper()
	cmd := e.command(ctx, t, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return cmdResult{code, out.String(), errb.String()}
}

// files maps each digest file's key to its decoded digest; every file must be
// a whole document, and no temporary file may be left.
func (e *deliveryEnv) files(t *testing.T) map[string]*digest.Digest {
	t.Helper()
	entries, err := os.ReadDir(e.dir)
	require.NoError(t, err)
	out := map[string]*digest.Digest{}
	for _, en := range entries {
		require.False(t, strings.HasPrefix(en.Name(), "."), "a temporary file was left: %s", en.Name())
		data, err := os.ReadFile(filepath.Join(e.dir, en.Name()))
		require.NoError(t, err)
		var d digest.Digest
		require.NoError(t, json.Unmarshal(data, &d), "%s is a whole JSON document", en.Name())
		key := strings.TrimSuffix(en.Name()[len("research-digest-2006-01-02T150405Z-"):], ".json")
		out[key] = &d
	}
	return out
}

// checkExactlyOnce: every offered item reached the webhook in exactly one
// digest, the file target holds the same digests, nothing is pending.
func (e *deliveryEnv) checkExactlyOnce(t *testing.T, ctx context.Context) (digests, duplicates int) {
	t.Helper()
	offered, _ := e.feed.state()
	byURL, dups := e.hook.delivered(t)
	for n := 1; n <= offered; n++ {
		keys := byURL[e.feed.url(n)]
		assert.Len(t, keys, 1, "item %d must be in exactly one digest, is in %v", n, keys)
	}
	assert.Len(t, byURL, offered, "nothing but offered items")
	keys := e.hook.keys()
	files := e.files(t)
	fileKeys := make([]string, 0, len(files))
	for k := range files {
		fileKeys = append(fileKeys, k)
	}
	short := make([]string, len(keys))
	for i, k := range keys {
		short[i] = k[:16]
	}
	sort.Strings(short)
	sort.Strings(fileKeys)
	assert.Equal(t, short, fileKeys, "one file per digest, the same digests as the webhook's")

	st, err := store.Open(ctx, e.db)
	require.NoError(t, err)
	defer st.Close()
	pending, err := st.PendingDigests(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)
	sent, err := st.Sent(ctx, "sparse attention")
	require.NoError(t, err)
	assert.Len(t, sent, offered, "every offered item is recorded sent, once")
	return len(keys), dups
}

// TestDigestRunsTogetherDeliverEachItemOnce starts 2 and then 6 runs at once
// on one store: with --wait they take turns (the lease), each delivering what
// is new when its turn comes; every item reaches the targets exactly once.
func TestDigestRunsTogetherDeliverEachItemOnce(t *testing.T) {
	for _, n := range []int{2, 6} {
		t.Run(fmt.Sprintf("%d runs", n), func(t *testing.T) {
			e := newDeliveryEnv(t, 3, false)
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			results := make(chan cmdResult, n)
			for range n {
				go func() { results <- e.run(ctx, t, "--wait", "3m") }()
			}
			for range n {
				r := <-results
				require.Equal(t, 0, r.code, r.stderr)
				assert.Empty(t, r.stdout, "delivered to the targets, not stdout")
			}
			digests, dups := e.checkExactlyOnce(t, ctx)
			assert.Zero(t, dups, "no crash, no second copy")
			assert.GreaterOrEqual(t, digests, 1)
		})
	}
}

// TestDigestLeaseHeldExitsAtOnce: without --wait, a second run exits 1 at
// once naming the holder, and prints nothing.
func TestDigestLeaseHeldExitsAtOnce(t *testing.T) {
	e := newDeliveryEnv(t, 1, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, e.db)
	require.NoError(t, err)
	defer st.Close()
	l, err := st.AcquireLease(ctx, store.DigestLease, time.Minute)
	require.NoError(t, err)

	r := e.run(ctx, t)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, fmt.Sprintf("in use by another digest run: pid %d on ", os.Getpid()))
	assert.Contains(t, r.stderr, e.db)
	_, requests := e.feed.state()
	assert.Zero(t, requests, "nothing was fetched")

	require.NoError(t, st.ReleaseLease(ctx, l))
	r = e.run(ctx, t)
	require.Equal(t, 0, r.code, r.stderr)
}

// TestDigestFailingTargetsKeepItPending: an SMTP server answering 451, a
// webhook answering 500 and a directory that cannot be written: the run exits
// 1 saying which target failed how; the digest stays pending; the next run
// delivers that same digest before anything new.
func TestDigestFailingTargetsKeepItPending(t *testing.T) {
	e := newDeliveryEnv(t, 2, true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e.smtp.FailNext(451)
	e.hook.fail(1)
	restore := makeUnwritable(t, e.dir)

	r := e.run(ctx, t)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "not delivered to inbox")
	assert.Contains(t, r.stderr, "451")
	assert.Contains(t, r.stderr, "not delivered to hook")
	assert.Contains(t, r.stderr, "500")
	assert.Contains(t, r.stderr, "not delivered to archive")
	assert.Contains(t, r.stderr, "stays pending")
	assert.Empty(t, e.hook.keys())
	assert.Empty(t, e.smtp.Messages())

	st, err := store.Open(ctx, e.db)
	require.NoError(t, err)
	pending, err := st.PendingDigests(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	key := pending[0].Key
	sent, err := st.Sent(ctx, "sparse attention")
	require.NoError(t, err)
	assert.Empty(t, sent)
	require.NoError(t, st.Close())

	r = research(t, ctx, "digest", "history", "--store", e.db)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `pending: digest 1 of .* \(2 new articles\) for hook: 1 failed attempt, last: webhook hook: .* answered 500`, r.stdout)

	// Still failing: nothing new is built while the digest is pending.
	e.hook.fail(1)
	r = e.run(ctx, t)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "an earlier run's digest")
	_, requests := e.feed.state()
	assert.Equal(t, 1, requests, "nothing was fetched while a delivery fails")
	assert.Len(t, e.smtp.Messages(), 1, "the mail went through this time, and is not sent again")

	restore()
	r = e.run(ctx, t, "-v")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "is now delivered to every target")
	keys := e.hook.keys()
	require.Len(t, keys, 2, "the pending digest, then the new one")
	assert.Equal(t, key, keys[0], "the pending digest, unchanged")
	msgs := e.smtp.Messages()
	require.Len(t, msgs, 2)
	assert.Contains(t, string(msgs[0].Data), "research-digest-"+key+"@example.org")
	e.checkExactlyOnce(t, ctx)
}

// makeUnwritable makes dir refuse new files, also for root (which ignores
// permissions): with the immutable attribute when running as root.
func makeUnwritable(t *testing.T, dir string) (restore func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(dir, 0o555))
		restore = func() { os.Chmod(dir, 0o755) }
	} else {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot make %s unwritable as root (chattr +i: %v %s)", dir, err, out)
		}
		restore = func() { exec.Command("chattr", "-i", dir).Run() }
	}
	t.Cleanup(restore)
	return restore
}

// TestDigestUnwritableStoreFailsBeforeFetching: a store that cannot be
// written fails the run at once with status 1, naming the file; nothing is
// fetched or printed.
func TestDigestUnwritableStoreFailsBeforeFetching(t *testing.T) {
	e := newDeliveryEnv(t, 1, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, e.db)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	makeUnwritable(t, filepath.Dir(e.db))
	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(e.db, 0o444))
	} else if out, err := exec.Command("chattr", "+i", e.db).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	} else {
		t.Cleanup(func() { exec.Command("chattr", "-i", e.db).Run() })
	}

	r := e.run(ctx, t, "--no-deliver")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, e.db)
	_, requests := e.feed.state()
	assert.Zero(t, requests, "nothing was fetched")
}

// TestDigestNothingNewDeliversNothing: a second run with nothing new sends
// nothing, says so on stderr and exits 0; --always sends the digest anyway.
func TestDigestNothingNewDeliversNothing(t *testing.T) {
	e := newDeliveryEnv(t, 0, false)
	e.feed.setOffered(4)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := e.run(ctx, t)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, e.hook.keys(), 1)

	r = e.run(ctx, t)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "nothing new in the topic: nothing delivered")
	assert.Len(t, e.hook.keys(), 1)

	r = e.run(ctx, t, "--always")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, e.hook.keys(), 2)
	e.checkExactlyOnce(t, ctx)
}

// TestDigestTestDelivery sends a one-line test to each target.
func TestDigestTestDelivery(t *testing.T) {
	e := newDeliveryEnv(t, 1, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "research"), "digest", "test-delivery", "--config", e.cfg)
	cmd.Env = append(os.Environ(), e.extra...)
	out, err := cmd.Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "✓ hook (webhook): delivered")
	assert.Contains(t, string(out), "✓ archive (file): delivered")
	assert.Contains(t, string(out), "✓ inbox (email): delivered")
	require.Len(t, e.smtp.Messages(), 1)
	assert.Contains(t, string(e.smtp.Messages()[0].Data), "research: test delivery")

	e.hook.fail(1)
	cmd = exec.CommandContext(ctx, filepath.Join(binDir, "research"), "digest", "test-delivery", "--config", e.cfg)
	cmd.Env = append(os.Environ(), e.extra...)
	out, err = cmd.Output()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, string(out), "✗ hook (webhook): webhook hook:")
	assert.Contains(t, string(out), "✓ inbox (email): delivered")
}

// TestDigestSignalsLeaveNothingBehind: SIGTERM or SIGINT during the fetch
// ends the run with 143 or 130; nothing is printed, recorded or delivered.
func TestDigestSignalsLeaveNothingBehind(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			e := newDeliveryEnv(t, 2, false)
			block := make(chan struct{})
			e.feed.setBlock(block)
			defer close(block)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := e.command(ctx, t, "--no-deliver")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			require.NoError(t, cmd.Start())
			// The fetch has started once the store holds the run's lease.
			require.Eventually(t, func() bool {
				st, err := store.Open(ctx, e.db)
				if err != nil {
					return false
				}
				defer st.Close()
				_, ok, _ := st.Holder(ctx, store.DigestLease)
				return ok
			}, 30*time.Second, 20*time.Millisecond)
			require.NoError(t, cmd.Process.Signal(tc.sig))
			err := cmd.Wait()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, errb.String())
			assert.Equal(t, tc.code, ee.ExitCode(), errb.String())
			assert.Empty(t, out.String(), "nothing printed")
			st, err := store.Open(ctx, e.db)
			require.NoError(t, err)
			defer st.Close()
			runs, err := st.Runs(ctx, "", 0)
			require.NoError(t, err)
			assert.Empty(t, runs, "nothing recorded")
			_, held, err := st.Holder(ctx, store.DigestLease)
			require.NoError(t, err)
			assert.False(t, held, "the lease is released")
		})
	}
}

// TestDigestCrashSafety kills 30 runs with SIGKILL at random moments (while
// fetching, analysing, recording, delivering), each followed by a clean run.
// Every offered item ends up delivered in exactly one digest; a digest may
// reach the webhook twice only in the documented window (accepted, then
// killed before the mark), always with the same key and body, so an
// idempotent receiver takes it once; every file is whole.
func TestDigestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("60 runs")
	}
	e := newDeliveryEnv(t, 2, false)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	r := e.run(ctx, t)
	require.Equal(t, 0, r.code, r.stderr)
	clean := time.Since(start)
	rng := rand.New(rand.NewPCG(8, uint64(time.Now().UnixNano())))
	killedAfter := make([]time.Duration, 0, 30)
	for i := range 30 {
		cmd := e.command(ctx, t)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		require.NoError(t, cmd.Start())
		d := time.Duration(rng.Int64N(int64(clean + clean/4)))
		time.Sleep(d)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		killedAfter = append(killedAfter, d.Round(time.Millisecond))

		cleanStart := time.Now()
		r := e.run(ctx, t)
		require.Equal(t, 0, r.code, "clean run after kill %d (after %s): %s", i, d, r.stderr)
		clean = time.Since(cleanStart) // the next kill falls anywhere in a run of today's size
	}
	digests, dups := e.checkExactlyOnce(t, ctx)
	offered, _ := e.feed.state()
	t.Logf("clean run %s; kills after %v; %d items offered in %d digests; %d second copies at the webhook (the window)",
		clean.Round(time.Millisecond), killedAfter, offered, digests, dups)
}

// TestDigestHostileFeed runs the built binary on a feed whose titles are
// 120,000 characters of "(2024)", carry line breaks, escapes and bidi
// controls, and whose links are javascript:, data: or file: URLs: the digest
// is built at once, no such URL becomes a link, no title starts a line.
func TestDigestHostileFeed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items := []struct{ title, link string }{
			{"Sparse attention " + strings.Repeat("(2024)", 20_000), "https://ok.example/long"},
			{"Sparse attention click me", "javascript:alert(document.cookie)"},
			{"Sparse attention data", "data:text/html;base64,PHNjcmlwdD4="},
			{"Sparse attention file", "file:///etc/passwd"},
			{"Sparse attention harmless&#10;■ fake topic heading", "https://ok.example/newline"},
			{"Sparse attention \x1b[2J escapes &#x202E;gnp.exe", "https://ok.example/escapes"},
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>hostile</title><link>https://ok.example/</link><description>d</description>`)
		for i, it := range items {
			fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><guid>g%d</guid><description>Sparse attention item %d.</description></item>`,
				strings.ReplaceAll(it.title, "\x1b", "&#27;"), it.link, i, i)
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`http: {cache: "off", retries: 0}
feeds: {keep_off_topic: true}
sources:
  - {name: hostile, kind: feed, url: %q}
digest:
  topics: [sparse attention]
`, srv.URL)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, format := range []string{"markdown", "text", "html"} {
		t.Run(format, func(t *testing.T) {
			r := research(t, ctx, "digest", "--config", cfg, "--dry-run", "--no-pages", "--format", format,
				"--store", filepath.Join(t.TempDir(), "d.db"))
			require.Equal(t, 0, r.code, r.stderr)
			lower := strings.ToLower(r.stdout)
			assert.Contains(t, lower, "sparse attention click me", "the article is listed, as text")
			assert.Contains(t, lower, "ok.example/long", "the long title is listed")
			t.Logf("%s: %d bytes; stderr: %s", format, len(r.stdout), r.stderr)
			assert.NotRegexp(t, `\]\((javascript|data|vbscript|file):`, lower)
			assert.NotRegexp(t, `href="(javascript|data|vbscript|file):`, lower)
			assert.NotContains(t, lower, "alert(document.cookie)")
			assert.NotContains(t, lower, "/etc/passwd")
			for _, line := range strings.Split(r.stdout, "\n") {
				assert.False(t, strings.HasPrefix(strings.TrimSpace(line), "■ fake"), "a title opened a line: %q", line)
			}
			for _, c := range []string{"\x1b", "\u202E"} {
				assert.NotContains(t, r.stdout, c)
			}
		})
	}
}

// TestNetworkTextInProgressLinesIsSanitised: what a hostile server answers
// reaches -v lines and `sources check` on one line, without escapes or bidi
// controls (the one sanitiser, internal/textsafe).
func TestNetworkTextInProgressLinesIsSanitised(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A search API's error message, which the agent reports (JSON escapes
		// decode to real controls).
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message": "boom \u001b]0;pwned\u0007\u001b[2J \u202eevil\n■ fake line\r\nmore"}`)
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("http: {cache: \"off\", retries: 0}\nsources:\n  - {name: hostile, kind: hackernews, url: %q}\n", srv.URL)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"-v", "--no-pages", "--config", cfg, "sparse attention"},
		{"digest", "-v", "--dry-run", "--no-pages", "--config", cfg, "--topic", "sparse attention", "--store", filepath.Join(t.TempDir(), "d.db")},
		{"sources", "check", "--config", cfg},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := research(t, ctx, args...)
			all := r.stdout + r.stderr
			assert.Contains(t, all, "hostile")
			assert.Contains(t, all, "boom", "the server's message is shown")
			for _, c := range []string{"\x1b", "\x07", "\u202E", "\r"} {
				assert.NotContains(t, all, c)
			}
			for _, line := range strings.Split(all, "\n") {
				assert.False(t, strings.HasPrefix(strings.TrimSpace(line), "■ fake"), "a server's answer opened a line: %q", line)
			}
		})
	}
}
