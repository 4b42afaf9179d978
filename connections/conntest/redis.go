package conntest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisURL returns the redis:// (or rediss://) URL of the test Redis server,
// SCOPESTORE_TEST_REDIS (default redis://127.0.0.1:6379/0), after checking
// that it answers PING. Tests that share it should keep their keys under a
// RedisPrefix.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	raw, u := redisBase(tb)
	c := dialRedis(tb, u)
	_ = c.Close()
	return raw
}

// RedisPrefix returns a key prefix that no other test run uses
// ("scopestore_t_<random>:"), on the server RedisURL returns, and deletes the
// keys under it when the test ends.
func RedisPrefix(tb testing.TB) string {
	tb.Helper()
	_, u := redisBase(tb)
	c := dialRedis(tb, u)
	_ = c.Close()
	prefix := randomName() + ":"
	tb.Cleanup(func() {
		if err := deleteRedisPrefix(u, prefix); err != nil {
			tb.Errorf("conntest: delete Redis keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

// redisBase reads SCOPESTORE_TEST_REDIS.
func redisBase(tb testing.TB) (string, *url.URL) {
	tb.Helper()
	raw := env(EnvRedis, DefaultRedis)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		tb.Fatalf("conntest: %s=%q is not a redis:// URL such as %s", EnvRedis, raw, DefaultRedis)
	}
	return raw, u
}

// dialRedis connects, authenticates, selects the URL's database and checks
// PING; a server that cannot be dialled skips the test (see reach), one
// that answers wrongly fails it.
func dialRedis(tb testing.TB, u *url.URL) *redisConn {
	tb.Helper()
	addr := redisAddr(u)
	c, err := newRedisConn(u)
	var dialErr *net.OpError
	if errors.As(err, &dialErr) && dialErr.Op == "dial" {
		unreachable(tb, "Redis", EnvRedis, addr, err)
	} else if err != nil {
		tb.Fatalf("conntest: Redis at %s: %v", addr, err)
	}
	return c
}

// redisAddr returns the URL's host:port, with Redis's default port.
func redisAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// redisConn speaks just enough RESP2 for the checks and the cleanup: this
// package does not depend on a Redis client.
type redisConn struct {
	net.Conn
	r *bufio.Reader
}

// newRedisConn dials the URL's server and prepares the session.
func newRedisConn(u *url.URL) (*redisConn, error) {
	addr := redisAddr(u)
	dialer := &net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	var err error
	if u.Scheme == "rediss" {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{ServerName: u.Hostname()})
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	c := &redisConn{Conn: conn, r: bufio.NewReader(conn)}
	if pass, ok := u.User.Password(); ok {
		args := []string{"AUTH", pass}
		if user := u.User.Username(); user != "" {
			args = []string{"AUTH", user, pass}
		}
		if _, err := c.do(args...); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
		if _, err := c.do("SELECT", db); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("SELECT %s: %w", db, err)
		}
	}
	reply, err := c.do("PING")
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("PING: %w", err)
	}
	if reply != "PONG" {
		_ = c.Close()
		return nil, fmt.Errorf("PING answered %v, not PONG", reply)
	}
	return c, nil
}

// do sends a command and reads its reply: a string, an int64, nil, a []any
// or, for an error reply, an error.
func (c *redisConn) do(args ...string) (any, error) {
	if err := c.SetDeadline(time.Now().Add(setupTimeout)); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return c.read()
}

// read reads one RESP2 reply.
func (c *redisConn) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply")
	}
	switch body := line[1:]; line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, errors.New(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]any, n)
		for i := range items {
			if items[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// deleteRedisPrefix deletes every key under prefix, walking the keyspace
// with SCAN (never KEYS, which blocks the server).
func deleteRedisPrefix(u *url.URL, prefix string) error {
	c, err := newRedisConn(u)
	if err != nil {
		return err
	}
	defer c.Close()
	cursor := "0"
	for {
		reply, err := c.do("SCAN", cursor, "MATCH", prefix+"*", "COUNT", "1000")
		if err != nil {
			return err
		}
		page, ok := reply.([]any)
		if !ok || len(page) != 2 {
			return fmt.Errorf("SCAN answered %v", reply)
		}
		cursor, _ = page[0].(string)
		keys, _ := page[1].([]any)
		if len(keys) > 0 {
			args := []string{"DEL"}
			for _, k := range keys {
				if s, ok := k.(string); ok {
					args = append(args, s)
				}
			}
			if _, err := c.do(args...); err != nil {
				return err
			}
		}
		if cursor == "0" || cursor == "" {
			return nil
		}
	}
}
