package configstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/migrations"
	"github.com/scopestore/scopestore/scopes"
)

var (
	testKey  = bytes.Repeat([]byte{0x5c}, SecretKeySize)
	otherKey = bytes.Repeat([]byte{0xa3}, SecretKeySize)
	// now has nanoseconds and a zone, which the store must drop alike in
	// every dialect.
	now = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))
)

func TestMain(m *testing.M) {
	// Every test opens a store, and every Open logs its migrations.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// backend gives each test a fresh, empty config database.
type backend struct {
	name string
	dsn  func(t *testing.T) string
}

var backends = []backend{
	{"sqlite", func(t *testing.T) string { return "" }},
	{"mariadb", func(t *testing.T) string { return "mysql://" + conntest.MySQLDSN(t) }},
	{"postgres", func(t *testing.T) string { return conntest.PostgresURL(t) }},
}

// env is one test's database: its DSN and data directory, and the store
// opened on them with testKey.
type env struct {
	dsn, dir string
	s        *Store
}

// open opens another store on the same database.
func (e *env) open(t *testing.T, key []byte) *Store {
	t.Helper()
	return mustOpen(t, e.dsn, e.dir, key)
}

func mustOpen(t *testing.T, dsn, dir string, key []byte, previous ...[]byte) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, dir, key, previous...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func hash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// wantCode fails the test unless err carries the code (nil for "").
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := scopes.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestStore runs every test against SQLite, MariaDB and PostgreSQL, each
// test on a database of its own.
func TestStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range slices.Concat(storeTests, adminStoreTests, tokenStoreTests, moveStoreTests) {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					e := &env{dsn: b.dsn(t), dir: t.TempDir()}
					e.s = e.open(t, testKey)
					tc.run(t, e)
				})
			}
		})
	}
}

var storeTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"ping and dialect", func(t *testing.T, e *env) {
		must(t, "Ping", e.s.Ping(context.Background()))
		if d := e.s.Dialect(); !slices.Contains(migrations.ConfigDialects, d) {
			t.Errorf("Dialect() = %q", d)
		}
	}},

	{"server layer is replaced whole", func(t *testing.T, e *env) {
		ctx := context.Background()
		l, err := e.s.ServerLayer(ctx)
		must(t, "ServerLayer", err)
		if l == nil || len(l) != 0 {
			t.Fatalf("new store: ServerLayer() = %#v, want an empty layer", l)
		}
		for i, want := range []scopes.Layer{
			{scopes.SessionStorage: {Value: "redis1", By: scopes.FromAdmin}, scopes.SessionTimeout: {Value: "1h", By: scopes.FromAdmin}},
			{scopes.ClientStorage: {Value: "file", By: scopes.FromAdmin}},
			{},
		} {
			must(t, "SetServerLayer", e.s.SetServerLayer(ctx, want))
			got, err := e.s.ServerLayer(ctx)
			must(t, "ServerLayer", err)
			if !maps.Equal(got, want) {
				t.Errorf("step %d: ServerLayer() = %v, want %v", i, got, want)
			}
		}
	}},

	{"server layer rejects bad entries", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "SetServerLayer", e.s.SetServerLayer(ctx, scopes.Layer{scopes.SessionTimeout: {Value: "2h", By: scopes.FromAdmin}}))
		err := e.s.SetServerLayer(ctx, scopes.Layer{strings.Repeat("x", 65): {Value: "1", By: scopes.FromAdmin}})
		wantCode(t, "long setting name", err, scopes.EInvalid)
		err = e.s.SetServerLayer(ctx, scopes.Layer{scopes.SessionTimeout: {Value: "1h"}})
		wantCode(t, "no set_by", err, scopes.EInvalid)
		got, err := e.s.ServerLayer(ctx)
		must(t, "ServerLayer", err)
		if got[scopes.SessionTimeout].Value != "2h" || len(got) != 1 {
			t.Errorf("a rejected layer changed the stored one: %v", got)
		}
	}},

	{"create and read an app", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		app, found, err := e.s.App(ctx, "shop")
		must(t, "App", err)
		if !found {
			t.Fatal("App(shop): not found")
		}
		if app.Name != "shop" || app.Keys != 1 || app.Layer == nil || len(app.Layer) != 0 {
			t.Errorf("App(shop) = %+v", app)
		}
		if want := now.Truncate(time.Microsecond); !app.Created.Equal(want) || app.Created.Location() != time.UTC {
			t.Errorf("Created = %v, want %v in UTC", app.Created, want)
		}
		for _, name := range []string{"nope", "shop ", "shopp"} {
			_, found, err := e.s.App(ctx, name)
			if err != nil || found {
				t.Errorf("App(%q) = found %v, %v; want not found", name, found, err)
			}
		}
	}},

	{"app names ignore case and keep the case they were created with", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "Shop", hash("k1"), now))
		for _, name := range []string{"Shop", "shop", "SHOP", "sHoP"} {
			app, found, err := e.s.App(ctx, name)
			if err != nil || !found || app.Name != "Shop" || app.Keys != 1 {
				t.Errorf("App(%q) = %+v, found %v, %v; want app Shop", name, app, found, err)
			}
		}
		for _, name := range []string{"shop", "SHOP", "Shop"} {
			err := e.s.CreateApp(ctx, name, hash("k-"+name), now)
			wantCode(t, "CreateApp "+name, err, scopes.EConflict)
			if msg := scopes.ErrorMessage(err); msg != `app "Shop" already exists (app names ignore case)` {
				t.Errorf("CreateApp(%q): message %q", name, msg)
			}
		}
		apps, err := e.s.Apps(ctx)
		must(t, "Apps", err)
		if len(apps) != 1 {
			t.Errorf("Apps() = %+v, want Shop alone", apps)
		}
	}},

	{"apps created at once that differ only in case", func(t *testing.T, e *env) {
		// The check and the insert are one transaction that keeps other
		// creates out: exactly one of the spellings is created.
		ctx := context.Background()
		names := []string{"shop", "SHOP", "Shop", "sHOP"}
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() { errs[i] = e.s.CreateApp(ctx, name, hash("k-"+name), now) })
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			switch scopes.ErrorCode(err) {
			case "":
				created++
			case scopes.EConflict:
			default:
				t.Errorf("CreateApp(%s): %v", names[i], err)
			}
		}
		apps, err := e.s.Apps(ctx)
		must(t, "Apps", err)
		if created != 1 || len(apps) != 1 {
			t.Errorf("%d creates succeeded, %d apps stored; want one", created, len(apps))
		}
	}},

	{"apps that differ only in case, from before names ignored it", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		// CreateApp refuses it now; older versions stored it.
		_, err := e.s.db.ExecContext(ctx, e.s.q(`INSERT INTO apps (name, created_at) VALUES (?, ?)`), "SHOP", dbTime(now))
		must(t, "insert SHOP", err)
		for _, name := range []string{"shop", "SHOP"} {
			app, found, err := e.s.App(ctx, name)
			if err != nil || !found || app.Name != name {
				t.Errorf("App(%q) = %+v, found %v, %v; want the app of exactly that name", name, app, found, err)
			}
		}
		_, _, err = e.s.App(ctx, "Shop")
		wantCode(t, "App(Shop)", err, scopes.EConflict)
		if msg := scopes.ErrorMessage(err); !strings.Contains(msg, "SHOP, shop") {
			t.Errorf("App(Shop): message %q, want both names", msg)
		}
		wantCode(t, "CreateApp(Shop)", e.s.CreateApp(ctx, "Shop", hash("k2"), now), scopes.EConflict)
	}},

	{"create an app that exists", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		err := e.s.CreateApp(ctx, "shop", hash("k2"), now)
		wantCode(t, "CreateApp twice", err, scopes.EConflict)
		if msg := scopes.ErrorMessage(err); msg != `app "shop" already exists (app names ignore case)` {
			t.Errorf("message %q", msg)
		}
		// The transaction rolled back: the second key was not added.
		if _, found, err := e.s.AppForKey(ctx, hash("k2")); err != nil || found {
			t.Errorf("AppForKey(k2) = found %v, %v; want not found", found, err)
		}
	}},

	{"create an app with a key in use", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		err := e.s.CreateApp(ctx, "blog", hash("k1"), now)
		wantCode(t, "CreateApp with shop's key", err, scopes.EConflict)
		if _, found, err := e.s.App(ctx, "blog"); err != nil || found {
			t.Errorf("App(blog) = found %v, %v; want not found (rolled back)", found, err)
		}
	}},

	{"bad app input", func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tc := range []struct{ name, hash string }{
			{"", hash("k")},
			{strings.Repeat("a", 65), hash("k")},
			{" shop", hash("k")},
			{"bad\xffutf8", hash("k")},
			{"shop", "not-a-hash"},
			{"shop", hash("k")[:63]},
		} {
			wantCode(t, "CreateApp("+tc.name+", "+tc.hash+")", e.s.CreateApp(ctx, tc.name, tc.hash, now), scopes.EInvalid)
		}
		// 64 characters, not bytes.
		must(t, "CreateApp with a 64-character name", e.s.CreateApp(ctx, strings.Repeat("é", 64), hash("k"), now))
	}},

	{"list apps", func(t *testing.T, e *env) {
		ctx := context.Background()
		apps, err := e.s.Apps(ctx)
		must(t, "Apps", err)
		if len(apps) != 0 {
			t.Fatalf("new store: Apps() = %v", apps)
		}
		for i, name := range []string{"b", "a", "C"} {
			must(t, "CreateApp", e.s.CreateApp(ctx, name, hash(name), now.Add(time.Duration(i)*time.Second)))
		}
		must(t, "ReplaceKeys", func() error { _, err := e.s.ReplaceKeys(ctx, "a", hash("a2"), now); return err }())
		layer := scopes.Layer{scopes.ClientCluster: {Value: "true", By: scopes.FromApp}}
		if _, err := e.s.SetAppLayer(ctx, "a", layer); err != nil {
			t.Fatal(err)
		}
		apps, err = e.s.Apps(ctx)
		must(t, "Apps", err)
		var names []string
		for _, a := range apps {
			names = append(names, a.Name)
			if a.Keys != 1 || a.Layer == nil {
				t.Errorf("app %s: %d keys, layer %v", a.Name, a.Keys, a.Layer)
			}
		}
		if want := []string{"C", "a", "b"}; !slices.Equal(names, want) {
			t.Errorf("Apps() names = %v, want %v", names, want)
		}
		if !maps.Equal(apps[1].Layer, layer) || len(apps[0].Layer) != 0 || len(apps[2].Layer) != 0 {
			t.Errorf("layers %v %v %v", apps[0].Layer, apps[1].Layer, apps[2].Layer)
		}
		if !apps[2].Created.Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("b created %v", apps[2].Created)
		}
	}},

	{"app for key", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", strings.ToUpper(hash("k1")), now))
		for _, h := range []string{hash("k1"), strings.ToUpper(hash("k1"))} {
			app, found, err := e.s.AppForKey(ctx, h)
			if err != nil || !found || app != "shop" {
				t.Errorf("AppForKey(%s) = %q, %v, %v; want shop", h, app, found, err)
			}
		}
		for _, h := range []string{hash("k2"), "", "x"} {
			if app, found, err := e.s.AppForKey(ctx, h); err != nil || found {
				t.Errorf("AppForKey(%q) = %q, %v, %v; want not found", h, app, found, err)
			}
		}
	}},

	{"replace keys revokes the old ones", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		found, err := e.s.ReplaceKeys(ctx, "shop", hash("k2"), now)
		if err != nil || !found {
			t.Fatalf("ReplaceKeys = %v, %v", found, err)
		}
		if _, found, err := e.s.AppForKey(ctx, hash("k1")); err != nil || found {
			t.Errorf("the replaced key still opens an app: %v, %v", found, err)
		}
		if app, found, err := e.s.AppForKey(ctx, hash("k2")); err != nil || !found || app != "shop" {
			t.Errorf("AppForKey(k2) = %q, %v, %v", app, found, err)
		}
		// Replacing with the key it has already is fine.
		if found, err := e.s.ReplaceKeys(ctx, "shop", hash("k2"), now); err != nil || !found {
			t.Errorf("ReplaceKeys with the same key = %v, %v", found, err)
		}
		app, _, err := e.s.App(ctx, "shop")
		must(t, "App", err)
		if app.Keys != 1 {
			t.Errorf("Keys = %d, want 1", app.Keys)
		}
		if found, err := e.s.ReplaceKeys(ctx, "nope", hash("k3"), now); err != nil || found {
			t.Errorf("ReplaceKeys(nope) = %v, %v; want not found", found, err)
		}
		if _, found, _ := e.s.AppForKey(ctx, hash("k3")); found {
			t.Error("ReplaceKeys of a missing app added its key")
		}
		// Another app's key is a conflict, and changes nothing.
		must(t, "CreateApp", e.s.CreateApp(ctx, "blog", hash("b1"), now))
		_, err = e.s.ReplaceKeys(ctx, "shop", hash("b1"), now)
		wantCode(t, "ReplaceKeys with blog's key", err, scopes.EConflict)
		if app, _, _ := e.s.AppForKey(ctx, hash("k2")); app != "shop" {
			t.Error("a failed ReplaceKeys revoked shop's key")
		}
		_, err = e.s.ReplaceKeys(ctx, "shop", "short", now)
		wantCode(t, "ReplaceKeys with a bad hash", err, scopes.EInvalid)
	}},

	{"app layer is replaced whole", func(t *testing.T, e *env) {
		ctx := context.Background()
		if found, err := e.s.SetAppLayer(ctx, "nope", scopes.Layer{}); err != nil || found {
			t.Errorf("SetAppLayer(nope) = %v, %v; want not found", found, err)
		}
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		must(t, "CreateApp", e.s.CreateApp(ctx, "blog", hash("b1"), now))
		blog := scopes.Layer{scopes.SessionCluster: {Value: "true", By: scopes.FromAdmin}}
		if _, err := e.s.SetAppLayer(ctx, "blog", blog); err != nil {
			t.Fatal(err)
		}
		for i, want := range []scopes.Layer{
			{scopes.SessionStorage: {Value: "redis1", By: scopes.FromApp}, scopes.SessionType: {Value: "cfml", By: scopes.FromAdmin}},
			{scopes.ClientTimeout: {Value: "90d", By: scopes.FromApp}},
			{},
		} {
			found, err := e.s.SetAppLayer(ctx, "shop", want)
			if err != nil || !found {
				t.Fatalf("step %d: SetAppLayer = %v, %v", i, found, err)
			}
			app, _, err := e.s.App(ctx, "shop")
			must(t, "App", err)
			if !maps.Equal(app.Layer, want) {
				t.Errorf("step %d: layer %v, want %v", i, app.Layer, want)
			}
		}
		app, _, err := e.s.App(ctx, "blog")
		must(t, "App", err)
		if !maps.Equal(app.Layer, blog) {
			t.Errorf("another app's layer changed: %v", app.Layer)
		}
	}},

	{"delete an app", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		must(t, "CreateApp", e.s.CreateApp(ctx, "blog", hash("b1"), now))
		if _, err := e.s.SetAppLayer(ctx, "shop", scopes.Layer{scopes.SessionTimeout: {Value: "1h", By: scopes.FromApp}}); err != nil {
			t.Fatal(err)
		}
		found, err := e.s.DeleteApp(ctx, "shop")
		if err != nil || !found {
			t.Fatalf("DeleteApp = %v, %v", found, err)
		}
		if _, found, err := e.s.App(ctx, "shop"); err != nil || found {
			t.Errorf("App after delete = %v, %v", found, err)
		}
		if _, found, err := e.s.AppForKey(ctx, hash("k1")); err != nil || found {
			t.Errorf("the deleted app's key still opens it: %v, %v", found, err)
		}
		var n int
		must(t, "count settings", e.s.db.Get(&n, e.s.q(`SELECT COUNT(*) FROM app_settings WHERE app = ?`), "shop"))
		if n != 0 {
			t.Errorf("%d settings rows left", n)
		}
		if found, err := e.s.DeleteApp(ctx, "shop"); err != nil || found {
			t.Errorf("DeleteApp twice = %v, %v; want not found", found, err)
		}
		if app, found, _ := e.s.AppForKey(ctx, hash("b1")); !found || app != "blog" {
			t.Error("deleting shop touched blog")
		}
		// The name and the key are free again.
		must(t, "CreateApp again", e.s.CreateApp(ctx, "shop", hash("k1"), now))
	}},

	{"revoke keys", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), time.Now()))
		found, err := e.s.RevokeKeys(ctx, "shop", now)
		must(t, "RevokeKeys", err)
		if _, ok, _ := e.s.AppForKey(ctx, hash("k1")); !found || ok {
			t.Fatalf("after revoking: found %v, key still works %v", found, ok)
		}
		if found, err := e.s.RevokeKeys(ctx, "nope", now); err != nil || found {
			t.Fatalf("revoke for a missing app: %v, %v", found, err)
		}
	}},

	{"update connection", func(t *testing.T, e *env) {
		ctx := context.Background()
		c := scopes.Connection{Name: "Cache1", Kind: "cache", Type: "redis", Storage: true,
			Params: map[string]string{"url": "redis://a:6379/0"}, Secret: "pw1"}
		must(t, "CreateConnection", e.s.CreateConnection(ctx, c))
		c.Name, c.Storage, c.Params, c.Secret = "cache1", false, map[string]string{"url": "redis://b:6379/1"}, ""
		found, err := e.s.UpdateConnection(ctx, c, true)
		must(t, "UpdateConnection", err)
		got, _, err := e.s.Connection(ctx, "CACHE1")
		must(t, "Connection", err)
		if !found || got.Name != "Cache1" || got.Storage || got.Params["url"] != "redis://b:6379/1" || got.Secret != "pw1" {
			t.Fatalf("after an update keeping the secret: %+v (found %v)", got, found)
		}
		c.Secret = "pw2"
		_, err = e.s.UpdateConnection(ctx, c, false)
		must(t, "UpdateConnection", err)
		if got, _, _ = e.s.Connection(ctx, "cache1"); got.Secret != "pw2" {
			t.Fatalf("new secret not stored: %q", got.Secret)
		}
		c.Secret = ""
		_, err = e.s.UpdateConnection(ctx, c, false)
		must(t, "UpdateConnection", err)
		if got, _, _ = e.s.Connection(ctx, "cache1"); got.Secret != "" {
			t.Fatalf("secret not cleared: %q", got.Secret)
		}
		found, err = e.s.UpdateConnection(ctx, scopes.Connection{Name: "nope", Kind: "cache", Type: "ram"}, true)
		if err != nil || found {
			t.Fatalf("update of a missing connection: found %v, %v", found, err)
		}
	}},

	{"connection checks", func(t *testing.T, e *env) {
		ctx := context.Background()
		created := now.Add(-time.Hour)
		c := scopes.Connection{Name: "Cache1", Kind: "cache", Type: "redis", Storage: true,
			Params: map[string]string{"url": "redis://a:6379/0"}, Created: created, Updated: created}
		must(t, "CreateConnection", e.s.CreateConnection(ctx, c))
		got, _, err := e.s.Connection(ctx, "cache1")
		must(t, "Connection", err)
		if !got.Verified.At.IsZero() || !got.Health.At.IsZero() {
			t.Fatalf("a new connection has checks: %+v, %+v", got.Verified, got.Health)
		}

		// A failed Verify and a passed health check are kept apart, and
		// every instance reads them.
		failed := scopes.ConnectionCheck{At: now, Step: "write with TTL", Message: "NOPERM this user has no permissions " + strings.Repeat("é", 1200)}
		recorded, err := e.s.RecordCheck(ctx, "CACHE1", scopes.CheckVerify, failed)
		must(t, "RecordCheck verify", err)
		answers := scopes.ConnectionCheck{At: now.Add(time.Second), OK: true, Step: "ignored", Message: "ignored"}
		recorded2, err := e.s.RecordCheck(ctx, "cache1", scopes.CheckHealth, answers)
		must(t, "RecordCheck health", err)
		if !recorded || !recorded2 {
			t.Fatalf("checks not recorded: %v, %v", recorded, recorded2)
		}
		other := e.open(t, testKey)
		conns, err := other.Connections(ctx)
		must(t, "Connections", err)
		v, h := conns[0].Verified, conns[0].Health
		if !v.At.Equal(now.Truncate(time.Microsecond)) || v.At.Location() != time.UTC || v.OK || v.Step != "write with TTL" ||
			!strings.HasPrefix(v.Message, "NOPERM") || utf8.RuneCountInString(v.Message) != 1000 || !strings.HasSuffix(v.Message, "…") {
			t.Errorf("verify kept as %+v (%d characters)", v, utf8.RuneCountInString(v.Message))
		}
		if !h.OK || h.Step != "" || h.Message != "" || !h.At.Equal(now.Add(time.Second).Truncate(time.Microsecond)) {
			t.Errorf("health kept as %+v", h)
		}

		// An older check does not replace a later one, nor does a check that
		// started before the connection's last edit.
		if recorded, err = e.s.RecordCheck(ctx, "cache1", scopes.CheckVerify, scopes.ConnectionCheck{At: now.Add(-time.Minute), OK: true}); err != nil || recorded {
			t.Errorf("an older Verify: recorded %v, %v", recorded, err)
		}
		if recorded, err = e.s.RecordCheck(ctx, "cache1", scopes.CheckVerify, scopes.ConnectionCheck{At: created.Add(-time.Second), OK: true}); err != nil || recorded {
			t.Errorf("a Verify of the old definition: recorded %v, %v", recorded, err)
		}
		if got, _, _ = e.s.Connection(ctx, "cache1"); got.Verified.OK {
			t.Errorf("an older check replaced the later one: %+v", got.Verified)
		}
		passed := scopes.ConnectionCheck{At: now.Add(2 * time.Second), OK: true}
		if recorded, err = e.s.RecordCheck(ctx, "cache1", scopes.CheckVerify, passed); err != nil || !recorded {
			t.Errorf("a later Verify: recorded %v, %v", recorded, err)
		}
		if got, _, _ = e.s.Connection(ctx, "cache1"); !got.Verified.OK || got.Verified.Step != "" || got.Verified.Message != "" {
			t.Errorf("a later pass kept as %+v", got.Verified)
		}

		// Editing the connection forgets both: they were of the old definition.
		c.Params["url"], c.Updated = "redis://b:6379/0", now.Add(time.Minute)
		_, err = e.s.UpdateConnection(ctx, c, true)
		must(t, "UpdateConnection", err)
		if got, _, _ = e.s.Connection(ctx, "cache1"); !got.Verified.At.IsZero() || !got.Health.At.IsZero() || got.Verified.OK || got.Health.OK {
			t.Errorf("checks after an edit: %+v, %+v", got.Verified, got.Health)
		}

		// No connection, no record; an unknown kind is refused.
		if recorded, err = e.s.RecordCheck(ctx, "nope", scopes.CheckVerify, passed); err != nil || recorded {
			t.Errorf("a missing connection: recorded %v, %v", recorded, err)
		}
		_, err = e.s.RecordCheck(ctx, "cache1", "ping", passed)
		wantCode(t, "RecordCheck of an unknown kind", err, scopes.EInvalid)
	}},

	{"connections", func(t *testing.T, e *env) {
		ctx := context.Background()
		conns, err := e.s.Connections(ctx)
		must(t, "Connections", err)
		if len(conns) != 0 {
			t.Fatalf("new store: %v", conns)
		}
		redis := scopes.Connection{Name: "Redis1", Kind: "cache", Type: "redis", Storage: true,
			Params: map[string]string{"url": "redis://cache:6379/0", "prefix": "scopes:"}, Secret: "s3cret-pa55"}
		must(t, "CreateConnection", e.s.CreateConnection(ctx, redis))
		for _, name := range []string{"Redis1", "redis1", "REDIS1"} {
			c, found, err := e.s.Connection(ctx, name)
			if err != nil || !found {
				t.Fatalf("Connection(%s) = %v, %v", name, found, err)
			}
			if c.Name != "Redis1" || c.Kind != "cache" || c.Type != "redis" || !c.Storage ||
				!maps.Equal(c.Params, redis.Params) || c.Secret != "s3cret-pa55" {
				t.Errorf("Connection(%s) = %+v", name, c)
			}
			if c.Created.IsZero() || !c.Updated.Equal(c.Created) || c.Created.Location() != time.UTC {
				t.Errorf("Connection(%s) times %v %v", name, c.Created, c.Updated)
			}
		}
		err = e.s.CreateConnection(ctx, scopes.Connection{Name: "REDIS1", Kind: "cache", Type: "redis"})
		wantCode(t, "CreateConnection REDIS1", err, scopes.EConflict)
		for _, name := range []string{"nope", "Redis1 ", " redis1", ""} {
			if _, found, err := e.s.Connection(ctx, name); err != nil || found {
				t.Errorf("Connection(%q) = %v, %v; want not found", name, found, err)
			}
		}
		// Case is ignored, accents are not (as MySQL's default collation would).
		must(t, "CreateConnection Café", e.s.CreateConnection(ctx, scopes.Connection{Name: "Café", Kind: "cache", Type: "ram"}))
		must(t, "CreateConnection cafe", e.s.CreateConnection(ctx, scopes.Connection{Name: "cafe", Kind: "cache", Type: "ram"}))
		wantCode(t, "CreateConnection CAFÉ", e.s.CreateConnection(ctx, scopes.Connection{Name: "CAFÉ", Kind: "cache", Type: "ram"}), scopes.EConflict)
		if c, found, err := e.s.Connection(ctx, "café"); err != nil || !found || c.Name != "Café" {
			t.Errorf("Connection(café) = %q, %v, %v", c.Name, found, err)
		}
		for _, name := range []string{"Café", "cafe"} {
			if found, err := e.s.DeleteConnection(ctx, name); err != nil || !found {
				t.Errorf("DeleteConnection(%s) = %v, %v", name, found, err)
			}
		}

		db := scopes.Connection{Name: "beta", Kind: "datasource", Type: "mysql", Created: now, Updated: now.Add(time.Hour)}
		must(t, "CreateConnection", e.s.CreateConnection(ctx, db))
		must(t, "CreateConnection", e.s.CreateConnection(ctx, scopes.Connection{Name: "Alpha", Kind: "cache", Type: "ram"}))
		conns, err = e.s.Connections(ctx)
		must(t, "Connections", err)
		var names []string
		for _, c := range conns {
			names = append(names, c.Name)
		}
		if want := []string{"Alpha", "beta", "Redis1"}; !slices.Equal(names, want) {
			t.Errorf("Connections() = %v, want %v (by name, ignoring case)", names, want)
		}
		if c := conns[1]; c.Storage || c.Secret != "" || c.Params == nil || len(c.Params) != 0 ||
			!c.Created.Equal(now.Truncate(time.Microsecond)) || !c.Updated.Equal(now.Add(time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("beta = %+v", c)
		}
		if c := conns[2]; c.Secret != "s3cret-pa55" {
			t.Errorf("Connections() secret of Redis1 = %q", c.Secret)
		}

		if found, err := e.s.DeleteConnection(ctx, "rEdIs1"); err != nil || !found {
			t.Errorf("DeleteConnection(rEdIs1) = %v, %v", found, err)
		}
		if found, err := e.s.DeleteConnection(ctx, "redis1"); err != nil || found {
			t.Errorf("DeleteConnection twice = %v, %v", found, err)
		}
		if _, found, err := e.s.Connection(ctx, "Redis1"); err != nil || found {
			t.Errorf("Connection after delete = %v, %v", found, err)
		}
	}},

	{"bad connection input", func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, c := range []scopes.Connection{
			{Name: "", Kind: "cache", Type: "redis"},
			{Name: strings.Repeat("c", 65), Kind: "cache", Type: "redis"},
			{Name: "c", Kind: "", Type: "redis"},
			{Name: "c", Kind: "cache", Type: strings.Repeat("t", 17)},
		} {
			wantCode(t, "CreateConnection "+c.Name, e.s.CreateConnection(ctx, c), scopes.EInvalid)
		}
	}},

	{"secrets are encrypted at rest", func(t *testing.T, e *env) {
		ctx := context.Background()
		const password = "correct horse battery staple"
		must(t, "CreateConnection", e.s.CreateConnection(ctx, scopes.Connection{
			Name: "MyDB", Kind: "datasource", Type: "mysql", Params: map[string]string{"host": "db"}, Secret: password}))
		var raw struct {
			Secret []byte `db:"secret"`
			Params string `db:"params"`
		}
		must(t, "read raw row", e.s.db.Get(&raw, e.s.q(`SELECT secret, params FROM connections WHERE name_key = ?`), "mydb"))
		if len(raw.Secret) != 12+len(password)+16 {
			t.Errorf("secret is %d bytes, want nonce + ciphertext + tag = %d", len(raw.Secret), 12+len(password)+16)
		}
		if bytes.Contains(raw.Secret, []byte(password)) || strings.Contains(raw.Params, password) {
			t.Errorf("the password is stored in plaintext: secret %q, params %q", raw.Secret, raw.Params)
		}
		// Two seals of one password differ: the nonce is random.
		must(t, "CreateConnection", e.s.CreateConnection(ctx, scopes.Connection{
			Name: "mydb2", Kind: "datasource", Type: "mysql", Secret: password}))
		var other []byte
		must(t, "read raw row", e.s.db.Get(&other, e.s.q(`SELECT secret FROM connections WHERE name_key = ?`), "mydb2"))
		if bytes.Equal(raw.Secret[:12], other[:12]) {
			t.Error("two secrets share a nonce")
		}
		// A sealed secret copied onto another row does not open there.
		_, err := e.s.db.Exec(e.s.q(`UPDATE connections SET secret = ? WHERE name_key = ?`), raw.Secret, "mydb2")
		must(t, "copy secret", err)
		if _, _, err := e.s.Connection(ctx, "mydb2"); err == nil {
			t.Error("a secret copied from another connection decrypted")
		}
	}},

	{"a different secret key is a clear error", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateConnection", e.s.CreateConnection(ctx, scopes.Connection{
			Name: "MyDB", Kind: "datasource", Type: "mysql", Secret: "pw"}))
		must(t, "CreateConnection", e.s.CreateConnection(ctx, scopes.Connection{
			Name: "ram", Kind: "cache", Type: "ram"}))
		wrong := e.open(t, otherKey)
		_, _, err := wrong.Connection(ctx, "mydb")
		if err == nil || !strings.Contains(scopes.ErrorMessage(err), "neither the secret key (SCOPESTORE_SECRET_KEY) nor a previous one") ||
			!strings.Contains(scopes.ErrorMessage(err), `"MyDB"`) {
			t.Errorf("Connection with another key: %v", err)
		}
		if _, err := wrong.Connections(ctx); err == nil {
			t.Error("Connections with another key: no error")
		}
		// A connection without a password needs no key.
		if c, found, err := wrong.Connection(ctx, "ram"); err != nil || !found || c.Secret != "" {
			t.Errorf("Connection(ram) with another key = %v, %v", found, err)
		}
		none := e.open(t, nil)
		if _, _, err := none.Connection(ctx, "mydb"); !strings.Contains(scopes.ErrorMessage(err), "SCOPESTORE_SECRET_KEY") {
			t.Errorf("Connection without a key: %v", err)
		}
		err = none.CreateConnection(ctx, scopes.Connection{Name: "x", Kind: "cache", Type: "redis", Secret: "pw"})
		wantCode(t, "CreateConnection with a secret and no key", err, scopes.EInvalid)
		if !strings.Contains(scopes.ErrorMessage(err), "SCOPESTORE_SECRET_KEY") {
			t.Errorf("message %q does not name SCOPESTORE_SECRET_KEY", scopes.ErrorMessage(err))
		}
	}},

	{"migrations are idempotent", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		again := e.open(t, testKey)
		if _, found, err := again.App(ctx, "shop"); err != nil || !found {
			t.Errorf("App through a second Open = %v, %v", found, err)
		}
		applied, err := again.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Errorf("Migrate on an up-to-date database = %v, %v", applied, err)
		}
		checkVersions(t, e.s)
	}},
}

