package main

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// App names ignore case in every command that takes one, and the commands
// work on the app as created.
func TestCLI_AppNameIgnoresCase(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "Shop")
	if code, _, errOut := cli(t, dir, "", "app", "create", "shop"); code != exitConflict || !strings.Contains(errOut, `app "Shop" already exists (app names ignore case)`) {
		t.Errorf("app create shop: exit %d: %s", code, errOut)
	}
	mustCLI(t, dir, "app", "settings", "SHOP", "--session-storage", "file", "--session-timeout", "1h")
	if out := mustCLI(t, dir, "app", "settings", "shop"); !strings.Contains(out, "sessionTimeout") || !strings.Contains(out, "1h") {
		t.Errorf("app settings shop:\n%s", out)
	}
	if out := mustCLI(t, dir, "app", "key", "list", "sHoP"); !strings.Contains(out, "key 1") {
		t.Errorf("app key list sHoP:\n%s", out)
	}
	if out := mustCLI(t, dir, "app", "list"); !strings.Contains(out, "Shop ") || strings.Contains(out, "SHOP") {
		t.Errorf("app list keeps the case the app was created with:\n%s", out)
	}

	svc := openServices(t, dir)
	cfid := createScopes(t, svc, "Shop", scopes.Session, `{"n":1}`)[0]
	if out := mustCLI(t, dir, "sessions", "list", "--app", "SHOP", "--scope", "session"); !strings.Contains(out, cfid) {
		t.Errorf("sessions list --app SHOP lacks %s:\n%s", cfid, out)
	}

	_, _, errOut := cli(t, dir, "", "app", "delete", "shop")
	if !strings.Contains(errOut, "Deleted app Shop;") {
		t.Errorf("app delete shop: %s", errOut)
	}
	if code, _, errOut := cli(t, dir, "", "app", "settings", "Shop"); code != exitNotFound {
		t.Errorf("app settings after delete: exit %d: %s", code, errOut)
	}
}

// A config store written before app names ignored case may hold apps that
// differ only in case: serve warns, naming them and the way out, and each
// still answers to its exact name.
func TestCLI_AppNameClashes(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")
	warnings := func() string {
		var log bytes.Buffer
		svc := openServices(t, dir)
		warnAppNameClashes(context.Background(), svc.directory, slog.New(slog.NewTextHandler(&log, nil)))
		_ = svc.Close()
		return log.String()
	}
	if w := warnings(); w != "" {
		t.Fatalf("a warning with one app: %s", w)
	}

	// As an older version could: CreateApp refuses it now.
	db, err := sql.Open("sqlite", filepath.Join(dir, configstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO apps (name, created_at) VALUES ('SHOP', ?)`, time.Now().UTC().Format("2006-01-02 15:04:05.999999"))
	_ = db.Close()
	if err != nil {
		t.Fatal(err)
	}

	w := warnings()
	for _, want := range []string{"level=WARN", `apps="SHOP, shop"`, "scopestore app delete NAME"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q:\n%s", want, w)
		}
	}
	mustCLI(t, dir, "app", "settings", "SHOP", "--session-timeout", "2h")
	if out := mustCLI(t, dir, "app", "settings", "shop"); strings.Contains(out, "2h") {
		t.Errorf("shop has SHOP's setting:\n%s", out)
	}
	if code, _, errOut := cli(t, dir, "", "app", "settings", "Shop"); code != exitConflict || !strings.Contains(errOut, "SHOP, shop") {
		t.Errorf("app settings Shop: exit %d: %s", code, errOut)
	}
	mustCLI(t, dir, "app", "delete", "SHOP")
	if w := warnings(); w != "" {
		t.Errorf("a warning after the clash was resolved: %s", w)
	}
	if out := mustCLI(t, dir, "app", "list"); !strings.Contains(out, "shop ") || strings.Contains(out, "SHOP") {
		t.Errorf("app list:\n%s", out)
	}
}
