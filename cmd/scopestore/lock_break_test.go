package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/connections/redis"
	"github.com/scopestore/scopestore/scopes"
)

// `app locks NAME --break LOCK` shows the holder and breaks nothing;
// with --yes it frees the lock, audited as lock.break by cli:<user>; the
// holder's release then fails and the next holder's fence is higher.
func TestCLI_LockBreak(t *testing.T) {
	dir := t.TempDir()
	url, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	if code, _, errOut := cli(t, dir, "", "app", "create", "shop"); code != exitOK {
		t.Fatalf("app create: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, dir, "", "app", "locks", "shop", "--break", "counter", "--yes"); code == exitOK || !strings.Contains(errOut, "in memory") {
		t.Fatalf("break in memory: exit %d: %s", code, errOut)
	}
	if code, out, errOut := cli(t, dir, "", "connection", "create", "--name", "locks", "--type", "redis", "--url", url, "--prefix", prefix, "--storage"); code != exitOK {
		t.Fatalf("connection create: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut := cli(t, dir, "", "app", "settings", "shop", "--lock-storage", "locks"); code != exitOK {
		t.Fatalf("--lock-storage locks: exit %d: %s", code, errOut)
	}
	if code, _, errOut := cli(t, dir, "", "app", "locks", "shop", "--break", "counter", "--yes"); code != exitNotFound || !strings.Contains(errOut, "not held now") {
		t.Fatalf("break of a free lock: exit %d: %s", code, errOut)
	}

	ctx := context.Background()
	st, err := redis.Open(ctx, scopes.Connection{Name: "locks", Kind: "cache", Type: "redis", Storage: true,
		Params: map[string]string{"url": url, "prefix": prefix}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := scopes.LockRequest{Name: "counter", Type: scopes.LockExclusive, Token: scopes.NewLockToken(time.Now()), Lease: time.Minute}
	held, _, ok, err := st.TryLock(ctx, "shop", req, time.Now())
	if err != nil || !ok {
		t.Fatalf("TryLock: %v, %v", ok, err)
	}

	code, _, errOut := cli(t, dir, "", "app", "locks", "shop", "--break", "counter")
	if code != exitUsage || !strings.Contains(errOut, "exclusive") || !strings.Contains(errOut, "add --yes") || strings.Contains(errOut, req.Token) {
		t.Fatalf("--break without --yes: exit %d: %s", code, errOut)
	}
	if _, ok, err := st.Renew(ctx, "shop", "counter", held.Token, time.Minute, time.Now()); err != nil || !ok {
		t.Fatalf("broken without --yes: %v, %v", ok, err)
	}
	code, _, errOut = cli(t, dir, "", "app", "locks", "shop", "--break", "counter", "--yes")
	if code != exitOK || !strings.Contains(errOut, "is broken") {
		t.Fatalf("--break --yes: exit %d: %s", code, errOut)
	}
	if ok, err := st.Unlock(ctx, "shop", "counter", held.Token, time.Now()); err != nil || ok {
		t.Fatalf("the broken holder's unlock: %v, %v", ok, err)
	}
	req.Token = scopes.NewLockToken(time.Now())
	next, _, ok, err := st.TryLock(ctx, "shop", req, time.Now())
	if err != nil || !ok || next.Fence <= held.Fence {
		t.Fatalf("next holder: %v, %v, fence %d after %d", ok, err, next.Fence, held.Fence)
	}
	if code, _, _ := cli(t, dir, "", "app", "locks", "shop", "--yes"); code != exitUsage {
		t.Fatalf("--yes alone: exit %d", code)
	}

	cs, err := configstore.Open(ctx, "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	entries, err := cs.Audit(ctx, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %v, %d entries", err, len(entries))
	}
	if e := entries[0]; e.Action != "lock.break" || e.Target != "shop lock counter" || !strings.HasPrefix(e.Actor, "cli:") || !strings.Contains(e.Detail, "exclusive") {
		t.Fatalf("audit entry %+v", e)
	}
}
