package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds how long a child may take to say where it listens.
const startTimeout = 60 * time.Second

// stopTimeout is how long a child gets to stop after SIGTERM before SIGKILL.
const stopTimeout = 10 * time.Second

// listening matches the log line in which scopestore, or scopebench -serve,
// says where it listens: msg="scopestore listening" addr=http://127.0.0.1:41234.
var listening = regexp.MustCompile(`msg="(?:scopestore|scopebench) listening".*\baddr=(http://\S+)`)

// child is a server running as a child process: scopestore or a bare server.
type child struct {
	name string
	cmd  *exec.Cmd
	// addr is the server's base URL, http://127.0.0.1:port.
	addr string
	// exited is closed when the process has ended.
	exited chan struct{}
	stop   sync.Once

	mu   sync.Mutex
	tail []string // the last lines of its log, for error messages
}

// startChild runs a server and waits until it logs its address. Its standard
// error is copied to logPath.
func startChild(ctx context.Context, name, path string, args []string, env []string, logPath string) (*child, error) {
	return startChildIn(ctx, "", name, path, args, env, logPath)
}

// startChildIn is startChild with the child's working directory dir ("":
// scopebench's own).
func startChildIn(ctx context.Context, dir, name, path string, args []string, env []string, logPath string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logFile
	stderr, err := cmd.StderrPipe()
	if err != nil {
		_ = logFile.Close()
		return nil, err
	}
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		c.follow(stderr, logFile, addr)
	}()
	go func() {
		<-copied
		_ = cmd.Wait()
		_ = logFile.Close()
		close(c.exited)
	}()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case c.addr = <-addr:
		return c, nil
	case <-c.exited:
		return nil, fmt.Errorf("%s exited before listening (%v); its log ends:\n%s", name, cmd.ProcessState, c.logTail())
	case <-timer.C:
		c.Stop()
		return nil, fmt.Errorf("%s did not say where it listens within %s; its log ends:\n%s", name, startTimeout, c.logTail())
	case <-ctx.Done():
		c.Stop()
		return nil, ctx.Err()
	}
}

// follow copies the child's log lines to w, keeps the last few, and sends
// the address of the first listening line.
func (c *child) follow(r io.Reader, w io.Writer, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		_, _ = fmt.Fprintln(w, line)
		c.mu.Lock()
		c.tail = append(c.tail, line)
		if len(c.tail) > 20 {
			c.tail = c.tail[len(c.tail)-20:]
		}
		c.mu.Unlock()
		if m := listening.FindStringSubmatch(line); m != nil && !sent {
			addr <- m[1]
			sent = true
		}
	}
	// A line too long for the scanner: keep draining, so that the child never blocks on its log.
	_, _ = io.Copy(w, r)
}

func (c *child) logTail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "  " + strings.Join(c.tail, "\n  ")
}

// Stop ends the child: SIGTERM, then SIGKILL after stopTimeout. It waits for
// the process to end and may be called more than once.
func (c *child) Stop() {
	c.stop.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(stopTimeout):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
}

// RSS returns the child's resident set size in MiB, from /proc/<pid>/status.
func (c *child) RSS() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read the RSS of %s (Linux only): %w", c.name, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return kb / 1024, nil
				}
			}
		}
	}
	return 0, errors.New("no VmRSS line in /proc/<pid>/status of " + c.name)
}

// childEnv is the environment of every child: this process's, without any
// SCOPESTORE_ variable (a shared config store named there must never be
// touched), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCOPESTORE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
