package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
)

// A CouchDB connection created on the command line is checked step by
// step, listed, verified again, and holds an app's scopes.
func TestCLI_CouchDB(t *testing.T) {
	dir := t.TempDir()
	db := conntest.CouchDBDatabase(t)
	out := mustCLI(t, dir, "connection", "create", "--name", "cdb", "--type", "couchdb", "--url", db, "--storage")
	for _, check := range []string{"connect", "database", "write", "read", "compare-and-set", "count", "delete", "index"} {
		if !strings.Contains(out, "ok      "+check+"\n") {
			t.Fatalf("create cdb: check %q not shown:\n%s", check, out)
		}
	}
	if out = mustCLI(t, dir, "connection", "list"); !listed(out, "cdb", "ok") {
		t.Fatalf("connection list:\n%s", out)
	}
	if out = mustCLI(t, dir, "connection", "verify", "cdb"); strings.Contains(out, "FAIL") {
		t.Fatalf("verify cdb:\n%s", out)
	}
	mustCLI(t, dir, "app", "create", "shop")
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "CDB", "--client-storage", "cdb")

	// A url without a database is refused before anything is stored.
	code, _, errOut := cli(t, dir, "", "connection", "create", "--name", "nodb", "--type", "couchdb", "--url", "http://127.0.0.1:5984/", "--no-verify")
	if code != exitUsage || !strings.Contains(errOut, "must name the database") {
		t.Fatalf("a url without a database: exit %d: %s", code, errOut)
	}
}

// Two instances share a CouchDB storage with cluster = true, and an outage
// of CouchDB answers 503 with Retry-After, never an empty scope, until it
// is back.
func TestCouchDBStorage(t *testing.T) {
	base, err := url.Parse(conntest.CouchDBURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := conntest.NewProxy(t, base.Host)
	db := conntest.CouchDBDatabase(t)
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "cdb", "--type", "couchdb", "--storage", "--timeout", "2s",
		"--url", strings.Replace(db, base.Host, proxy.Addr(), 1))
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "cdb", "--session-cluster", "true")
	a, b := startInstance(t, dir), startInstance(t, dir)

	status, body, _ := a.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"n":1}}`)
	if status != http.StatusCreated || !strings.Contains(body, `"storage":"cdb"`) {
		t.Fatalf("create: %d %s", status, body)
	}
	path := "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]
	if status, body, _ = b.do(t, "PATCH", path, key, `{"incr":{"n":1}}`); status != http.StatusOK {
		t.Fatalf("b patch: %d %s", status, body)
	}
	if status, body, _ = a.do(t, "GET", path, key, ""); status != http.StatusOK || !strings.Contains(body, `"data":{"n":2}`) {
		t.Fatalf("a does not read b's write: %d %s", status, body)
	}
	outage(t, a, key, proxy)
}
