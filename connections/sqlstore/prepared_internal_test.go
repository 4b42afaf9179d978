package sqlstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// A MySQL server that refuses to prepare another statement
// (max_prepared_stmt_count) costs no call: the store runs its statements as
// text from then on, and says so in its log once. The server refuses when
// the store first prepares, and when database/sql prepares a statement
// again on a new connection of the pool.
func TestPreparedRefused(t *testing.T) {
	for _, when := range []string{"first", "on a new connection"} {
		t.Run(when, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s, c := countedStore(t, nameMySQL)
			var log bytes.Buffer
			s.log = slog.New(slog.NewTextHandler(&log, nil))
			key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			rec := scopes.Record{Key: key, Version: 1, Rev: scopes.NewRev(), Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)}

			if when == "first" {
				c.refusePrepare.Store(true)
			}
			if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("create: %+v, %v", res, err)
			}
			if when != "first" {
				if _, _, err := s.Load(ctx, key, now); err != nil {
					t.Fatal(err)
				}
				if s.stmts.off || len(s.stmts.stmts) != 2 {
					t.Fatalf("a create and a load prepared %d statements (off %v); want 2", len(s.stmts.stmts), s.stmts.off)
				}
				// The next call takes a new connection, on which
				// database/sql prepares the load again.
				c.refusePrepare.Store(true)
				s.writer.SetMaxIdleConns(0)
				s.writer.SetMaxIdleConns(1)
			}
			got, ok, err := s.Load(ctx, key, now)
			if err != nil || !ok || string(got.Data) != `{"n":1}` || got.Rev != rec.Rev {
				t.Fatalf("Load = %+v, %v, %v; want the record created", got, ok, err)
			}
			next := got
			next.Rev, next.Version, next.Data = scopes.NewRev(), 2, []byte(`{"n":2}`)
			if res, err := s.Write(ctx, next, got.Rev, now); err != nil || !res.Written {
				t.Fatalf("compare-and-set: %+v, %v", res, err)
			}
			if got, _, err := s.Load(ctx, key, now); err != nil || string(got.Data) != `{"n":2}` {
				t.Fatalf("Load after the compare-and-set = %s, %v; want {\"n\":2}", got.Data, err)
			}

			if !s.stmts.off {
				t.Error("preparing is still on")
			}
			prepares := c.prepares.Load()
			if _, _, err := s.Load(ctx, key, now); err != nil {
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

// With prepare=false a MySQL store prepares nothing: each statement is sent
// as text, one round trip each, as on the other dialects.
func TestPrepareOff(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, c := countedStore(t, nameMySQL, "prepare", "false")
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	rec := scopes.Record{Key: key, Version: 1, Rev: scopes.NewRev(), Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)}
	if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
		t.Fatalf("create: %+v, %v", res, err)
	}
	got, ok, err := s.Load(ctx, key, now)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	next := got
	next.Rev, next.Version = scopes.NewRev(), 2
	if res, err := s.Write(ctx, next, got.Rev, now); err != nil || !res.Written {
		t.Fatalf("compare-and-set: %+v, %v", res, err)
	}
	if p, sent := c.prepares.Load(), c.sent.Load(); p != 0 || sent != 3 {
		t.Errorf("%d statements prepared and %d sent for a create, a load and a compare-and-set; want 0 and 3", p, sent)
	}
}
