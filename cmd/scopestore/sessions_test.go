package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// openServices wires the services over dataDir as a server would, and
// closes them when the test ends.
func openServices(t *testing.T, dataDir string) *services {
	t.Helper()
	cfg := defaultConfig()
	cfg.DataDir = dataDir
	cfg.CacheTTL = 0
	svc, err := open(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// createScopes creates one scope of app's kind k per data object, as the
// runtime API would, and returns their cfids.
func createScopes(t *testing.T, svc *services, app string, k scopes.Kind, data ...string) []string {
	t.Helper()
	ctx := context.Background()
	eff, err := svc.directory.Effective(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	var cfids []string
	for _, d := range data {
		sc, err := svc.engine.Create(ctx, eff.Settings, app, k, json.RawMessage(d))
		if err != nil {
			t.Fatal(err)
		}
		cfids = append(cfids, sc.CFID)
	}
	return cfids
}

var (
	cfidCell   = regexp.MustCompile(`(?m)^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s`)
	nextCursor = regexp.MustCompile(`(?m)^next cursor: (\S+)$`)
)

func TestCLI_Sessions(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")

	// Sessions in memory live in the server's process: the CLI says so.
	code, _, errOut := cli(t, dir, "", "sessions", "list", "--app", "shop")
	if code != exitFailure || !strings.Contains(errOut, "inside the running server's process") || !strings.Contains(errOut, "--server URL --token T") {
		t.Fatalf("list of memory sessions: exit %d: %s", code, errOut)
	}

	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "file", "--session-cluster", "true")
	svc := openServices(t, dir)
	cfids := createScopes(t, svc, "shop", scopes.Session,
		`{"email":"alice@example.com","n":1}`, `{"email":"bob@example.com"}`, `{}`, `{}`, `{}`, `{}`, `{}`)
	alice := cfids[0]
	client := createScopes(t, svc, "shop", scopes.Client, `{"theme":"dark"}`)[0]

	// Page through by cursor, 3 at a time: full cfids, each once, in order.
	var listed []string
	args := []string{"sessions", "list", "--app", "shop", "--scope", "session", "--limit", "3"}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		out := mustCLI(t, dir, args...)
		if !strings.HasPrefix(out, "CFID") || !strings.Contains(out, "LAST VISIT") {
			t.Fatalf("no table header:\n%s", out)
		}
		for _, m := range cfidCell.FindAllStringSubmatch(out, -1) {
			listed = append(listed, m[1])
		}
		m := nextCursor.FindStringSubmatch(out)
		if m == nil {
			break
		}
		args = []string{"sessions", "list", "--app", "shop", "--limit", "3", "--cursor", m[1]}
	}
	want := slices.Sorted(slices.Values(cfids))
	if !slices.Equal(listed, want) {
		t.Fatalf("listed %v\nwant   %v", listed, want)
	}

	out := mustCLI(t, dir, "sessions", "list", "--app", "shop", "--filter", "email=alice@example.com")
	if got := cfidCell.FindAllStringSubmatch(out, -1); len(got) != 1 || got[0][1] != alice {
		t.Fatalf("filter: %s", out)
	}
	out = mustCLI(t, dir, "sessions", "list", "--app", "shop", "--filter", "=bob@example.com", "--prefix", cfids[1][:4])
	if got := cfidCell.FindAllStringSubmatch(out, -1); len(got) != 1 || got[0][1] != cfids[1] {
		t.Fatalf("filter on any key with a prefix: %s", out)
	}
	out = mustCLI(t, dir, "sessions", "list", "--app", "shop", "--scope", "client")
	if !strings.Contains(out, "HITS") || len(cfidCell.FindAllString(out, -1)) != 1 {
		t.Fatalf("client scopes: %s", out)
	}

	// show prints the scope as the runtime API writes it, without a visit.
	var sc scopes.Scope
	out = mustCLI(t, dir, "sessions", "show", "--app", "shop", alice)
	var data bytes.Buffer
	if err := json.Unmarshal([]byte(out), &sc); err != nil || sc.CFID != alice || json.Compact(&data, sc.Data) != nil ||
		data.String() != `{"email":"alice@example.com","n":1}` ||
		!strings.Contains(out, `"urltoken": "CFID=`+alice+`&CFTOKEN=0"`) {
		t.Fatalf("show: %v\n%s", err, out)
	}
	eff, _ := svc.directory.Effective(context.Background(), "shop")
	peek, err := svc.engine.Peek(context.Background(), eff.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: alice})
	if err != nil || !peek.LastVisit.Equal(sc.LastVisit) || !peek.Expires.Equal(sc.Expires) {
		t.Errorf("show moved the last visit or expiry: %+v, %v", peek, err)
	}

	// invalidate: the app's next load answers not found, and it is audited.
	code, _, errOut = cli(t, dir, "", "sessions", "invalidate", "--app", "shop", strings.ToUpper(alice))
	if code != exitOK || !strings.Contains(errOut, "next load of it answers 404") || strings.Contains(errOut, "Note") {
		t.Fatalf("invalidate: exit %d: %s", code, errOut)
	}
	if _, err := svc.engine.Load(context.Background(), eff.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: alice}); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("load after invalidate: %v", err)
	}
	entries, err := svc.config.Audit(context.Background(), 0, 2)
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	if e := entries[0]; e.Action != "session.invalidate" || e.Target != "shop session "+alice || !strings.HasPrefix(e.Actor, "cli:") {
		t.Errorf("invalidate audited as %+v", e)
	}
	if e := entries[1]; e.Action != "session.view" || !strings.HasPrefix(e.Actor, "cli:") {
		t.Errorf("show audited as %+v", e)
	}

	// With cluster = false, a running instance's in-memory copy outlives
	// the stored one: the command says so.
	code, _, errOut = cli(t, dir, "", "sessions", "invalidate", "--app", "shop", "--scope", "client", client)
	if code != exitOK || !strings.Contains(errOut, "clientCluster is false") {
		t.Errorf("invalidate a client scope: exit %d: %s", code, errOut)
	}

	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"invalidated", []string{"sessions", "show", "--app", "shop", alice}, exitNotFound, "no live session scope"},
		{"invalidate twice", []string{"sessions", "invalidate", "--app", "shop", alice}, exitNotFound, "expired or was invalidated"},
		{"no app", []string{"sessions", "list"}, exitUsage, "--app is required"},
		{"unknown app", []string{"sessions", "list", "--app", "blog"}, exitNotFound, "no app named"},
		{"bad scope", []string{"sessions", "list", "--app", "shop", "--scope", "application"}, exitUsage, "use session or client"},
		{"bad cfid", []string{"sessions", "show", "--app", "shop", "1234"}, exitUsage, "not a cfid"},
		{"no cfid", []string{"sessions", "invalidate", "--app", "shop"}, exitUsage, "missing cfid"},
		{"limit too large", []string{"sessions", "list", "--app", "shop", "--limit", "501"}, exitUsage, "1 to 500"},
		{"limit zero", []string{"sessions", "list", "--app", "shop", "--limit", "0"}, exitUsage, "1 to 500"},
		{"bad cursor", []string{"sessions", "list", "--app", "shop", "--cursor", "zz"}, exitUsage, "cursor"},
		{"bad prefix", []string{"sessions", "list", "--app", "shop", "--prefix", "xyz"}, exitUsage, "hex digits"},
		{"bad filter", []string{"sessions", "list", "--app", "shop", "--filter", "alice"}, exitUsage, "key=value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, dir, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.stderr) {
				t.Fatalf("exit %d, want %d; stderr lacks %q?\nstdout: %s\nstderr: %s", code, c.code, c.stderr, out, errOut)
			}
		})
	}
}
