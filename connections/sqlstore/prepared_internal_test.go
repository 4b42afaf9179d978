package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// sessionStatus reads a session status counter of the one connection of a
// countedStore.
func sessionStatus(t *testing.T, s *Store, variable string) int64 {
	t.Helper()
	var name string
	var v int64
	if err := s.writer.QueryRowxContext(context.Background(), `SHOW SESSION STATUS LIKE '`+variable+`'`).Scan(&name, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// newSession returns a record of a new session with data {"n":1}.
func newSession(now time.Time) scopes.Record {
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	return scopes.Record{Key: key, Version: 1, Rev: scopes.NewRev(), Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)}
}

// createSession creates a new session in s, as newSession returns it.
func createSession(t *testing.T, s *Store, now time.Time) scopes.Record {
	t.Helper()
	rec := newSession(now)
	if res, err := s.Write(context.Background(), rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
		t.Fatalf("create: %+v, %v", res, err)
	}
	return rec
}

// loadAndSet loads rec's scope and replaces it by compare-and-set with data
// {"n":n}.
func loadAndSet(ctx context.Context, s *Store, key scopes.Key, n int, now time.Time) error {
	got, ok, err := s.Load(ctx, key, now)
	if err != nil || !ok {
		return fmt.Errorf("load: found %v, %w", ok, err)
	}
	next := got
	next.Rev, next.Version, next.Data = scopes.NewRev(), got.Version+1, []byte(fmt.Sprintf(`{"n":%d}`, n))
	if res, err := s.Write(ctx, next, got.Rev, now); err != nil || !res.Written {
		return fmt.Errorf("compare-and-set: written %v, %w", res.Written, err)
	}
	return nil
}

// A MySQL server that refuses to prepare another statement
// (max_prepared_stmt_count) costs no call: the store runs its statements as
// text from then on, frees the statements it prepared, and says so in its
// log once. The server refuses when the store first prepares, when it
// prepares another statement, and when database/sql prepares a statement
// again on a new connection of the pool.
func TestPreparedRefused(t *testing.T) {
	for _, when := range []string{"first", "after two were prepared", "on a new connection"} {
		t.Run(when, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s, c := countedStore(t, nameMySQL)
			var log bytes.Buffer
			s.log = slog.New(slog.NewTextHandler(&log, nil))
			rec := newSession(now)

			if when == "first" {
				c.refusePrepare.Store(true)
			}
			if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("create: %+v, %v", res, err)
			}
			closed := sessionStatus(t, s, "Com_stmt_close")
			if when != "first" {
				if _, _, err := s.Load(ctx, rec.Key, now); err != nil {
					t.Fatal(err)
				}
				if s.stmts.off || len(s.stmts.stmts) != 2 {
					t.Fatalf("a create and a load prepared %d statements (off %v); want 2", len(s.stmts.stmts), s.stmts.off)
				}
				c.refusePrepare.Store(true)
				closed = sessionStatus(t, s, "Com_stmt_close")
			}
			if when == "on a new connection" {
				// The next call takes a new connection, on which
				// database/sql prepares the load again.
				s.writer.SetMaxIdleConns(0)
				s.writer.SetMaxIdleConns(1)
			}
			// The load is prepared already, the compare-and-set not yet.
			if err := loadAndSet(ctx, s, rec.Key, 2, now); err != nil {
				t.Fatal(err)
			}
			if got, _, err := s.Load(ctx, rec.Key, now); err != nil || string(got.Data) != `{"n":2}` {
				t.Fatalf("Load after the compare-and-set = %s, %v; want {\"n\":2}", got.Data, err)
			}

			if !s.stmts.off || len(s.stmts.stmts) != 0 {
				t.Errorf("preparing is off %v, with %d statements kept; want off, none", s.stmts.off, len(s.stmts.stmts))
			}
			if when == "after two were prepared" {
				// They were prepared on this connection: closing them
				// freed them on the server.
				if n := sessionStatus(t, s, "Com_stmt_close") - closed; n != 2 {
					t.Errorf("the server closed %d statements after the refusal; want the 2 prepared", n)
				}
			}
			prepares := c.prepares.Load()
			if _, _, err := s.Load(ctx, rec.Key, now); err != nil {
				t.Fatal(err)
			}
			if p := c.prepares.Load(); p != prepares {
				t.Errorf("a load after the refusal prepared %d statements; want none", p-prepares)
			}
			if n := strings.Count(log.String(), "prepares no more statements"); n != 1 {
				t.Errorf("the log says %d times that the server prepares no more statements; want once:\n%s", n, log.String())
			}
		})
	}
}

// A prepared write whose answer was lost after it ran is not sent again as
// text: its outcome is unknown, and the engine resolves that (the write's
// rev recognises it), as for a text statement.
func TestPreparedWriteLostAnswer(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, c := countedStore(t, nameMySQL)
	rec := createSession(t, s, now)
	if err := loadAndSet(ctx, s, rec.Key, 2, now); err != nil { // prepares the compare-and-set
		t.Fatal(err)
	}
	got, _, err := s.Load(ctx, rec.Key, now)
	if err != nil {
		t.Fatal(err)
	}
	next := got
	next.Rev, next.Version, next.Data = scopes.NewRev(), got.Version+1, []byte(`{"n":3}`)
	c.failAfterExec.Store(true)
	sent := c.sent.Load()
	_, err = s.Write(ctx, next, got.Rev, now)
	c.failAfterExec.Store(false)
	if !errors.Is(err, errLostAnswer) || errors.Is(err, scopes.ErrNotApplied) {
		t.Fatalf("Write = %v; want the lost answer, not marked as not applied", err)
	}
	if n := c.sent.Load() - sent; n != 1 {
		t.Errorf("the write was sent %d times; want once", n)
	}
	// Sent again, as the engine does, it is recognised as applied.
	if res, err := s.Write(ctx, next, got.Rev, now); err != nil || !res.Written {
		t.Errorf("the write sent again: %+v, %v; want written", res, err)
	}
}

