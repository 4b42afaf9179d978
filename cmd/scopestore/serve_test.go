package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds scopestore once per test into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scopestore")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a scopestore process serving on a free port.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs chan string
	done chan error
}

var listenLine = regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)

// startServer runs `scopestore serve` on a free port and waits until it
// logs its address.
func startServer(t *testing.T, bin, dataDir string) *server {
	t.Helper()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "SCOPESTORE_DATA_DIR="+dataDir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: make(chan string, 1000), done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := listenLine.FindStringSubmatch(line); m != nil && strings.Contains(line, "scopestore listening") {
				found <- m[1]
			}
			select {
			case s.logs <- line:
			default:
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case s.url = <-found:
		return s
	case err := <-s.done:
		t.Fatalf("scopestore exited before listening: %v\n%s", err, drain(s.logs))
	case <-time.After(30 * time.Second):
		t.Fatalf("scopestore did not log its address\n%s", drain(s.logs))
	}
	return nil
}

func drain(logs chan string) string {
	var b strings.Builder
	for {
		select {
		case l := <-logs:
			b.WriteString(l + "\n")
		default:
			return b.String()
		}
	}
}

// stop sends sig and waits for the process to end.
func (s *server) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("scopestore did not stop")
	}
	return nil
}

func (s *server) request(t *testing.T, method, path, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var cfidField = regexp.MustCompile(`"cfid":"([0-9a-f-]{36})"`)

func TestServe_Restart(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	code, out, errOut := cli(t, dir, "", "app", "create", "shop")
	if code != exitOK {
		t.Fatalf("app create: %s", errOut)
	}
	key := strings.TrimSpace(out)

	for _, stop := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGKILL", syscall.SIGKILL}} {
		t.Run(stop.name, func(t *testing.T) {
			srv := startServer(t, bin, dir)
			status, body := srv.request(t, "POST", "/api/v1/apps/shop/clients", key, `{"data":{"lang":"de"}}`)
			if status != http.StatusCreated {
				t.Fatalf("create client: %d %s", status, body)
			}
			client := cfidField.FindStringSubmatch(body)[1]
			if status, body = srv.request(t, "PATCH", "/api/v1/apps/shop/clients/"+client, key, `{"incr":{"visits":1}}`); status != http.StatusOK {
				t.Fatalf("patch client: %d %s", status, body)
			}
			status, body = srv.request(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"user":"ann"}}`)
			if status != http.StatusCreated {
				t.Fatalf("create session: %d %s", status, body)
			}
			session := cfidField.FindStringSubmatch(body)[1]

			err := srv.stop(t, stop.sig)
			logs := drain(srv.logs)
			if stop.sig == syscall.SIGTERM && (err != nil || !strings.Contains(logs, "msg=stopped")) {
				t.Fatalf("graceful stop: exit %v\n%s", err, logs)
			}

			srv = startServer(t, bin, dir)
			// The client scope lives in file storage: it survives, with every answered save.
			status, body = srv.request(t, "GET", "/api/v1/apps/shop/clients/"+client, key, "")
			if status != http.StatusOK || !strings.Contains(body, `"data":{"lang":"de","visits":1}`) {
				t.Fatalf("client scope after restart: %d %s", status, body)
			}
			// The session lived in memory storage: gone, as documented.
			if status, body = srv.request(t, "GET", "/api/v1/apps/shop/sessions/"+session, key, ""); status != http.StatusNotFound {
				t.Fatalf("memory session after restart: %d %s", status, body)
			}
			_ = srv.stop(t, syscall.SIGTERM)
		})
	}
}