// checkVersions checks that each migration was applied exactly once.
func checkVersions(t *testing.T, s *Store) {
	t.Helper()
	var versions []int64
	must(t, "read versions", s.db.Select(&versions,
		`SELECT version_id FROM `+migrations.ConfigVersionTable+` WHERE version_id > 0 ORDER BY id`))
	// Every migration of the dialect, numbered from 1 without a gap.
	fsys, err := migrations.ConfigFS(s.dialect)
	must(t, "ConfigFS", err)
	files, err := fs.Glob(fsys, "*.sql")
	must(t, "list migrations", err)
	var want []int64
	for i := range files {
		want = append(want, int64(i+1))
	}
	if !slices.Equal(versions, want) {
		t.Errorf("applied versions %v, want %v", versions, want)
	}
}

// TestConcurrentOpen starts several instances on one empty shared database at
// once: the migration lock makes each migration run once.
func TestConcurrentOpen(t *testing.T) {
	for _, b := range backends[1:] { // SQLite is one process's file
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			var wg sync.WaitGroup
			stores := make([]*Store, 4)
			errs := make([]error, len(stores))
			for i := range stores {
				wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn, "", testKey) })
			}
			wg.Wait()
			for i, s := range stores {
				if errs[i] != nil {
					t.Errorf("Open %d: %v", i, errs[i])
				} else {
					defer s.Close()
				}
			}
			if stores[0] != nil {
				checkVersions(t, stores[0])
			}
		})
	}
}