// A statement closed between the moment a call took it and its use (the
// store closing it, or a refusal) sent nothing: the call runs its query as
// text instead.
func TestPreparedClosedStatement(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, c := countedStore(t, nameMySQL)
	rec := createSession(t, s, now)
	st, _ := s.table(scopes.Session)
	stmt, err := s.preparedStmt(ctx, s.reader, st.get)
	if err != nil || stmt == nil {
		t.Fatalf("preparedStmt = %v, %v", stmt, err)
	}
	if err := stmt.Close(); err != nil { // still in the store's map, as if taken just before
		t.Fatal(err)
	}
	sent := c.sent.Load()
	if got, ok, err := s.Load(ctx, rec.Key, now); err != nil || !ok || got.Rev != rec.Rev {
		t.Fatalf("Load = %v, %v; want the record", ok, err)
	}
	if n := c.sent.Load() - sent; n != 1 {
		t.Errorf("the load sent %d statements; want 1, as text", n)
	}
}

// Loads and writes that run while the server starts refusing to prepare,
// and while the store closes, neither wait for each other nor race (go test
// -race); each succeeds, or fails after Close as not applied.
func TestPreparedConcurrent(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, c := countedStore(t, nameMySQL)
	s.log = slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	s.writer.SetMaxOpenConns(4)
	const workers, rounds = 8, 30
	recs := make([]scopes.Record, workers)
	for i := range recs {
		recs[i] = newSession(now)
		if _, err := s.Write(ctx, recs[i], scopes.ExpectAbsent, now); err != nil {
			t.Fatal(err)
		}
	}
	run := func(closing bool) {
		var wg sync.WaitGroup
		var done atomic.Int64
		for i := range workers {
			wg.Go(func() {
				for n := range rounds {
					err := loadAndSet(ctx, s, recs[i].Key, n, now)
					done.Add(1)
					if err != nil && !(closing && errors.Is(err, scopes.ErrNotApplied) || closing && strings.Contains(err.Error(), errDBClosed)) {
						t.Errorf("worker %d, round %d: %v", i, n, err)
						return
					}
				}
			})
		}
		for done.Load() < workers*rounds/3 {
			time.Sleep(time.Millisecond)
		}
		if closing {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		} else {
			c.refusePrepare.Store(true)
			// Every call takes a new connection, on which database/sql
			// prepares again.
			s.writer.SetConnMaxLifetime(time.Nanosecond)
		}
		wg.Wait()
	}
	run(false)
	if !s.stmts.off {
		t.Error("preparing is still on after the refusal")
	}
	c.refusePrepare.Store(false)
	s.writer.SetConnMaxLifetime(0)
	s.stmts = preparedStmts{} // prepare again, then close the store under load
	run(true)
}

// With prepare=false a MySQL store prepares nothing: each statement is sent
// as text, one round trip each, as on the other dialects.
func TestPrepareOff(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, c := countedStore(t, nameMySQL, "prepare", "false")
	rec := newSession(now)
	if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
		t.Fatalf("create: %+v, %v", res, err)
	}
	if err := loadAndSet(ctx, s, rec.Key, 2, now); err != nil {
		t.Fatal(err)
	}
	if p, sent := c.prepares.Load(), c.sent.Load(); p != 0 || sent != 3 {
		t.Errorf("%d statements prepared and %d sent for a create, a load and a compare-and-set; want 0 and 3", p, sent)
	}
}

// Verify reads its probe row back as loads read scopes: prepared, where the
// store prepares. A server or proxy that takes no prepared statements fails
// the read check with what to do; one that prepares no more statements, or
// a store with prepare=false, reads as text and passes.
func TestVerifyPrepared(t *testing.T) {
	for _, tc := range []struct {
		name         string
		params       []string
		set          func(c *counters)
		wantPrepares int64
		wantErr      string
	}{
		{"prepared", nil, func(*counters) {}, 1, ""},
		{"no prepared statements", nil, func(c *counters) { c.noPrepare.Store(true) }, 1, "set the connection's prepare to false"},
		{"the server prepares no more", nil, func(c *counters) { c.refusePrepare.Store(true) }, 1, ""},
		{"prepare=false", []string{"prepare", "false"}, func(c *counters) { c.noPrepare.Store(true) }, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := countedStore(t, nameMySQL, tc.params...)
			tc.set(c)
			for _, h := range s.Verify(context.Background()) {
				switch {
				case h.Name == checkRead && tc.wantErr != "":
					if h.Err == nil || !strings.Contains(h.Err.Error(), tc.wantErr) {
						t.Errorf("read check: %v; want an error that says to %s", h.Err, tc.wantErr)
					}
				case h.Err != nil:
					t.Errorf("%s check: %v", h.Name, h.Err)
				}
			}
			if p := c.prepares.Load(); p != tc.wantPrepares {
				t.Errorf("Verify prepared %d statements; want %d", p, tc.wantPrepares)
			}
		})
	}
}
