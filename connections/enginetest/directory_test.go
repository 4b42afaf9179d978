package enginetest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

func newDirectory(t *testing.T) *scopes.Directory {
	t.Helper()
	cs, err := configstore.Open(context.Background(), "", t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return scopes.NewDirectory(cs, newShared(t))
}

func TestDirectory_DeclareReplacesOnlyTheAppsOwnSettings(t *testing.T) {
	ctx := context.Background()
	d := newDirectory(t)
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetAppSettings(ctx, "shop", map[string]string{"clientTimeout": "30d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": "2h", "sessionStorage": "file"}); err != nil {
		t.Fatal(err)
	}
	eff, err := d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"sessionTimeout": {"1h", scopes.FromApp},
		"sessionStorage": {"memory", scopes.FromDefault}, // no longer declared
		"clientTimeout":  {"30d", scopes.FromAdmin},      // set by an administrator: kept
	}
	for name, w := range want {
		if eff.Values[name] != w[0] || eff.From[name] != w[1] {
			t.Errorf("%s = %s from %s; want %s from %s", name, eff.Values[name], eff.From[name], w[0], w[1])
		}
	}
}

func TestDirectory_ServerDefaultsThatWouldBreakAnAppAreRefused(t *testing.T) {
	ctx := context.Background()
	d := newDirectory(t)
	if _, err := d.CreateApp(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeclareSettings(ctx, "legacy", map[string]string{"sessionType": "j2ee"}); err != nil {
		t.Fatal(err)
	}
	_, err := d.SetServerSettings(ctx, map[string]string{"sessionStorage": "file"})
	if scopes.ErrorCode(err) != scopes.EInvalidSettings || !strings.Contains(scopes.ErrorMessage(err), "legacy") {
		t.Fatalf("got %v; want a refusal naming the app", err)
	}
	eff, err := d.ServerSettings(ctx)
	if err != nil || eff.Values["sessionStorage"] != "memory" {
		t.Fatalf("the refused change was applied: %v %v", eff.Values, err)
	}
}

func TestDirectory_RotatedKeysStopWorking(t *testing.T) {
	ctx := context.Background()
	d := newDirectory(t)
	d.CacheTTL = time.Hour
	old, err := d.CreateApp(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if app, err := d.Authenticate(ctx, old); err != nil || app != "shop" {
		t.Fatalf("Authenticate = %q, %v", app, err)
	}
	fresh, err := d.RotateKey(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	// A rotation through this directory forgets the cache at once.
	if _, err := d.Authenticate(ctx, old); scopes.ErrorCode(err) != scopes.EUnauthorized {
		t.Fatalf("old key after rotation: %v", err)
	}
	if app, err := d.Authenticate(ctx, fresh); err != nil || app != "shop" {
		t.Fatalf("new key: %q, %v", app, err)
	}
	e := scopes.NewEngine(newShared(t))
	if _, err := d.DeleteAppAndScopes(ctx, e, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, fresh); scopes.ErrorCode(err) != scopes.EUnauthorized {
		t.Fatalf("key of a deleted app: %v", err)
	}
	if _, err := d.DeleteAppAndScopes(ctx, e, "shop"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("deleting twice: %v", err)
	}
}

// TestDirectory_AppCreatedAgainHasNoneOfTheOldScopes: deleting an app ends
// its live scopes, so that an app created again under its name cannot read
// the old one's sessions and client scopes (a visitor's old cookie finds
// nothing).
func TestDirectory_AppCreatedAgainHasNoneOfTheOldScopes(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	cs, err := configstore.Open(ctx, "", t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	d := scopes.NewDirectory(cs, st)
	e := scopes.NewEngine(st)
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	eff, err := d.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var old []scopes.Key
	for _, k := range scopes.Kinds { // sessions in memory, client scopes in the file storage
		for range 3 {
			sc, err := e.Create(ctx, eff.Settings, "shop", k, []byte(`{"user":"old"}`))
			if err != nil {
				t.Fatal(err)
			}
			old = append(old, scopes.Key{App: "shop", Kind: k, CFID: sc.CFID})
		}
	}
	ended, err := d.DeleteAppAndScopes(ctx, e, "shop")
	if err != nil || ended != 6 {
		t.Fatalf("DeleteAppAndScopes = %d, %v; want 6 scopes ended", ended, err)
	}
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	eff, err = d.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range old {
		if sc, err := e.Load(ctx, eff.Settings, k); scopes.ErrorCode(err) != scopes.ENotFound {
			t.Errorf("the new app reads the old app's %s %s: %v, %v", k.Kind, k.CFID, sc, err)
		}
	}
}

// TestDirectory_AppTogglingItsSettingsIsLimited: an app that changes its
// own settings on every request is refused after a burst, with a message
// saying what to do, and writes no audit entry for the refused calls;
// declaring the same settings again is free.
func TestDirectory_AppTogglingItsSettingsIsLimited(t *testing.T) {
	ctx := context.Background()
	cs, err := configstore.Open(ctx, "", t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	d := scopes.NewDirectory(cs, newShared(t))
	d.Auditor = cs
	clk := &fakeClock{now: time.Now()}
	d.Now = clk.Now
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	timeouts := []string{"1h", "2h"}
	for i := range 10 {
		if _, err := d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": timeouts[i%2]}); err != nil {
			t.Fatalf("declaration %d: %v", i+1, err)
		}
		// The same again changes nothing and is not counted.
		if _, err := d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": timeouts[i%2]}); err != nil {
			t.Fatalf("declaration %d again: %v", i+1, err)
		}
	}
	_, err = d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": "3h"})
	if scopes.ErrorCode(err) != scopes.ETooManyRequests || !strings.Contains(scopes.ErrorMessage(err), "once, when the app starts") {
		t.Fatalf("11th change in a row: %v; want rate_limited saying to declare once", err)
	}
	entries, err := cs.Audit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, e := range entries {
		if e.Action == "app.settings.declare" {
			declared++
		}
	}
	if declared != 10 {
		t.Errorf("%d declaration entries in the audit log; want 10, one per applied change", declared)
	}
	clk.Advance(7 * time.Second)
	if _, err := d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": "3h"}); err != nil {
		t.Fatalf("a change after a pause: %v", err)
	}
}

// TestDirectory_AnAppsChangeKeepsTheOthersCached: changing one app's
// settings drops only that app's cached settings.
func TestDirectory_AnAppsChangeKeepsTheOthersCached(t *testing.T) {
	ctx := context.Background()
	cs, err := configstore.Open(ctx, "", t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	d := scopes.NewDirectory(cs, newShared(t))
	d.CacheTTL = time.Hour
	for _, app := range []string{"shop", "blog"} {
		if _, err := d.CreateApp(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Effective(ctx, "blog"); err != nil { // cached now
		t.Fatal(err)
	}
	// blog changes behind the directory's back (another instance's change):
	// the cache keeps serving what it read.
	if _, err := cs.SetAppLayer(ctx, "blog", scopes.Layer{scopes.SessionTimeout: {Value: "2h", By: scopes.FromAdmin}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": "1h"}); err != nil {
		t.Fatal(err)
	}
	eff, err := d.Effective(ctx, "blog")
	if err != nil {
		t.Fatal(err)
	}
	if got := eff.Values[scopes.SessionTimeout]; got != "30m" {
		t.Errorf("blog's sessionTimeout after shop's change = %s; want its cached 30m (shop's change emptied every app's cache)", got)
	}
	shop, err := d.Effective(ctx, "shop")
	if err != nil || shop.Values[scopes.SessionTimeout] != "1h" {
		t.Errorf("shop's own change not seen: %v, %v", shop.Values[scopes.SessionTimeout], err)
	}
}

// listFails is a store whose listing fails, as a storage that stopped
// answering does.
type listFails struct{ scopes.Store }

func (listFails) List(context.Context, string, scopes.Kind, string, int, time.Time) ([]scopes.Record, error) {
	return nil, errors.New("connection refused")
}

// TestDirectory_DeleteAppWhenAStorageFails: when the app's scopes cannot be
// ended, the app is not deleted, its keys are revoked (so no scope is made
// meanwhile), and the message says what to do; deleting it again once the
// storage answers finishes.
func TestDirectory_DeleteAppWhenAStorageFails(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	cs, err := configstore.Open(ctx, "", t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	d := scopes.NewDirectory(cs, st)
	e := scopes.NewEngine(st)
	key, err := d.CreateApp(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	eff, err := d.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := e.Create(ctx, eff.Settings, "shop", scopes.Session, []byte(`{"user":"old"}`))
	if err != nil {
		t.Fatal(err)
	}
	mem := st.stores["memory"]
	st.stores["memory"] = listFails{mem}
	_, err = d.DeleteAppAndScopes(ctx, e, "shop")
	if scopes.ErrorCode(err) != scopes.EUnavailable || !strings.Contains(scopes.ErrorMessage(err), "is not deleted") ||
		!strings.Contains(scopes.ErrorMessage(err), "delete it again") {
		t.Fatalf("DeleteAppAndScopes with a failing storage: %v; want unavailable saying to delete again", err)
	}
	if _, err := d.Effective(ctx, "shop"); err != nil {
		t.Fatalf("the app is gone after a failed delete: %v", err)
	}
	if _, err := d.Authenticate(ctx, key); scopes.ErrorCode(err) != scopes.EUnauthorized {
		t.Fatalf("the app's key still works after a failed delete: %v", err)
	}
	st.stores["memory"] = mem
	if ended, err := d.DeleteAppAndScopes(ctx, e, "shop"); err != nil || ended != 1 {
		t.Fatalf("deleting again = %d, %v; want the 1 scope ended", ended, err)
	}
	if _, err := e.Load(ctx, eff.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("the old scope after the delete: %v", err)
	}
}
