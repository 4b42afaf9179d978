package enginetest_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	connredis "github.com/scopestore/scopestore/connections/redis"
	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// listScopes is how many scopes the listing tests page through on each storage.
const listScopes = 2500

// listStorages returns, by name, each storage the listing tests run on: the
// built-in memory and file storages, and MariaDB, PostgreSQL and Redis (as
// conntest finds them; a test skips a server that is not there).
var listStorages = []struct {
	name string
	open func(t *testing.T) scopes.Store
}{
	{"memory", func(t *testing.T) scopes.Store { return newShared(t).stores["memory"] }},
	{"file", func(t *testing.T) scopes.Store { return newShared(t).stores["file"] }},
	{"mysql", func(t *testing.T) scopes.Store {
		return openConnection(t, scopes.Connection{Name: "db", Kind: "datasource", Type: "mysql", Storage: true,
			Params: map[string]string{"dsn": conntest.MySQLDSN(t)}})
	}},
	{"postgres", func(t *testing.T) scopes.Store {
		return openConnection(t, scopes.Connection{Name: "db", Kind: "datasource", Type: "postgres", Storage: true,
			Params: map[string]string{"url": conntest.PostgresURL(t)}})
	}},
	{"redis", func(t *testing.T) scopes.Store {
		s, err := connredis.Open(context.Background(), scopes.Connection{Name: "cache", Kind: "cache", Type: "redis", Storage: true,
			Params: map[string]string{"url": conntest.RedisURL(t), "prefix": conntest.RedisPrefix(t)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

func openConnection(t *testing.T, c scopes.Connection) scopes.Store {
	t.Helper()
	s, err := sqlstore.OpenConnection(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fill saves n live session scopes of app "shop" whose data numbers them,
// plus scopes List must leave out: expired ones, another app's and the
// client scopes. It returns the live cfids by number.
func fill(t *testing.T, st scopes.Store, n int, now time.Time) []string {
	t.Helper()
	cfids := make([]string, n)
	var extra []scopes.Record
	for i := range 60 {
		app, kind, expires := "shop", scopes.Session, now.Add(-time.Second)
		switch i % 3 {
		case 1:
			app, expires = "shop2", now.Add(time.Hour)
		case 2:
			kind, expires = scopes.Client, now.Add(time.Hour)
		}
		extra = append(extra, record(app, kind, now, expires, fmt.Sprintf(`{"n":%d,"group":"g3"}`, i)))
	}
	recs := make([]scopes.Record, 0, n+len(extra))
	for i := range n {
		r := record("shop", scopes.Session, now, now.Add(time.Hour),
			fmt.Sprintf(`{"n":%d,"group":"g%d","email":"user%d@example.com","vip":%t}`, i, i%7, i, i%100 == 0))
		cfids[i] = r.CFID
		recs = append(recs, r)
	}
	recs = append(recs, extra...)
	// A few writers at once keep the real servers' round trips from adding up.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < len(recs); i += 16 {
				recs[i].Rev = scopes.NewRev()
				if _, err := st.Write(context.Background(), recs[i], scopes.ExpectAny, now); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("save: %v", err)
	}
	return cfids
}

func record(app string, kind scopes.Kind, now, expires time.Time, data string) scopes.Record {
	return scopes.Record{Key: scopes.Key{App: app, Kind: kind, CFID: scopes.NewCFID()}, CFToken: "0",
		TimeCreated: now, LastVisit: now, Expires: expires, Version: 1, Data: json.RawMessage(data)}
}

// pageAll lists every page of q and returns the cfids in the order listed,
// with the number of pages and of pages marked partial.
func pageAll(t *testing.T, e *scopes.Engine, set scopes.Settings, q scopes.ListQuery) (cfids []string, pages, partial int) {
	t.Helper()
	for {
		page, err := e.List(context.Background(), set, "shop", scopes.Session, q)
		if err != nil {
			t.Fatalf("List after %q: %v", q.After, err)
		}
		pages++
		if page.Partial {
			partial++
		}
		limit, scan := cmp.Or(q.Limit, scopes.DefaultListLimit), cmp.Or(q.MaxScan, scopes.DefaultListScan)
		if len(page.Scopes) > limit || page.Scanned > max(scan, limit) {
			t.Fatalf("page of %d scopes, %d scanned, over the query's bounds %+v", len(page.Scopes), page.Scanned, q)
		}
		for _, sc := range page.Scopes {
			cfids = append(cfids, sc.CFID)
		}
		if page.Next == "" {
			return cfids, pages, partial
		}
		if page.Next <= q.After {
			t.Fatalf("the cursor went back: %q after %q", page.Next, q.After)
		}
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		q.After = page.Next
	}
}

// Every storage pages through thousands of scopes by cursor, each exactly
// once and in cfid order, with and without filters.
func TestEngine_ListPagesEachScopeOnce(t *testing.T) {
	for _, s := range listStorages {
		t.Run(s.name, func(t *testing.T) {
			st := s.open(t)
			clk := &fakeClock{now: time.Now()}
			e := newEngine(&sharedStorages{stores: map[string]scopes.Store{"x": st}}, clk)
			set := settings("x", true)
			byNumber := fill(t, st, listScopes, clk.Now())
			all := slices.Sorted(slices.Values(byNumber))
			// matching returns the cfids whose number passes keep, sorted.
			matching := func(keep func(i int) bool) []string {
				var out []string
				for i, cfid := range byNumber {
					if keep(i) {
						out = append(out, cfid)
					}
				}
				slices.Sort(out)
				return out
			}
			for _, c := range []struct {
				name        string
				q           scopes.ListQuery
				want        []string
				wantPartial bool
			}{
				{"all, default pages", scopes.ListQuery{}, all, false},
				{"all, pages of 500", scopes.ListQuery{Limit: 500}, all, false},
				{"all, pages of 7", scopes.ListQuery{Limit: 7, MaxScan: 7}, all, false},
				{"key=value", scopes.ListQuery{Key: "group", Value: "g3", Limit: 100},
					matching(func(i int) bool { return i%7 == 3 }), false},
				{"key=value, case of the key ignored, scan bounded", scopes.ListQuery{Key: "GROUP", Value: "g5", Limit: 500, MaxScan: 600},
					matching(func(i int) bool { return i%7 == 5 }), true},
				{"a JSON value", scopes.ListQuery{Key: "vip", Value: "true"},
					matching(func(i int) bool { return i%100 == 0 }), false},
				{"a value in any key", scopes.ListQuery{Value: "user1234@example.com"},
					matching(func(i int) bool { return i == 1234 }), false},
				{"a value that no scope has, scan bounded", scopes.ListQuery{Value: "nobody@example.com", MaxScan: 1000}, nil, true},
				{"cfid prefix", scopes.ListQuery{CFIDPrefix: strings.ToUpper(all[1000][:2]), Limit: 3},
					matching(func(i int) bool { return strings.HasPrefix(byNumber[i], all[1000][:2]) }), false},
				{"full cfid as prefix", scopes.ListQuery{CFIDPrefix: all[17]}, all[17:18], false},
				{"prefix and key=value", scopes.ListQuery{CFIDPrefix: all[2000][:1], Key: "group", Value: "g1"},
					matching(func(i int) bool { return i%7 == 1 && byNumber[i][0] == all[2000][0] }), false},
			} {
				t.Run(c.name, func(t *testing.T) {
					got, pages, partial := pageAll(t, e, set, c.q)
					if !slices.Equal(got, c.want) {
						t.Fatalf("listed %d scopes in %d pages, want %d, each once in cfid order (first listed %v)",
							len(got), pages, len(c.want), got[:min(3, len(got))])
					}
					if (partial > 0) != c.wantPartial {
						t.Errorf("%d of %d pages partial; want partial pages: %v", partial, pages, c.wantPartial)
					}
				})
			}
			// The storage name is in each scope, and the last page ends the listing.
			page, err := e.List(context.Background(), set, "shop", scopes.Session, scopes.ListQuery{After: all[len(all)-3]})
			if err != nil || len(page.Scopes) != 2 || page.Next != "" || page.Scopes[0].Storage != "x" {
				t.Fatalf("last page = %d scopes, next %q, %v", len(page.Scopes), page.Next, err)
			}
		})
	}
}

// Listing and peeking are no visits: nothing is written, no expiry moves,
// not even the hit count of a client scope, which every load writes.
func TestEngine_ListAndPeekAreNoVisits(t *testing.T) {
	for _, cluster := range []bool{true, false} {
		t.Run(fmt.Sprint("cluster=", cluster), func(t *testing.T) {
			ctx := context.Background()
			st, clk := newShared(t), &fakeClock{now: time.Now()}
			e := newEngine(st, clk)
			set := scopes.Resolve(scopes.Layer{
				scopes.ClientStorage: {Value: "file", By: scopes.FromAdmin},
				scopes.ClientCluster: {Value: fmt.Sprint(cluster), By: scopes.FromAdmin},
			}, nil).Settings
			sc, err := e.Create(ctx, set, "shop", scopes.Client, json.RawMessage(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			key := scopes.Key{App: "shop", Kind: scopes.Client, CFID: sc.CFID}
			before, _, _ := st.stores["file"].Load(ctx, key, clk.Now())
			clk.Advance(time.Hour)
			page, err := e.List(ctx, set, "shop", scopes.Client, scopes.ListQuery{})
			if err != nil || len(page.Scopes) != 1 {
				t.Fatalf("List = %v, %v", page, err)
			}
			peek, err := e.Peek(ctx, set, key)
			if err != nil {
				t.Fatal(err)
			}
			after, found, _ := st.stores["file"].Load(ctx, key, clk.Now())
			if !found || !after.Expires.Equal(before.Expires) || !after.LastVisit.Equal(before.LastVisit) ||
				after.HitCount != before.HitCount || after.Version != before.Version {
				t.Errorf("stored record changed by List and Peek:\nbefore %+v\nafter  %+v", before, after)
			}
			if *peek.HitCount != before.HitCount || !peek.Expires.Equal(before.Expires.UTC()) || string(peek.Data) != `{"a":1}` {
				t.Errorf("Peek = %+v", peek)
			}
			// A load is a visit, for comparison.
			loaded, err := e.Load(ctx, set, key)
			if err != nil || *loaded.HitCount != before.HitCount+1 {
				t.Fatalf("Load = %+v, %v", loaded, err)
			}
			if _, err := e.Peek(ctx, set, scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()}); scopes.ErrorCode(err) != scopes.ENotFound {
				t.Errorf("Peek of a missing scope: %v", err)
			}
			clk.Advance(set.Client.Timeout)
			if _, err := e.Peek(ctx, set, key); scopes.ErrorCode(err) != scopes.ENotFound {
				t.Errorf("Peek of an expired scope: %v", err)
			}
		})
	}
}

func TestEngine_ListRefusesBadQueries(t *testing.T) {
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("memory", true)
	for _, q := range []scopes.ListQuery{
		{Limit: scopes.MaxListLimit + 1},
		{Limit: -1},
		{After: "zzz"},
		{After: strings.Repeat("a", 37)},
		{CFIDPrefix: "xyz"},
		{CFIDPrefix: "ab' OR 1=1"},
		{MaxScan: -1},
	} {
		if _, err := e.List(context.Background(), set, "shop", scopes.Session, q); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("List(%+v) = %v; want invalid", q, err)
		}
	}
	set.Session.Management = false
	if _, err := e.List(context.Background(), set, "shop", scopes.Session, scopes.ListQuery{}); scopes.ErrorCode(err) != scopes.EForbidden {
		t.Errorf("List with management off = %v; want forbidden", err)
	}
}

// The data filter matches a top-level value as JSON or as a string's text.
func TestEngine_ListFilterValues(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("memory", true)
	sc, err := e.Create(ctx, set, "shop", scopes.Session,
		json.RawMessage(`{"User":"Alice Smith","n":42,"ok":true,"tags":["a","b"],"nested":{"email":"x@y.z"},"nil":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, set, "shop", scopes.Session, json.RawMessage(`{"user":"bob","n":"42"}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, value string
		want       int
	}{
		{"user", "Alice Smith", 1},
		{"user", `"Alice Smith"`, 1},
		{"USER", "alice smith", 0},
		{"n", "42", 2},
		{"n", `"42"`, 1},
		{"ok", "true", 1},
		{"tags", `["a", "b"]`, 1},
		{"nil", "null", 1},
		{"email", "x@y.z", 0}, // nested keys are not searched
		{"", "bob", 1},
		{"", "Alice", 0}, // whole values, not substrings
		{"missing", "", 0},
	} {
		page, err := e.List(ctx, set, "shop", scopes.Session, scopes.ListQuery{Key: c.key, Value: c.value})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Scopes) != c.want {
			t.Errorf("%s=%s matched %d scopes, want %d", c.key, c.value, len(page.Scopes), c.want)
		}
		if c.key == "user" && c.want == 1 && page.Scopes[0].CFID != sc.CFID {
			t.Errorf("%s=%s matched the wrong scope", c.key, c.value)
		}
	}
}

func TestEngine_InvalidateAll(t *testing.T) {
	for _, tc := range []struct {
		storage string
		cluster bool
	}{{"memory", true}, {"file", false}} {
		t.Run(tc.storage, func(t *testing.T) {
			ctx := context.Background()
			st, clk := newShared(t), &fakeClock{now: time.Now()}
			e := newEngine(st, clk)
			set := settings(tc.storage, tc.cluster)
			var first *scopes.Scope
			n := scopes.InvalidateBatch*2 + 17
			for i := range n {
				sc, err := e.Create(ctx, set, "shop", scopes.Session, nil)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = sc
				}
			}
			other, err := e.Create(ctx, set, "blog", scopes.Session, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.InvalidateAll(ctx, set, "shop", scopes.Session)
			if err != nil || got != n {
				t.Fatalf("InvalidateAll = %d, %v; want %d", got, err, n)
			}
			if c, _, _ := e.Count(ctx, set, "shop", scopes.Session); c != 0 {
				t.Errorf("%d sessions left", c)
			}
			// The in-memory copy of a cluster = false scope went too.
			if _, err := e.Load(ctx, set, key(first)); scopes.ErrorCode(err) != scopes.ENotFound {
				t.Errorf("Load of an invalidated scope: %v", err)
			}
			if _, err := e.Load(ctx, set, scopes.Key{App: "blog", Kind: scopes.Session, CFID: other.CFID}); err != nil {
				t.Errorf("another app's scope: %v", err)
			}
			if got, err := e.InvalidateAll(ctx, set, "shop", scopes.Session); err != nil || got != 0 {
				t.Errorf("InvalidateAll again = %d, %v", got, err)
			}
		})
	}
}
