package connections

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// mustOpenManager is a Manager over a fresh SQLite config store.
func mustOpenManager(t *testing.T) (*Manager, *configstore.Store) {
	t.Helper()
	dir := t.TempDir()
	cs, err := configstore.Open(context.Background(), "", dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(dir, cs)
	t.Cleanup(func() { _ = reg.Close(); _ = cs.Close() })
	return NewManager(cs, reg, scopes.NewDirectory(cs, reg)), cs
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := scopes.Connection{Name: "9 lives", Type: "mysql", Params: map[string]string{
		"host": "db1", "port": "99999", "pool_size": "-3", "timeout": "90d12", "url": "x"}}
	err := Validate(&c)
	if scopes.ErrorCode(err) != scopes.EInvalid {
		t.Fatalf("Validate: %v", err)
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("the error carries no Problems: %#v", err)
	}
	got := ps.ByParam()
	want := map[string]string{
		"name":      "must start with a letter and hold only letters, digits, '_', '.' or '-', at most 64 characters",
		"port":      "must be a whole number from 1 to 65535",
		"pool_size": "must be a whole number from 1 to 10000",
		"timeout":   "must be a whole number of seconds from 1s, such as 2s, 10s or 1m",
		"url":       "does not apply to a MySQL connection, which takes dsn, host, port, database, username, strict, pool_size, timeout, prepare",
		"database":  "is required for a MySQL connection, or give a dsn instead",
	}
	for param, rule := range want {
		if len(got[param]) != 1 || got[param][0] != rule {
			t.Errorf("%s: %q, want %q", param, got[param], rule)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems %v", got)
	}
	// The command line reads them one per line, naming the flag.
	msg := scopes.ErrorMessage(err)
	for _, line := range []string{`--pool-size "-3" must be a whole number from 1 to 10000`, `--name "9 lives" must start with a letter`,
		"--database is required for a MySQL connection, or give --dsn instead"} {
		if !strings.Contains(msg, line) {
			t.Errorf("message lacks %q:\n%s", line, msg)
		}
	}

	// Missing parameters with the same alternative share a line.
	err = Validate(&scopes.Connection{Name: "db", Type: "mysql"})
	if got := scopes.ErrorMessage(err); got != "--host and --database are required for a MySQL connection, or give --dsn instead" {
		t.Errorf("nothing given: %q", got)
	}

	for name, rule := range map[string]string{"": "is required", "Memory": "is taken by a built-in storage"} {
		err := Validate(&scopes.Connection{Name: name, Type: "sqlite", Params: map[string]string{"file": "x.db"}})
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Param != "name" || !strings.HasPrefix(ps[0].Rule, rule) {
			t.Errorf("name %q: %v", name, err)
		}
	}
}

func TestManagerCheckStoresNothing(t *testing.T) {
	m, _ := mustOpenManager(t)
	ctx := context.Background()
	c := scopes.Connection{Name: "c1", Type: "redis", Params: map[string]string{"url": "redis://:pw12@h:1/0", "port": "0"}}
	if err := m.Check(c); scopes.ErrorCode(err) != scopes.EInvalid || !strings.Contains(scopes.ErrorMessage(err), "port") {
		t.Errorf("Check: %v", err)
	}
	if c.Params["url"] != "redis://:pw12@h:1/0" {
		t.Errorf("Check changed the caller's params: %v", c.Params)
	}
	delete(c.Params, "port")
	if err := m.Check(c); err != nil {
		t.Errorf("Check of a valid definition: %v", err)
	}
	if conns, _ := m.Connections(ctx); len(conns) != 0 {
		t.Errorf("Check stored %v", conns)
	}
}

func TestManagerKeepsTheLastVerify(t *testing.T) {
	m, _ := mustOpenManager(t)
	ctx := context.Background()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.Create(ctx, scopes.Connection{Name: "local", Type: "sqlite", Storage: true,
		Params: map[string]string{"file": filepath.Join(dir, "sessions.db")}}))
	// Nothing listens on port 1: connect fails, and the later steps are skipped.
	must(m.Create(ctx, scopes.Connection{Name: "gone", Type: "mysql", Storage: true, Secret: "hunter2-secret",
		Params: map[string]string{"host": "127.0.0.1", "port": "1", "database": "sessions", "timeout": "1"}}))

	before := time.Now()
	if _, err := m.Verify(ctx, "local"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	conns, err := m.Connections(ctx)
	must(err)
	byName := map[string]scopes.Connection{}
	for _, c := range conns {
		byName[c.Name] = c
	}
	if v := byName["local"].Verified; !v.OK || v.At.Before(before.Add(-time.Millisecond)) || v.Step != "" {
		t.Errorf("local kept %+v", v)
	}
	if v := byName["gone"].Verified; v.OK || v.Step != "connect" || v.Message == "" || strings.Contains(v.Message, "skipped") {
		t.Errorf("gone kept %+v", v)
	}

	// An edit forgets it: it was of the old definition.
	c := byName["local"]
	c.Storage = false
	must(m.Update(ctx, c, true))
	if c, _ = m.Connection(ctx, "local"); !c.Verified.At.IsZero() {
		t.Errorf("after an edit: %+v", c.Verified)
	}
}

func TestManagerRecordHealth(t *testing.T) {
	m, _ := mustOpenManager(t)
	ctx := context.Background()
	if err := m.Create(ctx, scopes.Connection{Name: "cache1", Type: "redis", Storage: true, Secret: "s3cret-pw",
		Params: map[string]string{"host": "127.0.0.1", "port": "1"}}); err != nil {
		t.Fatal(err)
	}
	health := func() scopes.ConnectionCheck {
		t.Helper()
		c, err := m.Connection(ctx, "cache1")
		if err != nil {
			t.Fatal(err)
		}
		return c.Health
	}
	down := scopes.Unavailable(`storage "cache1"`, errors.New("dial tcp 127.0.0.1:1: connection refused (auth s3cret-pw)"))
	t0 := time.Now()
	if err := m.RecordHealth(ctx, "cache1", t0, down); err != nil {
		t.Fatal(err)
	}
	h := health()
	if h.OK || !strings.Contains(h.Message, "connection refused") || strings.Contains(h.Message, "s3cret-pw") {
		t.Errorf("kept %+v", h)
	}
	// The same outcome a moment later is not written again; a change is.
	if err := m.RecordHealth(ctx, "cache1", t0.Add(time.Second), down); err != nil {
		t.Fatal(err)
	}
	if got := health(); !got.At.Equal(h.At) {
		t.Errorf("an unchanged outcome was written again: %v, then %v", h.At, got.At)
	}
	if err := m.RecordHealth(ctx, "cache1", t0.Add(2*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	if got := health(); !got.OK || got.Message != "" {
		t.Errorf("after it answered: %+v", got)
	}
	// The built-in storages are no connections: nothing to keep.
	if err := m.RecordHealth(ctx, "memory", t0, nil); err != nil {
		t.Errorf("memory: %v", err)
	}
}

func TestRefusalNamesWhoUsesTheConnection(t *testing.T) {
	m, _ := mustOpenManager(t)
	ctx := context.Background()
	if err := m.Create(ctx, scopes.Connection{Name: "shared", Type: "sqlite", Storage: true,
		Params: map[string]string{"file": filepath.Join(t.TempDir(), "s.db")}}); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"blog", "shop"} {
		if _, err := m.directory.CreateApp(ctx, app); err != nil {
			t.Fatal(err)
		}
		if _, err := m.directory.SetAppSettings(ctx, app, map[string]string{"clientStorage": "shared"}); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Delete(ctx, "shared")
	want := "Cannot delete connection shared: it holds the scopes of app blog and app shop. Change their session and client storage first."
	if scopes.ErrorCode(err) != scopes.EConflict || scopes.ErrorMessage(err) != want {
		t.Errorf("Delete: %v\nwant %q", err, want)
	}
}
