package configstore

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/scopestore/scopestore/migrations"
	"github.com/scopestore/scopestore/scopes"
)

// TestKeys runs the tests of several keys per app against SQLite, MariaDB
// and PostgreSQL, each test on a database of its own.
func TestKeys(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range keyStoreTests {
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

// activeKeys returns the labels of the app's active keys, oldest first.
func activeKeys(t *testing.T, s *Store, app string) []string {
	t.Helper()
	keys, found, err := s.Keys(context.Background(), app)
	if err != nil || !found {
		t.Fatalf("Keys(%s) = %v, %v", app, found, err)
	}
	var labels []string
	for _, k := range keys {
		if k.Active() {
			labels = append(labels, k.Label)
		}
	}
	return labels
}

func opens(s *Store, key, app string) bool {
	got, found, err := s.AppForKey(context.Background(), hash(key))
	return err == nil && found && got == app
}

var keyStoreTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"add, list and revoke keys", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		keys, found, err := e.s.Keys(ctx, "shop")
		must(t, "Keys", err)
		if !found || len(keys) != 1 || keys[0].Label != "key 1" || keys[0].App != "shop" || !keys[0].Active() ||
			!keys[0].LastUsed.IsZero() || !keys[0].Created.Equal(dbTime(now)) || keys[0].ID == 0 {
			t.Fatalf("a new app's keys: %v, %+v", found, keys)
		}
		later := now.Add(time.Hour)
		k2, found, err := e.s.AddKey(ctx, "shop", hash("k2"), "  deploy 2026-12 ", later)
		if err != nil || !found || k2.Label != "deploy 2026-12" || !k2.Created.Equal(dbTime(later)) || k2.ID == keys[0].ID || !k2.Active() {
			t.Fatalf("AddKey = %+v, %v, %v", k2, found, err)
		}
		k3, _, err := e.s.AddKey(ctx, "shop", hash("k3"), "", later)
		must(t, "AddKey without a label", err)
		if k3.Label != "key 3" {
			t.Errorf("a key added without a label is named %q, want key 3", k3.Label)
		}
		for _, k := range []string{"k1", "k2", "k3"} {
			if !opens(e.s, k, "shop") {
				t.Errorf("%s does not open shop", k)
			}
		}
		if app, _, _ := e.s.App(ctx, "shop"); app.Keys != 3 {
			t.Errorf("App.Keys = %d, want 3", app.Keys)
		}

		// Revoking the first key leaves the others working.
		k1, left, found, err := e.s.RevokeKey(ctx, "shop", keys[0].ID, false, later)
		if err != nil || !found || left != 2 || !k1.Revoked.Equal(dbTime(later)) {
			t.Fatalf("RevokeKey(k1) = %+v, %d, %v, %v", k1, left, found, err)
		}
		if opens(e.s, "k1", "shop") || !opens(e.s, "k2", "shop") || !opens(e.s, "k3", "shop") {
			t.Error("after revoking k1: wrong keys open shop")
		}
		if got := activeKeys(t, e.s, "shop"); strings.Join(got, ",") != "deploy 2026-12,key 3" {
			t.Errorf("active keys %v", got)
		}
		keys, _, _ = e.s.Keys(ctx, "shop")
		if len(keys) != 3 || keys[0].Active() || !keys[0].Revoked.Equal(dbTime(later)) {
			t.Errorf("the revoked key is not listed as revoked: %+v", keys)
		}
		if app, _, _ := e.s.App(ctx, "shop"); app.Keys != 2 {
			t.Errorf("App.Keys = %d, want 2 (revoked keys are not counted)", app.Keys)
		}
		_, _, _, err = e.s.RevokeKey(ctx, "shop", keys[0].ID, false, later)
		wantCode(t, "revoking a revoked key", err, scopes.EConflict)

		// Keys of other apps, and missing ones, are not found.
		must(t, "CreateApp", e.s.CreateApp(ctx, "blog", hash("b1"), now))
		blogKeys, _, _ := e.s.Keys(ctx, "blog")
		for _, c := range []struct {
			app string
			id  int64
		}{{"shop", blogKeys[0].ID}, {"shop", 999999}, {"nope", k2.ID}, {"", k2.ID}} {
			if _, _, found, err := e.s.RevokeKey(ctx, c.app, c.id, true, later); err != nil || found {
				t.Errorf("RevokeKey(%q, %d) = %v, %v; want not found", c.app, c.id, found, err)
			}
		}
		if !opens(e.s, "b1", "blog") || !opens(e.s, "k2", "shop") {
			t.Error("a revocation that found nothing revoked a key")
		}

		// The last active key is revoked only when forced.
		if _, left, _, err := e.s.RevokeKey(ctx, "shop", k2.ID, false, later); err != nil || left != 1 {
			t.Fatalf("RevokeKey(k2) = %d, %v", left, err)
		}
		_, _, _, err = e.s.RevokeKey(ctx, "shop", k3.ID, false, later)
		wantCode(t, "revoking the last key", err, scopes.EConflict)
		if !errors.Is(err, scopes.ErrLastKey) || !strings.Contains(scopes.ErrorMessage(err), "lock shop out") {
			t.Errorf("the refusal does not say why: %v", err)
		}
		if !opens(e.s, "k3", "shop") {
			t.Fatal("a refused revocation revoked the key")
		}
		if _, left, found, err := e.s.RevokeKey(ctx, "shop", k3.ID, true, later); err != nil || !found || left != 0 {
			t.Fatalf("forced RevokeKey(k3) = %d, %v, %v", left, found, err)
		}
		if opens(e.s, "k3", "shop") {
			t.Error("the forced revocation left the key working")
		}

		// Adding to a missing app, another app's key, a bad label or hash.
		if _, found, err := e.s.AddKey(ctx, "nope", hash("n1"), "", now); err != nil || found {
			t.Errorf("AddKey(nope) = %v, %v", found, err)
		}
		_, _, err = e.s.AddKey(ctx, "shop", hash("b1"), "", now)
		wantCode(t, "AddKey with blog's key", err, scopes.EConflict)
		_, _, err = e.s.AddKey(ctx, "shop", hash("k9"), strings.Repeat("x", scopes.MaxKeyLabel+1), now)
		wantCode(t, "AddKey with a long label", err, scopes.EInvalid)
		_, _, err = e.s.AddKey(ctx, "shop", "short", "", now)
		wantCode(t, "AddKey with a bad hash", err, scopes.EInvalid)
		if _, found, err := e.s.Keys(ctx, "nope"); err != nil || found {
			t.Errorf("Keys(nope) = %v, %v", found, err)
		}
		// A label of 100 characters fits every dialect's column.
		long := strings.Repeat("é", scopes.MaxKeyLabel)
		if k, _, err := e.s.AddKey(ctx, "shop", hash("k10"), long, now); err != nil || k.Label != long {
			t.Errorf("AddKey with a 100-character label = %q, %v", k.Label, err)
		}
	}},

	{"last use keeps the latest", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		lastUsed := func() time.Time {
			keys, _, err := e.s.Keys(ctx, "shop")
			must(t, "Keys", err)
			return keys[0].LastUsed
		}
		t1 := now.Add(10 * time.Minute)
		must(t, "KeyUsed", e.s.KeyUsed(ctx, strings.ToUpper(hash("k1")), t1))
		if got := lastUsed(); !got.Equal(dbTime(t1)) {
			t.Fatalf("LastUsed = %v, want %v", got, t1)
		}
		must(t, "KeyUsed earlier", e.s.KeyUsed(ctx, hash("k1"), t1.Add(-time.Minute)))
		if got := lastUsed(); !got.Equal(dbTime(t1)) {
			t.Errorf("an earlier use moved LastUsed back to %v", got)
		}
		t2 := t1.Add(time.Minute)
		must(t, "KeyUsed later", e.s.KeyUsed(ctx, hash("k1"), t2))
		if got := lastUsed(); !got.Equal(dbTime(t2)) {
			t.Errorf("LastUsed = %v, want %v", got, t2)
		}
		must(t, "KeyUsed of an unknown key", e.s.KeyUsed(ctx, hash("nope"), t2))
		wantCode(t, "KeyUsed with a bad hash", e.s.KeyUsed(ctx, "x", t2), scopes.EInvalid)
	}},

	{"rotate keeps the old keys listed as revoked", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "CreateApp", e.s.CreateApp(ctx, "shop", hash("k1"), now))
		_, _, err := e.s.AddKey(ctx, "shop", hash("k2"), "new", now)
		must(t, "AddKey", err)
		if found, err := e.s.ReplaceKeys(ctx, "shop", hash("k3"), now); err != nil || !found {
			t.Fatalf("ReplaceKeys = %v, %v", found, err)
		}
		keys, _, _ := e.s.Keys(ctx, "shop")
		if len(keys) != 3 || keys[0].Active() || keys[1].Active() || !keys[2].Active() || keys[2].Label != "key 3" {
			t.Errorf("after rotating: %+v", keys)
		}
		if opens(e.s, "k1", "shop") || opens(e.s, "k2", "shop") || !opens(e.s, "k3", "shop") {
			t.Error("rotating left an old key working, or the new one not")
		}
		found, err := e.s.RevokeKeys(ctx, "shop", now)
		if err != nil || !found || len(activeKeys(t, e.s, "shop")) != 0 || opens(e.s, "k3", "shop") {
			t.Errorf("RevokeKeys = %v, %v; active %v", found, err, activeKeys(t, e.s, "shop"))
		}
	}},

	{"two revocations of the last two keys leave one", func(t *testing.T, e *env) {
		ctx := context.Background()
		for round := range 5 {
			app := "shop" + strconv.Itoa(round)
			must(t, "CreateApp", e.s.CreateApp(ctx, app, hash(app+"a"), now))
			k, _, err := e.s.AddKey(ctx, app, hash(app+"b"), "", now)
			must(t, "AddKey", err)
			keys, _, _ := e.s.Keys(ctx, app)
			other := e.open(t, testKey)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, s := range []*Store{e.s, other} {
				id := []int64{keys[0].ID, k.ID}[i]
				wg.Go(func() { _, _, _, errs[i] = s.RevokeKey(ctx, app, id, false, now) })
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: both revocations answered alike: %v, %v", round, errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, scopes.ErrLastKey) {
					t.Errorf("round %d: %v", round, err)
				}
			}
			if got := activeKeys(t, e.s, app); len(got) != 1 {
				t.Errorf("round %d: active keys %v, want one", round, got)
			}
		}
	}},
}

