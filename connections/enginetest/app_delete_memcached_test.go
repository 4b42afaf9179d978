package enginetest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// TestDirectory_DeleteAppWithScopesInMemcached: memcached cannot list an
// app's scopes to end them, so deleting the app does not stop at them: the
// app is deleted, and the audit entry says that they stay until they expire.
func TestDirectory_DeleteAppWithScopesInMemcached(t *testing.T) {
	ctx := context.Background()
	cs, err := configstore.Open(ctx, "", t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	if err := cs.CreateConnection(ctx, scopes.Connection{Name: "mc", Kind: "cache", Type: "memcached", Storage: true,
		Params: map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": conntest.RedisPrefix(t)}}); err != nil {
		t.Fatal(err)
	}
	reg := connections.NewRegistry(t.TempDir(), cs)
	t.Cleanup(func() { _ = reg.Close() })
	d := scopes.NewDirectory(cs, reg)
	d.Auditor = cs
	e := scopes.NewEngine(reg)
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	eff, err := d.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "mc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, eff.Settings, "shop", scopes.Session, []byte(`{"user":"old"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, eff.Settings, "shop", scopes.Client, []byte(`{"user":"old"}`)); err != nil {
		t.Fatal(err)
	}
	ended, err := d.DeleteAppAndScopes(ctx, e, "shop")
	if err != nil || ended != 1 {
		t.Fatalf("DeleteAppAndScopes = %d, %v; want the client scope ended and the app deleted", ended, err)
	}
	if _, found, err := cs.App(ctx, "shop"); err != nil || found {
		t.Fatalf("the app is still there: %v, %v", found, err)
	}
	entries, err := cs.Audit(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range entries {
		if a.Action == "app.delete" {
			if !strings.Contains(a.Detail, "session scopes in mc cannot be listed") {
				t.Errorf("the audit entry does not say the memcached scopes stay: %q", a.Detail)
			}
			return
		}
	}
	t.Errorf("no app.delete audit entry in %+v", entries)
}
