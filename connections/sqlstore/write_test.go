package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// dialects are the servers and SQLite, whose "DSN" is the file's path.
var dialects = append(slices.Clone(servers), server{"sqlite", MustOpenSQLite, "sqlite"})

// openAgain opens a second store over the database of dsn, as another
// instance of scopestore (or another process, on SQLite) would.
func openAgain(t *testing.T, d server, dsn string) *sqlstore.Store {
	t.Helper()
	if d.name == "sqlite" {
		s, err := sqlstore.OpenSQLite(dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return mustOpenSame(t, d, dsn)
}

// save writes rec whatever is stored, with a new rev unless it has one,
// and returns it as stored.
func save(tb testing.TB, s scopes.Store, rec scopes.Record) scopes.Record {
	tb.Helper()
	if rec.Rev == "" {
		rec.Rev = scopes.NewRev()
	}
	res, err := s.Write(context.Background(), rec, scopes.ExpectAny, time.Now())
	if err != nil || !res.Written {
		tb.Fatalf("Write(%s, any) = %+v, %v", rec.CFID, res, err)
	}
	return res.Rec
}

// increment adds one to the version of key's record, and writes it as
// {"n":version}, the way the engine applies a change: a compare-and-set on
// the rev of the record read, applied again on the record that a conflict
// returns until it is written.
func increment(ctx context.Context, s scopes.Store, key scopes.Key, now time.Time) error {
	cur, found, err := s.Load(ctx, key, now)
	if err != nil {
		return err
	}
	for range 10000 {
		next := cur
		next.Key, next.Rev = key, scopes.NewRev()
		next.Version = cur.Version + 1
		next.Expires = now.Add(time.Hour)
		next.Data = fmt.Appendf(nil, `{"n":%d}`, next.Version)
		expect := scopes.ExpectAbsent
		if found {
			expect = cur.Rev
		}
		res, err := s.Write(ctx, next, expect, now)
		if err != nil {
			return err
		}
		if res.Written {
			return nil
		}
		cur, found = res.Rec, res.Found
	}
	return errors.New("gave up after 10000 conflicts")
}

// Each expectation of Write against each state of the stored row: what is
// written, and what a conflict returns.
func TestWriteConditions(t *testing.T) {
	const (
		none = iota
		live
		expired
	)
	tests := []struct {
		name   string
		stored int
		// expect is the expectation, or "rev" for the stored row's rev.
		expect      string
		wantWritten bool
		// wantFound, when not written: the conflict returns the stored row.
		wantFound bool
	}{
		{"absent on none", none, scopes.ExpectAbsent, true, false},
		{"absent on live", live, scopes.ExpectAbsent, false, true},
		{"absent takes over expired", expired, scopes.ExpectAbsent, true, false},
		{"rev on live", live, "rev", true, false},
		{"other rev on live", live, "stale", false, true},
		{"legacy rev on live", live, scopes.LegacyRev(1), false, true},
		{"rev on none", none, "stale", false, false},
		{"rev on expired", expired, "rev", false, false},
		{"legacy rev on expired", expired, scopes.LegacyRev(1), false, false},
		{"any on none", none, scopes.ExpectAny, true, false},
		{"any on live", live, scopes.ExpectAny, true, false},
		{"any on expired", expired, scopes.ExpectAny, true, false},
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now().Truncate(time.Millisecond)
			s, _ := d.open(t)
			defer s.Close()
			for i, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					key := scopes.Key{App: "shop", Kind: scopes.Kinds[i%2], CFID: scopes.NewCFID()}
					var stored scopes.Record
					if tc.stored != none {
						stored = scopes.Record{Key: key, CFToken: "0", Version: 1, Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)}
						if tc.stored == expired {
							stored.Expires = now.Add(-time.Second)
						}
						stored = save(t, s, stored)
					}
					expect := tc.expect
					switch expect {
					case "rev":
						expect = stored.Rev
					case "stale":
						expect = scopes.NewRev()
					}
					rec := scopes.Record{Key: key, Rev: scopes.NewRev(), CFToken: "0", Version: 2,
						Expires: now.Add(time.Hour), Data: []byte(`{"n":2}`)}
					res, err := s.Write(ctx, rec, expect, now)
					if err != nil {
						t.Fatalf("Write: %v", err)
					}
					if res.Written != tc.wantWritten {
						t.Fatalf("Written = %v, want %v (%+v)", res.Written, tc.wantWritten, res)
					}
					got, found, err := s.Load(ctx, key, now)
					if err != nil {
						t.Fatal(err)
					}
					if tc.wantWritten {
						if !res.Found || res.Rec.Rev != rec.Rev || string(res.Rec.Data) != `{"n":2}` {
							t.Errorf("result %+v; want the record written", res)
						}
						if !found || got.Rev != rec.Rev || got.Version != 2 || string(got.Data) != `{"n":2}` {
							t.Errorf("Load after the write = %+v, %v; want the record written", got, found)
						}
						return
					}
					if res.Found != tc.wantFound {
						t.Fatalf("Found = %v, want %v (%+v)", res.Found, tc.wantFound, res)
					}
					if tc.wantFound && (res.Rec.Rev != stored.Rev || res.Rec.Version != 1 || string(res.Rec.Data) != `{"n":1}` || res.Rec.Key != key) {
						t.Errorf("the conflict returns %+v; want the stored record %+v", res.Rec, stored)
					}
					if tc.stored == live && (!found || got.Rev != stored.Rev || string(got.Data) != `{"n":1}`) {
						t.Errorf("the stored row changed: %+v", got)
					}
					if tc.stored != live && found {
						t.Errorf("a conflict wrote %+v", got)
					}
				})
			}
		})
	}
}

