package configstore

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scopestore/scopestore/scopes"
)

// adminStoreTests run in TestStore beside storeTests, on every dialect.
var adminStoreTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"audit entries older than the retention are deleted", func(t *testing.T, e *env) {
		ctx := context.Background()
		for i, at := range []time.Duration{-48 * time.Hour, -25 * time.Hour, -time.Hour, 0} {
			must(t, "AddAudit", e.s.AddAudit(ctx, scopes.AuditEntry{At: now.Add(at), Actor: "admin:alice",
				Action: "app.create", Target: "app:" + string(rune('a'+i))}))
		}
		n, err := e.s.DeleteAuditBefore(ctx, now.Add(-24*time.Hour))
		must(t, "DeleteAuditBefore", err)
		left, err := e.s.Audit(ctx, 0, 10)
		must(t, "Audit", err)
		if n != 2 || len(left) != 2 || left[0].Target != "app:d" || left[1].Target != "app:c" {
			t.Fatalf("deleted %d, left %+v; want the two entries of the last day", n, left)
		}
	}},
	{"audit log is read newest first, a page at a time", func(t *testing.T, e *env) {
		ctx := context.Background()
		entries, err := e.s.Audit(ctx, 0, 10)
		must(t, "Audit", err)
		if entries == nil || len(entries) != 0 {
			t.Fatalf("new store: Audit() = %#v, want an empty list", entries)
		}
		// Times out of order: the order is that of the writes.
		for i, at := range []time.Duration{0, 2 * time.Hour, time.Hour, 3 * time.Hour, -time.Hour} {
			must(t, "AddAudit", e.s.AddAudit(ctx, scopes.AuditEntry{At: now.Add(at), Actor: "admin:alice",
				Action: "app.create", Target: "app:" + string(rune('a'+i)), Detail: "key " + string(rune('a'+i))}))
		}
		all, err := e.s.Audit(ctx, 0, 10)
		must(t, "Audit", err)
		if len(all) != 5 {
			t.Fatalf("Audit(0, 10) = %d entries, want 5", len(all))
		}
		for i, a := range all {
			want := string(rune('e' - i))
			if a.Target != "app:"+want || a.Detail != "key "+want || a.Actor != "admin:alice" || a.Action != "app.create" {
				t.Errorf("entry %d = %+v, want target app:%s", i, a, want)
			}
			if i > 0 && a.ID >= all[i-1].ID {
				t.Errorf("entry %d has ID %d after %d: not newest first", i, a.ID, all[i-1].ID)
			}
			if a.At.Location() != time.UTC {
				t.Errorf("entry %d At %v not in UTC", i, a.At)
			}
		}
		if want := now.Add(time.Hour).Truncate(time.Microsecond); !all[2].At.Equal(want) {
			t.Errorf("At = %v, want %v", all[2].At, want)
		}

		page, err := e.s.Audit(ctx, all[1].ID, 2)
		must(t, "Audit", err)
		if len(page) != 2 || page[0].ID != all[2].ID || page[1].ID != all[3].ID {
			t.Errorf("Audit(before %d, 2) = %+v, want entries %d and %d", all[1].ID, page, all[2].ID, all[3].ID)
		}
		page, err = e.s.Audit(ctx, all[3].ID, 2)
		must(t, "Audit", err)
		if len(page) != 1 || page[0].ID != all[4].ID {
			t.Errorf("last page = %+v, want the oldest entry alone", page)
		}
		if page, err := e.s.Audit(ctx, all[4].ID, 2); err != nil || len(page) != 0 {
			t.Errorf("Audit before the oldest = %+v, %v; want none", page, err)
		}

		// At defaults to now.
		before := time.Now().Add(-time.Second)
		must(t, "AddAudit", e.s.AddAudit(ctx, scopes.AuditEntry{Actor: "cli:root", Action: "admin.login", Target: "admin:root"}))
		newest, err := e.s.Audit(ctx, 0, 1)
		must(t, "Audit", err)
		if len(newest) != 1 || newest[0].Actor != "cli:root" || newest[0].Detail != "" ||
			newest[0].At.Before(before) || newest[0].At.After(time.Now().Add(time.Second)) {
			t.Errorf("entry without At = %+v, want one at about %v", newest, time.Now())
		}
	}},

	{"audit limit is held between 1 and 500", func(t *testing.T, e *env) {
		ctx := context.Background()
		// 501 rows in one statement: row by row is slow on a server.
		const n = maxAuditLimit + 1
		args := make([]any, 0, 5*n)
		for i := range n {
			args = append(args, now.Add(time.Duration(i)*time.Second).UTC(), "cli:root", "app.create", "app:x", "")
		}
		query := `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", ")
		_, err := e.s.db.ExecContext(ctx, e.s.q(query), args...)
		must(t, "insert audit rows", err)
		for _, tc := range []struct{ limit, want int }{{-5, 1}, {0, 1}, {1, 1}, {7, 7}, {500, 500}, {501, 500}, {1 << 30, 500}} {
			entries, err := e.s.Audit(ctx, 0, tc.limit)
			must(t, "Audit", err)
			if len(entries) != tc.want {
				t.Errorf("Audit(0, %d) = %d entries, want %d", tc.limit, len(entries), tc.want)
			}
		}
	}},

	{"audit fields too long are cut, not refused", func(t *testing.T, e *env) {
		ctx := context.Background()
		long := scopes.AuditEntry{
			At:     now,
			Actor:  "admin:" + strings.Repeat("a", 200),
			Action: strings.Repeat("b", 100),
			Target: strings.Repeat("ü", 300),
			// 80,000 bytes of two-byte characters, with a four-byte one where
			// a cut by bytes could split it.
			Detail: strings.Repeat("é", 32765) + "😀" + strings.Repeat("é", 7231),
		}
		must(t, "AddAudit", e.s.AddAudit(ctx, long))
		got, err := e.s.Audit(ctx, 0, 1)
		must(t, "Audit", err)
		if len(got) != 1 {
			t.Fatalf("Audit = %d entries", len(got))
		}
		a := got[0]
		for _, f := range []struct {
			what, got, sent string
			runes           int
		}{
			{"actor", a.Actor, long.Actor, 128},
			{"action", a.Action, long.Action, 64},
			{"target", a.Target, long.Target, 255},
		} {
			if n := utf8.RuneCountInString(f.got); n != f.runes || !strings.HasSuffix(f.got, "…") ||
				!strings.HasPrefix(f.sent, strings.TrimSuffix(f.got, "…")) {
				t.Errorf("%s stored as %d characters %q…, want the first %d ending in …", f.what, n, f.got[:10], f.runes)
			}
		}
		if len(a.Detail) > 65535 || len(a.Detail) < 65530 || !utf8.ValidString(a.Detail) ||
			!strings.HasSuffix(a.Detail, "…") || !strings.HasPrefix(long.Detail, strings.TrimSuffix(a.Detail, "…")) {
			t.Errorf("detail stored as %d bytes (valid UTF-8 %v), want a prefix of at most 65535 ending in …",
				len(a.Detail), utf8.ValidString(a.Detail))
		}

		// Text no dialect would take is repaired; fields that fit stay whole.
		must(t, "AddAudit", e.s.AddAudit(ctx, scopes.AuditEntry{Actor: "app:shop", Action: "setting.set",
			Target: strings.Repeat("t", 255), Detail: "old\x00new \xff"}))
		got, err = e.s.Audit(ctx, 0, 1)
		must(t, "Audit", err)
		if a := got[0]; a.Detail != "old\uFFFDnew \uFFFD" || a.Target != strings.Repeat("t", 255) {
			t.Errorf("entry = %+v", a)
		}
	}},

	{"audit entries need an actor, an action and a target", func(t *testing.T, e *env) {
		ctx := context.Background()
		full := scopes.AuditEntry{Actor: "admin:alice", Action: "app.delete", Target: "app:shop"}
		for _, tc := range []struct {
			name string
			edit func(*scopes.AuditEntry)
		}{
			{"actor", func(a *scopes.AuditEntry) { a.Actor = "" }},
			{"action", func(a *scopes.AuditEntry) { a.Action = "" }},
			{"target", func(a *scopes.AuditEntry) { a.Target = "" }},
		} {
			a := full
			tc.edit(&a)
			wantCode(t, "AddAudit without "+tc.name, e.s.AddAudit(ctx, a), scopes.EInvalid)
		}
		if got, err := e.s.Audit(ctx, 0, 10); err != nil || len(got) != 0 {
			t.Errorf("refused entries were stored: %+v, %v", got, err)
		}
	}},

	{"admin users are created, replaced and listed", func(t *testing.T, e *env) {
		ctx := context.Background()
		users, err := e.s.AdminUsers(ctx)
		must(t, "AdminUsers", err)
		if users == nil || len(users) != 0 {
			t.Fatalf("new store: AdminUsers() = %#v, want an empty list", users)
		}
		for i, name := range []string{"bob", "alice", "Zed"} {
			must(t, "SetAdminUser", e.s.SetAdminUser(ctx, scopes.AdminUser{Name: name, PasswordHash: "$argon2id$" + name,
				Created: now.Add(time.Duration(i) * time.Hour)}))
		}
		u, found, err := e.s.AdminUser(ctx, "alice")
		must(t, "AdminUser", err)
		if !found || u.Name != "alice" || u.PasswordHash != "$argon2id$alice" {
			t.Fatalf("AdminUser(alice) = %+v, %v", u, found)
		}
		if want := now.Add(time.Hour).Truncate(time.Microsecond); !u.Created.Equal(want) || u.Created.Location() != time.UTC {
			t.Errorf("Created = %v, want %v in UTC", u.Created, want)
		}

		// Setting an existing user replaces its hash and keeps its creation time.
		must(t, "SetAdminUser", e.s.SetAdminUser(ctx, scopes.AdminUser{Name: "alice", PasswordHash: "$argon2id$new",
			Created: now.Add(48 * time.Hour)}))
		u, _, err = e.s.AdminUser(ctx, "alice")
		must(t, "AdminUser", err)
		if u.PasswordHash != "$argon2id$new" || !u.Created.Equal(now.Add(time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("after replacing: %+v", u)
		}

		users, err = e.s.AdminUsers(ctx)
		must(t, "AdminUsers", err)
		var names []string
		for _, u := range users {
			names = append(names, u.Name)
		}
		if want := []string{"Zed", "alice", "bob"}; !slices.Equal(names, want) {
			t.Errorf("AdminUsers() = %v, want %v", names, want)
		}
		if users[1].PasswordHash != "$argon2id$new" || users[2].PasswordHash != "$argon2id$bob" {
			t.Errorf("AdminUsers() hashes %q %q", users[1].PasswordHash, users[2].PasswordHash)
		}

		for _, name := range []string{"nope", "Alice", "alice ", "", strings.Repeat("a", 65)} {
			if u, found, err := e.s.AdminUser(ctx, name); err != nil || found {
				t.Errorf("AdminUser(%q) = %+v, %v, %v; want not found: names are exact", name, u, found, err)
			}
		}

		// Created defaults to now.
		must(t, "SetAdminUser", e.s.SetAdminUser(ctx, scopes.AdminUser{Name: "carol", PasswordHash: "h"}))
		if u, _, _ := e.s.AdminUser(ctx, "carol"); time.Since(u.Created) > time.Minute {
			t.Errorf("carol created %v, want now", u.Created)
		}
	}},

	{"bad admin user input", func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, u := range []scopes.AdminUser{
			{Name: "", PasswordHash: "h"},
			{Name: strings.Repeat("a", 65), PasswordHash: "h"},
			{Name: " alice", PasswordHash: "h"},
			{Name: "bad\xffutf8", PasswordHash: "h"},
			{Name: "alice", PasswordHash: ""},
			{Name: "alice", PasswordHash: strings.Repeat("h", 256)},
			{Name: "alice", PasswordHash: "bad\xff"},
		} {
			wantCode(t, "SetAdminUser("+u.Name+")", e.s.SetAdminUser(ctx, u), scopes.EInvalid)
		}
		if users, err := e.s.AdminUsers(ctx); err != nil || len(users) != 0 {
			t.Errorf("refused users were stored: %+v, %v", users, err)
		}
		// 64 characters, not bytes; a 255-character hash fits.
		must(t, "SetAdminUser", e.s.SetAdminUser(ctx, scopes.AdminUser{Name: strings.Repeat("é", 64), PasswordHash: strings.Repeat("h", 255)}))
	}},

	{"admin sessions expire and are deleted", func(t *testing.T, e *env) {
		ctx := context.Background()
		s1 := hash("session 1")
		must(t, "CreateAdminSession", e.s.CreateAdminSession(ctx, strings.ToUpper(s1), "alice", now.Add(time.Hour)))
		for _, h := range []string{s1, strings.ToUpper(s1)} {
			if user, found, err := e.s.AdminSession(ctx, h, now); err != nil || !found || user != "alice" {
				t.Errorf("AdminSession(%s) = %q, %v, %v; want alice", h, user, found, err)
			}
		}
		if user, found, err := e.s.AdminSession(ctx, s1, now.Add(time.Hour-time.Microsecond)); err != nil || !found || user != "alice" {
			t.Errorf("a microsecond before it expires: %q, %v, %v; want alice", user, found, err)
		}
		for _, at := range []time.Time{now.Add(time.Hour), now.Add(2 * time.Hour)} {
			if user, found, err := e.s.AdminSession(ctx, s1, at); err != nil || found {
				t.Errorf("AdminSession at %v = %q, %v, %v; want expired", at, user, found, err)
			}
		}
		for _, h := range []string{hash("session 2"), "", "not-a-hash"} {
			if user, found, err := e.s.AdminSession(ctx, h, now); err != nil || found {
				t.Errorf("AdminSession(%q) = %q, %v, %v; want not found", h, user, found, err)
			}
		}

		wantCode(t, "CreateAdminSession twice", e.s.CreateAdminSession(ctx, s1, "bob", now.Add(time.Hour)), scopes.EConflict)
		if user, _, _ := e.s.AdminSession(ctx, s1, now); user != "alice" {
			t.Errorf("a refused session replaced alice's: %q", user)
		}
		wantCode(t, "CreateAdminSession with a bad hash", e.s.CreateAdminSession(ctx, "short", "alice", now), scopes.EInvalid)
		wantCode(t, "CreateAdminSession with no user", e.s.CreateAdminSession(ctx, hash("s"), "", now), scopes.EInvalid)

		must(t, "DeleteAdminSession", e.s.DeleteAdminSession(ctx, strings.ToUpper(s1)))
		if _, found, err := e.s.AdminSession(ctx, s1, now); err != nil || found {
			t.Errorf("AdminSession after delete = %v, %v", found, err)
		}
		must(t, "DeleteAdminSession of a missing session", e.s.DeleteAdminSession(ctx, s1))
		must(t, "DeleteAdminSession of a bad hash", e.s.DeleteAdminSession(ctx, "x"))
	}},

	{"expired admin sessions are swept", func(t *testing.T, e *env) {
		ctx := context.Background()
		n, err := e.s.DeleteExpiredAdminSessions(ctx, now)
		if err != nil || n != 0 {
			t.Fatalf("new store: DeleteExpiredAdminSessions = %d, %v", n, err)
		}
		sessions := map[string]time.Duration{"past": -time.Minute, "now": 0, "soon": time.Microsecond, "later": time.Hour}
		for name, d := range sessions {
			must(t, "CreateAdminSession", e.s.CreateAdminSession(ctx, hash(name), "alice", now.Add(d)))
		}
		n, err = e.s.DeleteExpiredAdminSessions(ctx, now)
		if err != nil || n != 2 {
			t.Errorf("DeleteExpiredAdminSessions = %d, %v; want 2 (past and now)", n, err)
		}
		var left int
		must(t, "count sessions", e.s.db.Get(&left, `SELECT COUNT(*) FROM admin_sessions`))
		if left != 2 {
			t.Errorf("%d sessions left, want 2", left)
		}
		for name := range sessions {
			_, found, err := e.s.AdminSession(ctx, hash(name), now)
			must(t, "AdminSession", err)
			if want := sessions[name] > 0; found != want {
				t.Errorf("session %s found %v, want %v", name, found, want)
			}
		}
		if n, err := e.s.DeleteExpiredAdminSessions(ctx, now.Add(time.Hour)); err != nil || n != 2 {
			t.Errorf("DeleteExpiredAdminSessions an hour later = %d, %v; want 2", n, err)
		}
	}},
}