// labelsVersion is the version of the migration that added labels.
func labelsVersion(t *testing.T, dialect string) int64 {
	t.Helper()
	fsys, err := migrations.ConfigFS(dialect)
	must(t, "ConfigFS", err)
	names, err := fs.Glob(fsys, "*_api_key_labels.sql")
	if err != nil || len(names) != 1 {
		t.Fatalf("the labels migration: %v, %v", names, err)
	}
	v, err := strconv.ParseInt(strings.SplitN(names[0], "_", 2)[0], 10, 64)
	must(t, "its version", err)
	return v
}

// TestKeysMigrate checks on every dialect that the keys an older version
// stored keep working after the migration that adds labels, each labelled
// "key 1", active and never used.
func TestKeysMigrate(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn, dir := b.dsn(t), t.TempDir()
			var db *sqlx.DB
			var err error
			dialect, gooseDialect := DialectSQLite, goose.DialectSQLite3
			switch {
			case dsn == "":
				db, err = openSQLite(filepath.Join(dir, FileName))
			case strings.HasPrefix(dsn, "mysql://"):
				dialect, gooseDialect = DialectMySQL, goose.DialectMySQL
				db, err = openMySQL(strings.TrimPrefix(dsn, "mysql://"))
			default:
				dialect, gooseDialect = DialectPostgres, goose.DialectPostgres
				db, err = sqlx.Open("pgx", dsn)
			}
			must(t, "open", err)
			fsys, err := migrations.ConfigFS(dialect)
			must(t, "ConfigFS", err)
			p, err := goose.NewProvider(gooseDialect, db.DB, fsys,
				goose.WithTableName(migrations.ConfigVersionTable), goose.WithDisableGlobalRegistry(true))
			must(t, "NewProvider", err)
			_, err = p.UpTo(ctx, labelsVersion(t, dialect)-1)
			must(t, "migrate to the version before labels", err)
			old := &Store{db: db, dialect: dialect, bind: sqlx.QUESTION}
			if dialect == DialectPostgres {
				old.bind = sqlx.DOLLAR
			}
			for _, app := range []string{"shop", "blog"} {
				_, err := db.ExecContext(ctx, old.q(`INSERT INTO apps (name, created_at) VALUES (?, ?)`), app, dbTime(now))
				must(t, "insert app", err)
				_, err = db.ExecContext(ctx, old.q(`INSERT INTO api_keys (app, key_hash, created_at) VALUES (?, ?, ?)`), app, hash(app), dbTime(now))
				must(t, "insert key", err)
			}
			must(t, "close", db.Close())

			s := mustOpen(t, dsn, dir, testKey)
			for _, app := range []string{"shop", "blog"} {
				if !opens(s, app, app) {
					t.Errorf("%s's key no longer opens it", app)
				}
				keys, found, err := s.Keys(ctx, app)
				if err != nil || !found || len(keys) != 1 || keys[0].Label != "key 1" || !keys[0].Active() ||
					!keys[0].LastUsed.IsZero() || !keys[0].Created.Equal(dbTime(now)) {
					t.Errorf("%s's keys after the migration: %+v, %v, %v", app, keys, found, err)
				}
			}
			// The next key is numbered after it.
			k, _, err := s.AddKey(ctx, "shop", hash("shop2"), "", now)
			if err != nil || k.Label != "key 2" {
				t.Errorf("the next key: %q, %v", k.Label, err)
			}
		})
	}
}
