package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/connections/redis"
	"github.com/scopestore/scopestore/scopes"
)

// `app settings --lock-storage` and `app locks` list what an instance holds.
func TestCLI_Locks(t *testing.T) {
	dir := t.TempDir()
	url, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	if code, _, errOut := cli(t, dir, "", "app", "create", "shop"); code != exitOK {
		t.Fatalf("app create: %d %s", code, errOut)
	}
	code, _, errOut := cli(t, dir, "", "app", "locks", "shop")
	if code != exitOK || !strings.Contains(errOut, "cannot be listed from here") {
		t.Fatalf("locks in memory: exit %d: %s", code, errOut)
	}
	if code, _, errOut := cli(t, dir, "", "app", "settings", "shop", "--lock-storage", "file"); code == exitOK || !strings.Contains(errOut, "cannot hold locks") {
		t.Fatalf("--lock-storage file: exit %d: %s", code, errOut)
	}
	if code, out, errOut := cli(t, dir, "", "connection", "create", "--name", "locks", "--type", "redis", "--url", url, "--prefix", prefix, "--storage"); code != exitOK {
		t.Fatalf("connection create: exit %d: %s %s", code, out, errOut)
	}
	if code, out, errOut := cli(t, dir, "", "app", "settings", "shop", "--lock-storage", "LOCKS"); code != exitOK || !hasRow(out, "lockStorage", "locks set by an administrator") {
		t.Fatalf("--lock-storage locks: exit %d:\n%s%s", code, out, errOut)
	}
	if _, _, errOut := cli(t, dir, "", "app", "locks", "shop"); !strings.Contains(errOut, "No lock of shop is held") {
		t.Fatalf("no locks: %s", errOut)
	}

	// An instance takes a lock in the same Redis.
	st, err := redis.Open(context.Background(), scopes.Connection{Name: "locks", Kind: "cache", Type: "redis", Storage: true,
		Params: map[string]string{"url": url, "prefix": prefix}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := scopes.LockRequest{Name: "counter", Type: scopes.LockExclusive, Token: scopes.NewLockToken(time.Now()), Lease: time.Minute}
	if _, _, ok, err := st.TryLock(context.Background(), "shop", req, time.Now()); err != nil || !ok {
		t.Fatalf("TryLock: %v, %v", ok, err)
	}
	code, out, errOut := cli(t, dir, "", "app", "locks", "shop")
	if code != exitOK || !strings.Contains(out, "counter") || !strings.Contains(out, "exclusive") || strings.Contains(out, req.Token) {
		t.Fatalf("app locks: exit %d:\n%s%s", code, out, errOut)
	}
	if code, _, _ := cli(t, dir, "", "app", "locks", "shop", "--limit", "0"); code == exitOK {
		t.Fatal("--limit 0 accepted")
	}
}
