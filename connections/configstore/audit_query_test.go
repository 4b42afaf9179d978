package configstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// TestAuditQuery runs the audit log's filters and keyset paging against
// SQLite, MariaDB and PostgreSQL, each test on a database of its own.
func TestAuditQuery(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range auditQueryTests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					e := &env{dsn: b.dsn(t), dir: t.TempDir()}
					e.s = e.open(t, testKey)
					tc.run(t, e)
				})
			}
		})
	}
}

// auditFixture is the log the filter tests read: entries a minute apart
// from base, oldest first, as AddAudit wrote them.
var auditFixture = []scopes.AuditEntry{
	{Actor: "admin:alice", Action: "app.create", Target: "shop"},
	{Actor: "cli:alice", Action: "session.invalidate", Target: "shop session 0f8fad5b"},
	{Actor: "admin:bob", Action: "session.view", Target: "blog session 7c9e6679"},
	{Actor: "admin:malice", Action: "sessions.other", Target: "shop"},
	{Actor: "bob", Action: "admin.login_failed", Target: "203.0.113.7"},
	{Actor: "admin:Alice", Action: "admin.login", Target: "203.0.113.8"},
	{Actor: "app:shop", Action: "app.settings", Target: "100% off_sale"},
	{Actor: "admin:bob", Action: "SESSION.list", Target: "Shop"},
}

var auditBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func addAuditFixture(t *testing.T, s *Store) []scopes.AuditEntry {
	t.Helper()
	ctx := context.Background()
	for i, e := range auditFixture {
		e.At = auditBase.Add(time.Duration(i) * time.Minute)
		e.Detail = fmt.Sprintf("entry %d", i)
		must(t, "AddAudit", s.AddAudit(ctx, e))
	}
	all, err := s.AuditQuery(ctx, scopes.AuditQuery{Limit: 100})
	must(t, "AuditQuery", err)
	if len(all.Entries) != len(auditFixture) {
		t.Fatalf("AuditQuery() = %d entries, want %d", len(all.Entries), len(auditFixture))
	}
	return all.Entries
}

// details lists the entries' details, which name the fixture's indexes.
func details(entries []scopes.AuditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Detail
	}
	return out
}

func entriesNamed(idx ...int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = fmt.Sprintf("entry %d", n)
	}
	return out
}

var auditQueryTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"each filter and their combinations", func(t *testing.T, e *env) {
		ctx := context.Background()
		addAuditFixture(t, e.s)
		day := func(d int) time.Time { return auditBase.Add(time.Duration(d) * time.Minute) }
		for _, tc := range []struct {
			name string
			f    scopes.AuditFilter
			want []int // newest first
		}{
			{"no filter", scopes.AuditFilter{}, []int{7, 6, 5, 4, 3, 2, 1, 0}},
			{"actor whole, without case", scopes.AuditFilter{Actor: "ADMIN:alice"}, []int{5, 0}},
			{"actor name of any kind, not a longer name", scopes.AuditFilter{Actor: "alice"}, []int{5, 1, 0}},
			{"actor without kind", scopes.AuditFilter{Actor: "bob"}, []int{7, 4, 2}},
			{"action prefix", scopes.AuditFilter{Action: "session."}, []int{7, 2, 1}},
			{"action exact is a prefix too", scopes.AuditFilter{Action: "admin.login"}, []int{5, 4}},
			{"action whole", scopes.AuditFilter{Action: "app.create"}, []int{0}},
			{"target substring, without case", scopes.AuditFilter{Target: "shop"}, []int{7, 3, 1, 0}},
			{"target address prefix", scopes.AuditFilter{Target: "203.0.113."}, []int{5, 4}},
			{"LIKE's wildcards match themselves", scopes.AuditFilter{Target: "100% off_"}, []int{6}},
			{"a percent sign is no wildcard", scopes.AuditFilter{Target: "%"}, []int{6}},
			{"an underscore is no wildcard", scopes.AuditFilter{Target: "p_s"}, nil},
			{"since, inclusive", scopes.AuditFilter{Since: day(6)}, []int{7, 6}},
			{"until, exclusive", scopes.AuditFilter{Until: day(2)}, []int{1, 0}},
			{"a range", scopes.AuditFilter{Since: day(2), Until: day(5)}, []int{4, 3, 2}},
			{"actor and action", scopes.AuditFilter{Actor: "bob", Action: "session."}, []int{7, 2}},
			{"all of them", scopes.AuditFilter{Actor: "alice", Action: "session", Target: "shop", Since: day(1), Until: day(8)}, []int{1}},
			{"nothing matches", scopes.AuditFilter{Actor: "carol"}, nil},
		} {
			page, err := e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: tc.f, Limit: 50})
			must(t, "AuditQuery", err)
			if got, want := details(page.Entries), entriesNamed(tc.want...); !slices.Equal(got, want) {
				t.Errorf("%s: %s = %v, want %v", tc.name, tc.f.Describe(), got, want)
			}
			if !page.Stop.IsZero() {
				t.Errorf("%s: Stop = %v, want none: the scan reached the end", tc.name, page.Stop)
			}
		}
	}},

	{"pages by keyset across entries of the same time, both ways", func(t *testing.T, e *env) {
		ctx := context.Background()
		// 3 at T-1m, 7 at T (one microsecond), 2 at T+1m, written out of time order.
		tie := time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)
		ats := []time.Time{tie, tie.Add(time.Minute), tie, tie.Add(-time.Minute), tie, tie, tie.Add(-time.Minute),
			tie, tie.Add(time.Minute), tie, tie.Add(-time.Minute), tie}
		for i, at := range ats {
			must(t, "AddAudit", e.s.AddAudit(ctx, scopes.AuditEntry{At: at, Actor: "admin:alice", Action: "app.create",
				Target: "shop", Detail: fmt.Sprintf("entry %d", i)}))
		}
		all, err := e.s.AuditQuery(ctx, scopes.AuditQuery{Limit: 100})
		must(t, "AuditQuery", err)
		if len(all.Entries) != len(ats) {
			t.Fatalf("%d entries, want %d", len(all.Entries), len(ats))
		}
		for i := 1; i < len(all.Entries); i++ {
			a, b := all.Entries[i-1], all.Entries[i]
			if a.At.Before(b.At) || (a.At.Equal(b.At) && a.ID <= b.ID) {
				t.Fatalf("entries %d and %d out of order: %+v, %+v", i-1, i, a, b)
			}
		}
		for _, filtered := range []bool{false, true} {
			f := scopes.AuditFilter{}
			if filtered {
				f.Target = "SHOP" // every entry: the filtered query's paging
			}
			// Older, 5 at a time: each entry once, in order.
			var got []scopes.AuditEntry
			var pos scopes.AuditPos
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("paging does not end")
				}
				page, err := e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: f, Before: pos, Limit: 5})
				must(t, "AuditQuery", err)
				got = append(got, page.Entries...)
				if len(page.Entries) < 5 {
					break
				}
				pos = scopes.PosOf(page.Entries[len(page.Entries)-1])
				// The cursor survives a URL.
				back, err := scopes.ParseAuditPos(pos.String())
				if err != nil || back != pos {
					t.Fatalf("ParseAuditPos(%q) = %v, %v; want %v", pos.String(), back, err, pos)
				}
			}
			if !slices.Equal(details(got), details(all.Entries)) {
				t.Fatalf("filtered %v: paged older = %v, want %v", filtered, details(got), details(all.Entries))
			}
			// Newer, from the oldest entry back up, 4 at a time.
			var up []scopes.AuditEntry
			pos = scopes.PosOf(all.Entries[len(all.Entries)-1])
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("paging newer does not end")
				}
				page, err := e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: f, After: pos, Limit: 4})
				must(t, "AuditQuery", err)
				up = append(slices.Clone(page.Entries), up...)
				if len(page.Entries) < 4 {
					break
				}
				pos = scopes.PosOf(page.Entries[0])
			}
			if want := details(all.Entries[:len(all.Entries)-1]); !slices.Equal(details(up), want) {
				t.Fatalf("filtered %v: paged newer = %v, want %v", filtered, details(up), want)
			}
		}
		if _, err := e.s.AuditQuery(ctx, scopes.AuditQuery{Before: scopes.PosOf(all.Entries[0]), After: scopes.PosOf(all.Entries[1])}); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("Before and After: err = %v, want invalid", err)
		}
	}},

	{"a filtered query examines at most MaxScan entries and says where it stopped", func(t *testing.T, e *env) {
		ctx := context.Background()
		// 20 entries; bob's are the 3rd and the 17th oldest.
		for i := range 20 {
			actor := "admin:alice"
			if i == 2 || i == 16 {
				actor = "admin:bob"
			}
			must(t, "AddAudit", e.s.AddAudit(ctx, scopes.AuditEntry{At: auditBase.Add(time.Duration(i) * time.Second),
				Actor: actor, Action: "app.create", Target: "shop", Detail: fmt.Sprintf("entry %d", i)}))
		}
		f := scopes.AuditFilter{Actor: "bob"}
		page, err := e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: f, Limit: 5, MaxScan: 6})
		must(t, "AuditQuery", err)
		// The newest 6 are entries 19 to 14: bob's 16 among them.
		if got := details(page.Entries); !slices.Equal(got, entriesNamed(16)) {
			t.Fatalf("first scan = %v, want entry 16", got)
		}
		if page.Stop.IsZero() || !page.Stop.At.Equal(auditBase.Add(14*time.Second)) {
			t.Fatalf("Stop = %+v, want the 6th newest entry (14)", page.Stop)
		}
		var found []string
		pos, scans := page.Stop, 1
		for !pos.IsZero() {
			if scans++; scans > 5 {
				t.Fatal("scanning does not end")
			}
			page, err = e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: f, Before: pos, Limit: 5, MaxScan: 6})
			must(t, "AuditQuery", err)
			found = append(found, details(page.Entries)...)
			pos = page.Stop
		}
		// 14 entries left after the first scan: 6, 6, then 2 with no Stop.
		if !slices.Equal(found, entriesNamed(2)) || scans != 4 {
			t.Fatalf("went on to %v in %d scans, want entry 2 in 4", found, scans)
		}
		// Newer from the oldest, likewise.
		all, err := e.s.AuditQuery(ctx, scopes.AuditQuery{Limit: 100})
		must(t, "AuditQuery", err)
		oldest := scopes.PosOf(all.Entries[len(all.Entries)-1])
		page, err = e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: f, After: oldest, Limit: 5, MaxScan: 6})
		must(t, "AuditQuery", err)
		if got := details(page.Entries); !slices.Equal(got, entriesNamed(2)) || !page.Stop.At.Equal(auditBase.Add(6*time.Second)) {
			t.Fatalf("newer scan = %v, Stop %+v; want entry 2 and a stop at entry 6", got, page.Stop)
		}
		// A page filled before the bound has no Stop.
		page, err = e.s.AuditQuery(ctx, scopes.AuditQuery{AuditFilter: scopes.AuditFilter{Actor: "alice"}, Limit: 2, MaxScan: 6})
		must(t, "AuditQuery", err)
		if len(page.Entries) != 2 || !page.Stop.IsZero() {
			t.Fatalf("full page = %v, Stop %+v; want 2 entries and no stop", details(page.Entries), page.Stop)
		}
	}},
}
