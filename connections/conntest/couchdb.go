package conntest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvCouchDB names a CouchDB server for the tests (http://host:5984, with
// user info if it needs a login). Unset, the tests start npm's
// pouchdb-server, which speaks CouchDB's HTTP API, in memory.
const EnvCouchDB = "SCOPESTORE_TEST_COUCHDB"

// PouchDBVersion is the pouchdb-server that the tests install when they
// find none (and that .ci/run installs).
const PouchDBVersion = "4.2.0"

// couchStartTimeout bounds the wait for a pouchdb-server to answer.
const couchStartTimeout = 30 * time.Second

// installTimeout bounds npm install, which takes one to four minutes
// (longer on a loaded machine); go test's own -timeout (10m) bounds it too.
const installTimeout = 8 * time.Minute

// howToRunCouchDB is the part of a skip's message that says what to do.
var howToRunCouchDB = "set " + EnvCouchDB + "=http://127.0.0.1:5984, or install Node 20 and npm so that the tests install pouchdb-server from the lockfile in connections/conntest/pouchdb " +
	"with npm ci into ~/.cache/scopestore/pouchdb-server, pouchdb-server@" + PouchDBVersion + "), or run bash .ci/run"

var shared struct {
	once sync.Once
	url  string
	err  error
}

// CouchDBURL returns the URL of the test CouchDB server, without a trailing
// slash: SCOPESTORE_TEST_COUCHDB, or a pouchdb-server in memory that the
// first call of the test binary starts on a free port and that ends with
// the test binary. Without Node and npm, and with no server named, the test
// is skipped, or fails under SCOPESTORE_TEST_REQUIRE_SERVICES=1.
func CouchDBURL(tb testing.TB) string {
	tb.Helper()
	if v := os.Getenv(EnvCouchDB); v != "" {
		return trimSlash(v)
	}
	shared.once.Do(func() {
		srv, err := startPouchDB(0)
		if err != nil {
			shared.err = err
			return
		}
		shared.url = srv.url
	})
	if shared.err != nil {
		couchMissing(tb, shared.err)
	}
	return shared.url
}

// CouchDBDatabase returns the URL of a database on the test CouchDB server
// that no other test uses, not created yet (the store creates it), and
// deletes it when the test ends.
func CouchDBDatabase(tb testing.TB) string {
	tb.Helper()
	db := CouchDBURL(tb) + "/" + randomName()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, db, nil)
		if err != nil {
			tb.Errorf("conntest: delete database: %v", err)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Errorf("conntest: delete database %s: %v", db, err)
			return
		}
		_ = resp.Body.Close()
	})
	return db
}

// CouchServer is a pouchdb-server of a test's own, in memory, which the
// test stops and starts again for outage tests. Stopped, it loses its data.
type CouchServer struct {
	tb  testing.TB
	url string
	srv *pouchServer
}

// StartCouchServer starts a pouchdb-server on a free loopback port for
// this test, and stops it when the test ends. It skips the test as
// CouchDBURL does when pouchdb-server cannot be had.
func StartCouchServer(tb testing.TB) *CouchServer {
	tb.Helper()
	srv, err := startPouchDB(0)
	if err != nil {
		couchMissing(tb, err)
	}
	s := &CouchServer{tb: tb, url: srv.url, srv: srv}
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's URL, without a trailing slash.
func (s *CouchServer) URL() string { return s.url }

// Stop kills the server (SIGKILL) and waits until it is gone.
func (s *CouchServer) Stop() {
	if s.srv != nil {
		s.srv.stop()
		s.srv = nil
	}
}

// Start starts the server again on the same port, empty.
func (s *CouchServer) Start() {
	s.tb.Helper()
	if s.srv != nil {
		return
	}
	srv, err := startPouchDB(s.port())
	if err != nil {
		s.tb.Fatalf("conntest: start pouchdb-server again: %v", err)
	}
	s.srv = srv
}

func (s *CouchServer) port() int {
	u := s.url[len("http://"):]
	_, port, _ := net.SplitHostPort(u)
	n, _ := strconv.Atoi(port)
	return n
}

// couchMissing ends a test that has no CouchDB server.
func couchMissing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv(EnvRequireServices) == "1" {
		tb.Fatalf("no CouchDB server for the tests (%s=1 requires one; %s): %v", EnvRequireServices, howToRunCouchDB, err)
	}
	tb.Skipf("no CouchDB server for the tests (%s): skipping: %v", howToRunCouchDB, err)
}

