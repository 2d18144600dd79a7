// Package pgtest gives tests a PostgreSQL database of their own on a
// throw-away cluster: the first test of a process that asks runs initdb
// into a temporary directory and starts the server on a Unix socket there;
// every test then gets a fresh database, dropped when it ends. The cluster
// stops, and its directory goes, when the test process exits, however it
// exits: a watchdog shell holds the server and stops it when the pipe from
// the test process closes.
//
// Tests run on PostgreSQL when PARTNERDESK_TEST_DB=postgres (.ci/run runs
// the suite once per backend); without PostgreSQL's binaries on the PATH
// they are skipped, saying why.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Requested reports whether the tests are to run on PostgreSQL.
func Requested() bool { return os.Getenv("PARTNERDESK_TEST_DB") == "postgres" }

// Only skips t unless the tests run on PostgreSQL, saying that what it
// tests needs it.
func Only(t testing.TB, what string) {
	t.Helper()
	if !Requested() {
		t.Skipf("%s needs PostgreSQL: run with PARTNERDESK_TEST_DB=postgres (.ci/run does)", what)
	}
}

var (
	once    sync.Once
	cluster struct {
		socketDir string
		err       error
	}
	seq atomic.Int64
)

// URL creates an empty database on the process's cluster, starting the
// cluster first if need be, and returns its postgres:// URL. The database
// is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if cluster.err != nil {
		if _, err := exec.LookPath("initdb"); err != nil {
			t.Skipf("PARTNERDESK_TEST_DB=postgres, but PostgreSQL's initdb is not on the PATH (%v): install PostgreSQL 15's server binaries to run the tests on PostgreSQL", err)
		}
		t.Fatalf("starting the test PostgreSQL cluster: %v", cluster.err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	admin(t, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin(t, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return url(name)
}

func url(db string) string {
	return "postgres://postgres@/" + db + "?host=" + cluster.socketDir + "&sslmode=disable"
}

// admin runs one statement on the cluster's maintenance database.
func admin(t testing.TB, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url("postgres"))
	if err != nil {
		t.Fatalf("connecting to the test cluster: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// watchdog starts postgres, then waits for its standard input to close
// (the test process exited) and stops the server with a fast shutdown and
// removes the cluster.
const watchdog = `dir="$1"; shift
"$@" >"$dir/log" 2>&1 </dev/null &
pid=$!
trap '' INT TERM
cat >/dev/null
kill -INT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$dir"`

func start() {
	dir, err := os.MkdirTemp("", "pdpg")
	if err != nil {
		cluster.err = err
		return
	}
	fail := func(err error) {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		cluster.err = fmt.Errorf("%w\n%s", err, log)
		os.RemoveAll(dir)
	}
	as, err := unprivileged(dir)
	if err != nil {
		fail(err)
		return
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(as[0], append(as[1:], "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")...)
	if out, err := initdb.CombinedOutput(); err != nil {
		cluster.err = fmt.Errorf("initdb: %w\n%s", err, out)
		os.RemoveAll(dir)
		return
	}
	// Durability is not what these tests are about: fsync off makes
	// creating a database per test cheap.
	cmd := exec.Command("sh", append([]string{"-c", watchdog, "pgtest", dir}, append(as,
		"postgres", "-D", data, "-k", dir, "-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=400", "-c", "shared_buffers=32MB")...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fail(err)
		return
	}
	if err := cmd.Start(); err != nil {
		fail(err)
		return
	}
	// The pipe stays open for as long as this process lives; the
	// watchdog reads EOF when it ends.
	keep = stdin
	cluster.socketDir = dir
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, url("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return
		}
		if time.Now().After(deadline) {
			fail(fmt.Errorf("the server did not accept connections: %w", err))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unprivileged returns the command prefix that runs PostgreSQL's programs,
// which refuse to run as root: as the postgres user (or nobody) when this
// process is root, owning dir; nothing otherwise.
func unprivileged(dir string) ([]string, error) {
	if os.Geteuid() != 0 {
		return []string{"env"}, nil
	}
	var u *user.User
	var err error
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("running as root, and no postgres or nobody user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return []string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups"}, nil
}

// keep holds the watchdog's standard input open.
var keep any
