// Package pgtest gives tests a PostgreSQL database: the server named by
// RESEARCH_TEST_POSTGRES, or else a throwaway cluster on loopback that this
// package starts once per test binary (initdb + pg_ctl, as the postgres user
// when running as root, since PostgreSQL refuses root) and Main stops. Each
// test gets a database of its own. Without PostgreSQL a test skips with a
// clear message, or fails when RESEARCH_TEST_STRICT=1 (set by .ci/run).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names, shared with the rest of the project's tests.
const (
	EnvURL    = "RESEARCH_TEST_POSTGRES"
	EnvStrict = "RESEARCH_TEST_STRICT"
)

var (
	once    sync.Once
	baseURL string
	startEr error
	stop    func()
)

// Main runs the package's tests and stops the cluster if one was started.
// Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if stop != nil {
		stop()
	}
	return code
}

// Strict reports whether a missing service must fail the test instead of skipping.
func Strict() bool { return os.Getenv(EnvStrict) == "1" }

// Unavailable skips t (or fails it under RESEARCH_TEST_STRICT=1) with why.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if Strict() {
		t.Fatalf("PostgreSQL is required (%s=1): %s", EnvStrict, why)
	}
	t.Skipf("PostgreSQL not available, skipping: %s (set %s, or install PostgreSQL: see .ci/run)", why, EnvURL)
}

// URL returns the URL of a new, empty database for t, dropped at t's end.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			baseURL = u
			return
		}
		baseURL, stop, startEr = startCluster()
	})
	if startEr != nil {
		Unavailable(t, startEr.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		Unavailable(t, fmt.Sprintf("connect to %s: %v", redact(baseURL), err))
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "research_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, baseURL)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the URL"
	}
	return u.Redacted()
}

// BinDir is the newest /usr/lib/postgresql/*/bin holding initdb, or the
// directory of initdb on PATH.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) > 0 {
		sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
		return filepath.Dir(dirs[len(dirs)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH")
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// startCluster runs initdb and pg_ctl start on a free loopback port in a new
// directory, and returns the server's URL and how to stop it.
func startCluster() (string, func(), error) {
	bin, err := BinDir()
	if err != nil {
		return "", nil, err
	}
	// Not t.TempDir: its parent is 0700, which the postgres user cannot enter.
	dir, err := os.MkdirTemp("", "research-pg-")
	if err != nil {
		return "", nil, err
	}
	var asUser []string // the command prefix that runs as the postgres user
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, errors.New("running as root and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		rp, err := exec.LookPath("runuser")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, errors.New("running as root and runuser is missing")
		}
		asUser = []string{rp, "-u", "postgres", "--"}
	}
	run := func(name string, args ...string) error {
		argv := append(append(append([]string{}, asUser...), filepath.Join(bin, name)), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	if err := run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("%w; server log: %s", err, strings.TrimSpace(string(log)))
	}
	stopFn := func() {
		_ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), stopFn, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
