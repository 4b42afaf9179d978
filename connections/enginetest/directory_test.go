package enginetest_test

import (
	"bytes"
	"context"
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
	if err := d.DeleteApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(ctx, fresh); scopes.ErrorCode(err) != scopes.EUnauthorized {
		t.Fatalf("key of a deleted app: %v", err)
	}
	if err := d.DeleteApp(ctx, "shop"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("deleting twice: %v", err)
	}
}
