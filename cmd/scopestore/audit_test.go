package main

import (
	"bufio"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

var beforeCursor = regexp.MustCompile(`--before (\S+)`)

func TestCLI_AuditList(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")
	svc := openServices(t, dir)
	ctx := context.Background()
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for i := range 60 {
		actor, action, target := "admin:alice", "app.settings", "shop"
		if i%2 == 1 {
			actor, action, target = "cli:bob", "session.invalidate", "shop session "+strconv.Itoa(i)
		}
		// Two entries at each time: pages end between entries of one time.
		if err := svc.config.AddAudit(ctx, scopes.AuditEntry{At: day.Add(time.Duration(i/2) * 2 * time.Hour), Actor: actor,
			Action: action, Target: target, Detail: "entry " + strconv.Itoa(i) + "\nsecond line"}); err != nil {
			t.Fatal(err)
		}
	}

	// The table: newest first (the CLI's own app.create), 50, and the cursor to go on.
	out := mustCLI(t, dir, "audit", "list")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 51 || !strings.HasPrefix(lines[0], "WHEN (UTC)") || !strings.Contains(lines[1], "app.create") {
		t.Fatalf("audit list: %d lines\n%s", len(lines), out)
	}
	if !strings.Contains(out, "entry 59 second line") {
		t.Errorf("a detail's newline is not a space in the table:\n%s", out)
	}
	_, _, errOut := cli(t, dir, "", "audit", "list")
	m := beforeCursor.FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("no cursor to go on: %q", errOut)
	}
	rest := mustCLI(t, dir, "audit", "list", "--before", m[1], "--limit", "100")
	if got := strings.Count(rest, "\n") - 1; got != 11 {
		t.Errorf("after the cursor: %d entries, want 11\n%s", got, rest)
	}
	if !strings.Contains(rest, "entry 0 ") || strings.Contains(rest, "entry 11 ") {
		t.Errorf("after the cursor:\n%s", rest)
	}

	// JSON lines with every filter.
	jsonLines := func(args ...string) []scopes.AuditEntry {
		t.Helper()
		out := mustCLI(t, dir, append([]string{"audit", "list", "--json", "--limit", "1000"}, args...)...)
		var entries []scopes.AuditEntry
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			var e scopes.AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			entries = append(entries, e)
		}
		return entries
	}
	if all := jsonLines(); len(all) != 61 || all[0].Action != "app.create" || !strings.HasPrefix(all[0].Actor, "cli:") {
		t.Fatalf("--json: %d entries, first %+v", len(all), all[0])
	}
	for _, c := range []struct {
		args []string
		want int
		ok   func(scopes.AuditEntry) bool
	}{
		{[]string{"--actor", "bob"}, 30, func(e scopes.AuditEntry) bool { return e.Actor == "cli:bob" }},
		{[]string{"--actor", "admin:alice"}, 30, func(e scopes.AuditEntry) bool { return e.Actor == "admin:alice" }},
		{[]string{"--action", "session."}, 30, func(e scopes.AuditEntry) bool { return e.Action == "session.invalidate" }},
		{[]string{"--target", "SESSION 5"}, 6, func(e scopes.AuditEntry) bool { return strings.HasPrefix(e.Target, "shop session 5") }},
		// 2026-03-11 holds 24 entries (two every two hours); --until includes the day.
		{[]string{"--since", "2026-03-11", "--until", "2026-03-11"}, 24, func(e scopes.AuditEntry) bool { return e.At.Day() == 11 }},
		{[]string{"--since", "2026-03-11T08:00:00Z", "--until", "2026-03-11T11:00:00+00:00"}, 4, func(e scopes.AuditEntry) bool { return e.At.Day() == 11 }},
		{[]string{"--actor", "bob", "--action", "session.", "--since", "2026-03-12"}, 10, func(e scopes.AuditEntry) bool { return e.Actor == "cli:bob" && e.At.Day() == 12 }},
	} {
		got := jsonLines(c.args...)
		if len(got) != c.want {
			t.Errorf("%v: %d entries, want %d", c.args, len(got), c.want)
		}
		for _, e := range got {
			if !c.ok(e) {
				t.Errorf("%v: %+v", c.args, e)
			}
		}
	}

	// Mistakes are usage errors that say what to write.
	for _, args := range [][]string{
		{"--since", "yesterday"}, {"--until", "2026-13-01"}, {"--limit", "0"}, {"--before", "x"},
		{"--since", "2026-03-12", "--until", "2026-03-11"},
	} {
		code, _, errOut := cli(t, dir, "", append([]string{"audit", "list"}, args...)...)
		if code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	if _, _, errOut := cli(t, dir, "", "audit", "list", "--actor", "nobody"); !strings.Contains(errOut, "No audit entries match") {
		t.Errorf("nothing found: %q", errOut)
	}
}
