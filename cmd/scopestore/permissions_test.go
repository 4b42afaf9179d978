package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// TestDataDirIsPrivate: the data directory is created 0700 and everything
// scopestore writes in it 0600, the file storage's database and WAL
// included, whatever the umask lets through.
func TestDataDirIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	svc := openServices(t, dir)
	if _, err := svc.directory.CreateApp(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	// The file storage opens on first use; a client scope written there
	// creates its database and WAL.
	createScopes(t, svc, "shop", scopes.Client, `{"n":1}`)
	if _, err := svc.storages.Store(context.Background(), scopes.StorageFile); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o700 {
		t.Errorf("data directory mode = %s, want 0700", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Name()] = true
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %s, want 0600", e.Name(), got)
		}
	}
	for _, want := range []string{"secret.key", "config.db", "scopes.db", "scopes.db-wal"} {
		if !seen[want] {
			t.Errorf("%s not found in the data directory (found %v): the test checks nothing of it", want, seen)
		}
	}
	if loose, err := looseModes(dir); err != nil || len(loose) != 0 {
		t.Errorf("looseModes of a fresh data directory = %v, %v; want none", loose, err)
	}
}

// TestLooseModesWarn: a data directory or a file in it that an operator
// opened to the group is named in a warning with the command that fixes it.
func TestLooseModesWarn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	openServices(t, dir)
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "config.db"), 0o640); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	warnLooseModes(dir, slog.New(slog.NewTextHandler(&log, nil)))
	out := log.String()
	for _, want := range []string{"level=WARN", dir + " (-rwxr-x---)", filepath.Join(dir, "config.db") + " (-rw-r-----)", "chmod 700"} {
		if !strings.Contains(out, want) {
			t.Errorf("warning lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret.key") {
		t.Errorf("warning names secret.key, which is still 0600:\n%s", out)
	}
}