func TestOpenDSN(t *testing.T) {
	ctx := context.Background()
	t.Run("default is SQLite in the data directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "dir")
		s := mustOpen(t, "", dir, testKey)
		if s.Dialect() != DialectSQLite {
			t.Errorf("Dialect() = %q", s.Dialect())
		}
		fi, err := os.Stat(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", FileName, fi.Mode().Perm())
		}
		var mode string
		must(t, "journal_mode", s.db.Get(&mode, "PRAGMA journal_mode"))
		if mode != "wal" {
			t.Errorf("journal_mode %q, want wal", mode)
		}
	})
	t.Run("sqlite://PATH", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "elsewhere.db")
		s := mustOpen(t, "sqlite://"+path, "/nonexistent", testKey)
		must(t, "CreateApp", s.CreateApp(ctx, "shop", hash("k"), now))
		if _, err := os.Stat(path); err != nil {
			t.Error(err)
		}
	})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()

	for _, tc := range []struct {
		name, dsn string
		key       []byte
		code      string   // the error's code, when it is an *Error
		contains  []string // in the error's text
	}{
		{"unknown scheme", "redis://localhost:6379", testKey, "",
			[]string{"sqlite://", "mysql://", "postgres://", "unknown config DSN"}},
		{"password not shown", "mongodb://user:hunter2@host/db", testKey, "", []string{"user:xxxxx@host"}},
		{"URL in mysql://", "mysql://root:pw@localhost:3306/db", testKey, "", []string{"go-sql-driver DSN", "tcp(host:3306)"}},
		{"mysql without database", "mysql://root@tcp(127.0.0.1:3306)/", testKey, "", []string{"names no database"}},
		{"sqlite options", "sqlite:///tmp/x.db?mode=ro", testKey, "", []string{"without options"}},
		{"short key", "", []byte("short"), "", []string{"32 bytes"}},
		{"mysql unreachable", "mysql://root@tcp(" + closed + ")/db", testKey, scopes.EUnavailable, []string{"connect to mysql"}},
		{"postgres unreachable", "postgres://postgres@" + closed + "/db?connect_timeout=2", testKey, scopes.EUnavailable, []string{"connect to postgres"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.dsn, t.TempDir(), tc.key)
			if err == nil {
				s.Close()
				t.Fatal("Open: no error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
			if tc.code != "" {
				wantCode(t, "Open", err, tc.code)
			}
			for _, want := range tc.contains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestNoDSNNoDataDir(t *testing.T) {
	if _, err := Open(context.Background(), "", "", testKey); err == nil || !strings.Contains(err.Error(), "data directory") {
		t.Errorf("Open with neither: %v", err)
	}
}
