package main

import (
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// memcached cannot list its keys: sessions list says so and what works
// instead, and show still opens a scope by its cfid.
func TestCLI_SessionsOnMemcached(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")
	mustCLI(t, dir, "connection", "create", "--name", "mc", "--type", "memcached", "--servers", conntest.MemcachedAddr(t),
		"--prefix", "scopestore_t_cli_mc:", "--storage")
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "mc", "--session-cluster", "true")
	svc := openServices(t, dir)
	cfids := createScopes(t, svc, "shop", scopes.Session, `{"n":1}`)

	code, out, errOut := cli(t, dir, "", "sessions", "list", "--app", "shop")
	if code != exitFailure || out != "" || !strings.Contains(errOut, "memcached cannot list its keys") ||
		!strings.Contains(errOut, "sessions show --app shop --scope session CFID") {
		t.Fatalf("list on memcached: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if out := mustCLI(t, dir, "sessions", "show", "--app", "shop", cfids[0]); !strings.Contains(out, cfids[0]) || !strings.Contains(out, `"n"`) {
		t.Errorf("show on memcached: %s", out)
	}
}
