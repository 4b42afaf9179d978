package connections

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// wrongPassword is the password of the definitions that must not log in.
const wrongPassword = "Wrong-pw-9"

// verifyEvery creates each definition through the manager, then checks that
// Verify passes, that the registry's store answers, and that the kept
// outcome and the lists show no password; wrong, created with a wrong
// password, must fail without showing either.
func verifyEvery(t *testing.T, defs []scopes.Connection, wrong scopes.Connection) {
	t.Helper()
	dir := t.TempDir()
	m, cs, raw := openManagerIn(t, dir)
	ctx := context.Background()
	for i, def := range defs {
		def.Name, def.Storage = fmt.Sprintf("%s-%d", def.Type, i), true
		if err := m.Create(ctx, def); err != nil {
			t.Fatalf("create %s: %v", def.Name, err)
		}
		checkRow(t, raw, cs, def.Name)
		checkShown(t, m, def.Name)
		hs, err := m.Verify(ctx, def.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if h.Err != nil {
				t.Errorf("%s: check %s: %v", def.Name, h.Name, h.Err)
			}
		}
		st, err := m.registry.Store(ctx, def.Name)
		if err != nil {
			t.Fatalf("%s: open: %v", def.Name, err)
		}
		if err := st.Ping(ctx); err != nil {
			t.Errorf("%s: ping: %v", def.Name, err)
		}
		if c, _ := m.Connection(ctx, def.Name); !c.Verified.OK {
			t.Errorf("%s: kept %+v", def.Name, c.Verified)
		}
	}
	wrong.Name = "wrong"
	if err := m.Create(ctx, wrong); err != nil {
		t.Fatal(err)
	}
	hs, err := m.Verify(ctx, "wrong")
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	for _, h := range hs {
		if h.Err != nil {
			failed = true
			if f := showsPassword(h.Err.Error() + scopes.ErrorMessage(h.Err)); f != "" || strings.Contains(h.Err.Error(), wrongPassword) {
				t.Errorf("check %s shows a password: %v", h.Name, h.Err)
			}
		}
	}
	c, _ := m.Connection(ctx, "wrong")
	if !failed || c.Verified.OK || strings.Contains(c.Verified.Message, wrongPassword) {
		t.Errorf("a wrong password passed, or its kept outcome shows it: %+v", c.Verified)
	}
}

// A MariaDB user whose password holds '@', ':', '/', '?' and '#' logs in
// with the password written into the dsn, as a password= parameter, or
// apart.
func TestMySQLPasswordInDSN(t *testing.T) {
	base := conntest.MySQLDSN(t)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	user := "sst_pw_" + strings.TrimPrefix(cfg.DBName, "scopestore_t_")
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, host := range []string{"%", "localhost"} {
		for _, stmt := range []string{
			fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, host, testPassword),
			fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'%s'", cfg.DBName, user, host),
		} {
			if _, err := admin.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", strings.Replace(stmt, testPassword, "…", 1), err)
			}
		}
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		for _, host := range []string{"%", "localhost"} {
			if _, err := db.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%s'", user, host)); err != nil {
				t.Errorf("drop user %s: %v", user, err)
			}
		}
	})
	host, port, _ := net.SplitHostPort(cfg.Addr)
	at := "@tcp(" + cfg.Addr + ")/" + cfg.DBName
	verifyEvery(t, []scopes.Connection{
		{Type: "mysql", Params: map[string]string{"dsn": user + ":" + testPassword + at}},
		{Type: "mysql", Params: map[string]string{"dsn": "mysql://" + user + ":" + testPassword + at + "?parseTime=true"}},
		{Type: "mysql", Params: map[string]string{"dsn": user + at + "?password=" + url.QueryEscape(testPassword)}},
		{Type: "mysql", Params: map[string]string{"dsn": user + at}, Secret: testPassword},
		{Type: "mysql", Params: map[string]string{"host": host, "port": port, "database": cfg.DBName, "username": user}, Secret: testPassword},
	}, scopes.Connection{Type: "mysql", Params: map[string]string{"dsn": user + ":" + wrongPassword + at}})
}

// A PostgreSQL URL with the password in its user info or as a password=
// parameter, and the keyword/value form, open the database. The test
// server trusts loopback, so a wrong password is not refused there: this
// checks that the url without the password still reaches the database.
func TestPostgresPasswordInURL(t *testing.T) {
	u, err := url.Parse(conntest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	user := u.User.Username()
	db := strings.TrimPrefix(u.Path, "/")
	withUser := *u
	withUser.User = url.UserPassword(user, testPassword)
	withQuery := *u
	q := withQuery.Query()
	q.Set("password", testPassword)
	withQuery.RawQuery = q.Encode()
	keywords := fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable password='%s'", u.Hostname(), u.Port(), user, db, testPassword)
	defs := []scopes.Connection{
		{Type: "postgres", Params: map[string]string{"url": withUser.String()}},
		{Type: "postgres", Params: map[string]string{"url": withQuery.String()}},
		{Type: "postgres", Params: map[string]string{"url": keywords}},
		{Type: "postgres", Params: map[string]string{"url": u.String()}, Secret: testPassword},
	}
	dir := t.TempDir()
	m, cs, raw := openManagerIn(t, dir)
	ctx := context.Background()
	for i, def := range defs {
		def.Name, def.Storage = fmt.Sprintf("pg-%d", i), true
		if err := m.Create(ctx, def); err != nil {
			t.Fatalf("create %s: %v", def.Name, err)
		}
		checkRow(t, raw, cs, def.Name)
		hs, err := m.Verify(ctx, def.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if h.Err != nil {
				t.Errorf("%s: check %s: %v", def.Name, h.Name, h.Err)
			}
		}
	}
}

// A Redis of the test's own that requires a password holding '@', ':',
// '/', '?' and '#' is reached with the password in the url's user info,
// as a password= parameter (which go-redis itself refuses), or apart.
func TestRedisPasswordInURL(t *testing.T) {
	addr := ownRedisWithPassword(t, testPassword)
	host, port, _ := net.SplitHostPort(addr)
	prefix := map[string]string{"prefix": "sst-pw:"}
	with := func(p map[string]string) map[string]string {
		for k, v := range prefix {
			p[k] = v
		}
		return p
	}
	verifyEvery(t, []scopes.Connection{
		{Type: "redis", Params: with(map[string]string{"url": "redis://" + url.UserPassword("", testPassword).String() + "@" + addr + "/0"})},
		{Type: "redis", Params: with(map[string]string{"url": "redis://:" + url.PathEscape(testPassword) + "@" + addr + "/0"})},
		{Type: "redis", Params: with(map[string]string{"url": "redis://" + addr + "/0?password=" + url.QueryEscape(testPassword)})},
		{Type: "redis", Params: with(map[string]string{"host": host, "port": port}), Secret: testPassword},
	}, scopes.Connection{Type: "redis", Params: with(map[string]string{"url": "redis://:" + wrongPassword + "@" + addr + "/0"})})
}

// ownRedisWithPassword starts a redis-server of the test's own on a free
// loopback port, requiring password, and stops it when the test ends.
func ownRedisWithPassword(t *testing.T, password string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(conntest.EnvRequireServices) == "1" {
			t.Fatalf("redis-server not found (%s=1 requires it; bash .ci/run installs it)", conntest.EnvRequireServices)
		}
		t.Skip("redis-server not found: install Debian's redis-server to run this test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--requirepass", password)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c := goredis.NewClient(&goredis.Options{Addr: addr, Password: password})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c.Ping(t.Context()).Err() == nil {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start", addr)
		}
	}
}
