package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadyzReportsAnUnwritableDataDirectory: /readyz answers 503, naming
// the data directory and what to do, once the directory cannot be
// written, though the config store and the storages still answer.
func TestReadyzReportsAnUnwritableDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := defaultConfig()
	cfg.DataDir = dir
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(srv.Close)

	ready := func() (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := ready(); code != http.StatusOK || !strings.Contains(body, `"data directory"`) {
		t.Fatalf("/readyz = %d %s; want 200 with a data directory check", code, body)
	}
	// The directory goes away under the running server (its open files
	// stay usable) and a file takes its name: nothing can be created in it,
	// as on a full disk, while the config store still answers.
	if err := os.Rename(dir, dir+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := ready()
	var got struct {
		Ready  bool
		Checks []struct {
			Name   string
			OK     bool
			Detail string
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || got.Ready {
		t.Fatalf("/readyz = %d %s; want 503", code, body)
	}
	for _, c := range got.Checks {
		switch c.Name {
		case "config":
			if !c.OK {
				t.Errorf("config check failed too: %s", c.Detail)
			}
		case "data directory":
			if c.OK || !strings.Contains(c.Detail, dir) || !strings.Contains(c.Detail, "free disk space") {
				t.Errorf("data directory check = %+v; want a failure naming %s and what to do", c, dir)
			}
			return
		}
	}
	t.Errorf("no data directory check in %s", body)
}
