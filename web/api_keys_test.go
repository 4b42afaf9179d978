package web_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// TestKeyReplacedWithoutDowntime is the story of several keys per app: the
// new key works as soon as it is added, the old one keeps working until it
// is revoked, then it gets 401; the last key is revoked only when forced.
func TestKeyReplacedWithoutDowntime(t *testing.T) {
	api := newTestAPI(t)
	ctx := context.Background()
	old := api.app("shop", nil)
	status := func(key string) int {
		t.Helper()
		return api.do("POST", "/api/v1/apps/shop/sessions", key, "").status
	}
	fresh, k, err := api.dir.AddKey(ctx, "shop", "deploy 2026-12")
	if err != nil {
		t.Fatal(err)
	}
	if got := status(fresh); got != http.StatusCreated {
		t.Fatalf("the new key: %d", got)
	}
	if got := status(old); got != http.StatusCreated {
		t.Fatalf("the old key after a new one was added: %d, want 201 until it is revoked", got)
	}
	keys, err := api.dir.Keys(ctx, "shop")
	if err != nil || len(keys) != 2 || keys[0].Label != "key 1" || keys[1].ID != k.ID {
		t.Fatalf("Keys = %+v, %v", keys, err)
	}
	if _, left, err := api.dir.RevokeKey(ctx, "shop", keys[0].ID, false); err != nil || left != 1 {
		t.Fatalf("RevokeKey(old) = %d, %v", left, err)
	}
	r := api.do("POST", "/api/v1/apps/shop/sessions", old, "")
	mustStatus(t, r, http.StatusUnauthorized)
	if code := r.errorCode(t); code != scopes.EUnauthorized {
		t.Errorf("the revoked key: code %q", code)
	}
	if got := status(fresh); got != http.StatusCreated {
		t.Fatalf("the new key after the old one was revoked: %d", got)
	}

	// The last key stays unless forced; forced, the app gets 401s.
	_, _, err = api.dir.RevokeKey(ctx, "shop", k.ID, false)
	if !errors.Is(err, scopes.ErrLastKey) || status(fresh) != http.StatusCreated {
		t.Fatalf("revoking the last key unforced: %v", err)
	}
	if _, _, err := api.dir.RevokeKey(ctx, "shop", k.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := status(fresh); got != http.StatusUnauthorized {
		t.Errorf("the last key, revoked by force: %d, want 401", got)
	}
}

// TestRevokedKeyOnAnotherInstance shows how long a key revoked through one
// instance still works on another: until the other's cache of it expires,
// CacheTTL after it last read it. It also checks that the other instance
// records the last use of the key it accepts.
func TestRevokedKeyOnAnotherInstance(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	cs, err := configstore.Open(ctx, "", dataDir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := connections.NewRegistry(dataDir, cs)
	a := scopes.NewDirectory(cs, reg)
	b := scopes.NewDirectory(cs, reg)
	clk := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	b.Now = clk.Now
	srv := httptest.NewServer(web.New(web.Options{Engine: scopes.NewEngine(reg), Directory: b,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(func() {
		srv.Close()
		b.WaitKeyUses()
		_ = reg.Close()
		_ = cs.Close()
	})
	status := func(key string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/apps/shop/sessions", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	old, err := a.CreateApp(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	fresh, k, err := a.AddKey(ctx, "shop", "")
	if err != nil {
		t.Fatal(err)
	}
	if status(old) != http.StatusCreated || status(fresh) != http.StatusCreated {
		t.Fatal("the keys do not work on the other instance")
	}
	keys, _ := a.Keys(ctx, "shop")
	if _, _, err := a.RevokeKey(ctx, "shop", keys[0].ID, false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(scopes.DefaultCacheTTL - time.Millisecond)
	if got := status(old); got != http.StatusCreated {
		t.Errorf("within the other instance's cache TTL: %d, want 201 (the documented bound)", got)
	}
	clk.Advance(time.Millisecond)
	if got := status(old); got != http.StatusUnauthorized {
		t.Errorf("past the other instance's cache TTL: %d, want 401", got)
	}
	if got := status(fresh); got != http.StatusCreated {
		t.Errorf("the new key: %d", got)
	}

	b.WaitKeyUses()
	keys, _ = a.Keys(ctx, "shop")
	if len(keys) != 2 || keys[1].ID != k.ID || !keys[1].LastUsed.Equal(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("last use of the new key: %+v", keys)
	}
}