// pouchServer is a running pouchdb-server process.
type pouchServer struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// watchdog runs pouchdb-server's main script and ends the process when its
// standard input closes, which the OS does when the test binary exits,
// however it exits: no server outlives the tests.
const watchdog = `process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
require(process.argv[1]);`

// startPouchDB starts pouchdb-server in memory on port (0: a free one) and
// waits until it answers.
func startPouchDB(port int) (*pouchServer, error) {
	bin, err := pouchDBScript()
	if err != nil {
		return nil, err
	}
	if port == 0 {
		if port, err = freeCouchPort(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "scopestore-pouchdb-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", "-e", watchdog, bin,
		"--in-memory", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--config", filepath.Join(dir, "config.json"), "--no-stdout-logs", "--no-color")
	// pouchdb-server writes its log.txt in the working directory.
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pouchdb-server: %w", err)
	}
	s := &pouchServer{url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		_ = stdin.Close()
		_ = os.RemoveAll(dir)
		close(s.done)
	}()
	deadline := time.Now().Add(couchStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("pouchdb-server (%s) exited at start", bin)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(s.url + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("pouchdb-server did not answer on port %d within %v", port, couchStartTimeout)
}

// stop kills the server and waits for it.
func (s *pouchServer) stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// freeCouchPort returns a loopback port that nothing listens on now.
func freeCouchPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pouchDBScript finds pouchdb-server's main script: the pouchdb-server on
// PATH, or the one installed under the user's cache directory, which it
// installs there with npm when it is missing.
func pouchDBScript() (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node is not installed")
	}
	if p, err := exec.LookPath("pouchdb-server"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return real, nil
		}
	}
	dir, err := PouchDBDir()
	if err != nil {
		return "", err
	}
	script := filepath.Join(dir, "node_modules", "pouchdb-server", "bin", "pouchdb-server")
	if pouchDBCurrent(dir, script) {
		return script, nil
	}
	if err := installPouchDB(dir); err != nil {
		return "", err
	}
	return script, nil
}

// PouchDBDir is where the tests and .ci/run install pouchdb-server:
// scopestore/pouchdb-server under the user's cache directory
// (~/.cache/scopestore/pouchdb-server).
func PouchDBDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "scopestore", "pouchdb-server"), nil
}

// The pouchdb-server that the tests run, as npm ci installs it from this
// lockfile: the same packages on every machine, checked by their hashes.
//
//go:embed pouchdb/package.json
var pouchDBPackage []byte

//go:embed pouchdb/package-lock.json
var pouchDBLock []byte

// pouchDBCurrent tells whether dir holds pouchdb-server installed from the
// lockfile above.
func pouchDBCurrent(dir, script string) bool {
	if _, err := os.Stat(script); err != nil {
		return false
	}
	lock, err := os.ReadFile(filepath.Join(dir, pouchDBInstalled))
	return err == nil && bytes.Equal(lock, pouchDBLock)
}

// pouchDBInstalled is the copy of the lockfile that installPouchDB writes
// once npm ci has installed from it, so that an install cut short is done
// again.
const pouchDBInstalled = "installed-package-lock.json"

// installPouchDB runs npm ci into dir from the lockfile, under a file lock,
// so that the test binaries that go test runs side by side install it once.
func installPouchDB(dir string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("pouchdb-server is not installed and npm is missing")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if pouchDBCurrent(dir, filepath.Join(dir, "node_modules", "pouchdb-server", "bin", "pouchdb-server")) {
		return nil // another test binary installed it meanwhile
	}
	_ = os.Remove(filepath.Join(dir, pouchDBInstalled))
	if err := os.WriteFile(filepath.Join(dir, "package.json"), pouchDBPackage, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), pouchDBLock, 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci (pouchdb-server@%s) in %s: %w: %s", PouchDBVersion, dir, err, lastLines(out, 5))
	}
	return os.WriteFile(filepath.Join(dir, pouchDBInstalled), pouchDBLock, 0o644)
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) string {
	end := len(out)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '\n' && i < len(out)-1 {
			n--
			if n == 0 {
				return string(out[i+1 : end])
			}
		}
	}
	return string(out)
}

// trimSlash drops a trailing slash.
func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