// A write sent again after it was applied (the engine does so when the
// first call failed without telling) is reported written and not applied
// twice, also once other writes came on top of it: an increment stays one.
func TestWriteResend(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s, dsn := d.open(t)
			defer s.Close()
			db := openDB(t, d.driver, dsn)

			// The legacy case starts from a row without a rev, as an
			// earlier scopestore wrote it.
			legacyKey := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			insertRows(t, db, d.driver, "cf_session_data", []legacyRow{{legacyKey.CFID, "shop", now.Add(time.Hour),
				oldEnvelope(scopes.Record{Key: legacyKey, Version: 1, Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)})}})

			for _, expect := range []string{"absent", "rev", "legacy", "any"} {
				t.Run(expect, func(t *testing.T) {
					key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
					cur := scopes.Record{Key: key, Version: 1, Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)}
					e := scopes.ExpectAbsent
					switch expect {
					case "rev":
						cur = save(t, s, cur)
						e = cur.Rev
					case "legacy":
						key = legacyKey
						var found bool
						var err error
						if cur, found, err = s.Load(ctx, key, now); err != nil || !found || cur.Rev != scopes.LegacyRev(1) {
							t.Fatalf("Load of the legacy row = %+v, %v, %v", cur, found, err)
						}
						e = cur.Rev
					case "any":
						cur = save(t, s, cur)
						e = scopes.ExpectAny
					}
					next := cur
					next.Key, next.Rev, next.Version = key, scopes.NewRev(), cur.Version+1
					if expect == "absent" {
						next.Version = 1
					}
					next.Data = fmt.Appendf(nil, `{"n":%d}`, next.Version)
					for i := range 3 {
						res, err := s.Write(ctx, next, e, now)
						if err != nil || !res.Written || res.Rec.Rev != next.Rev {
							t.Fatalf("call %d: Write = %+v, %v; want it written", i+1, res, err)
						}
					}
					got, _, err := s.Load(ctx, key, now)
					if err != nil || got.Rev != next.Rev || got.Version != next.Version || string(got.Data) != string(next.Data) {
						t.Errorf("after three calls: %+v, %v; want the write once, %s", got, err, next.Data)
					}

					// Writes on top, as many as prev_revs remembers, then the
					// write once more.
					top := got
					for range 14 {
						if err := increment(ctx, s, key, now); err != nil {
							t.Fatal(err)
						}
					}
					if top, _, err = s.Load(ctx, key, now); err != nil || top.Version != next.Version+14 {
						t.Fatalf("after 14 increments on top: %+v, %v", top, err)
					}
					res, err := s.Write(ctx, next, e, now)
					if err != nil || !res.Written {
						t.Errorf("the write sent again after 14 on top = %+v, %v; want it written (once, by the first call)", res, err)
					}
					if got, _, err := s.Load(ctx, key, now); err != nil || got.Rev != top.Rev || string(got.Data) != string(top.Data) {
						t.Errorf("the write sent again after others came on top changed the row: %+v, %v; want %+v", got, err, top)
					}
				})
			}
		})
	}
}

// Concurrent writers of one scope: of many creates exactly one wins and the
// others learn the winner; increments through two stores lose none.
func TestWriteConcurrent(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			now := time.Now()
			a, dsn := d.open(t)
			defer a.Close()
			b := openAgain(t, d, dsn)
			defer b.Close()

			key := scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()}
			type result struct {
				rev string
				res scopes.WriteResult
				err error
			}
			results := make(chan result, 20)
			var wg sync.WaitGroup
			for i := range 20 {
				s := []*sqlstore.Store{a, b}[i%2]
				wg.Go(func() {
					rec := scopes.Record{Key: key, Rev: scopes.NewRev(), Version: 1, Expires: now.Add(time.Hour), Data: []byte(`{}`)}
					res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now)
					results <- result{rec.Rev, res, err}
				})
			}
			wg.Wait()
			close(results)
			var winner string
			var losers []string
			for r := range results {
				switch {
				case r.err != nil:
					t.Errorf("create: %v", r.err)
				case r.res.Written && winner != "":
					t.Errorf("two creates won: %s and %s", winner, r.rev)
				case r.res.Written:
					winner = r.rev
				case !r.res.Found:
					t.Errorf("a create that lost found no record: %+v", r.res)
				default:
					losers = append(losers, r.res.Rec.Rev)
				}
			}
			for _, rev := range losers {
				if rev != winner {
					t.Errorf("a create that lost was shown rev %s, the winner's is %s", rev, winner)
				}
			}

			key.CFID = scopes.NewCFID()
			const n = 40
			errs := make(chan error, n)
			for i := range n {
				s := []*sqlstore.Store{a, b}[i%2]
				wg.Go(func() { errs <- increment(ctx, s, key, now) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("increment: %v", err)
				}
			}
			got, _, err := a.Load(ctx, key, now)
			if err != nil || got.Version != n || string(got.Data) != fmt.Sprintf(`{"n":%d}`, n) {
				t.Errorf("after %d increments: version %d, %s, %v", n, got.Version, got.Data, err)
			}
		})
	}
}

// Write rejects a record without a usable rev before it touches the table.
func TestWriteChecksRev(t *testing.T) {
	s, _ := MustOpenSQLite(t)
	defer s.Close()
	for _, rev := range []string{"", "legacy-3", "0123456789abcdef0123456789abcdef0"} {
		rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}, Rev: rev}
		if _, err := s.Write(context.Background(), rec, scopes.ExpectAny, time.Now()); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("Write with rev %q: %v; want the %s error", rev, err, scopes.EInvalid)
		}
	}
}
