package couchdb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// A store over a server that is down opens; every call then fails quickly
// with a 503 naming the connection, marked not applied, and never with
// found false, which would hand out a new session.
func TestServerDown(t *testing.T) {
	s := open(t, map[string]string{"url": "http://127.0.0.1:1/sessions"})
	defer s.Close()
	checkDown(t, s)
}

// checkDown checks that every call of s fails as a server that is down
// makes it fail.
func checkDown(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{}`)
	calls := []struct {
		name string
		call func() error
	}{
		{"Load", func() error {
			_, found, err := s.Load(ctx, rec.Key, now)
			if found {
				t.Error("Load found a record on a server that is down")
			}
			return err
		}},
		{"Write", func() error {
			res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now)
			if res.Written {
				t.Error("Write reported written on a server that is down")
			}
			return err
		}},
		{"Delete", func() error { _, err := s.Delete(ctx, rec.Key); return err }},
		{"List", func() error { _, err := s.List(ctx, "shop", scopes.Session, "", 10, now); return err }},
		{"Count", func() error { _, _, err := s.Count(ctx, "shop", scopes.Session, now); return err }},
		{"DeleteExpired", func() error { _, err := s.DeleteExpired(ctx, now, 10); return err }},
		{"Ping", func() error { return s.Ping(ctx) }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		took := time.Since(start)
		var se *scopes.Error
		switch {
		case err == nil:
			t.Errorf("%s succeeded on a server that is down", c.name)
			continue
		case !errors.As(err, &se) || se.Code != scopes.EUnavailable:
			t.Errorf("%s: %v; want an *scopes.Error unavailable", c.name, err)
		case !strings.Contains(se.Message, `storage "cdb"`) || !strings.Contains(se.Message, "connection refused"):
			t.Errorf("%s: message %q; want it to name the storage and say why", c.name, se.Message)
		case !errors.Is(err, scopes.ErrNotApplied):
			t.Errorf("%s: %v is not marked not applied", c.name, err)
		}
		if took > DefaultTimeout {
			t.Errorf("%s took %v to fail, over the timeout %v", c.name, took, DefaultTimeout)
		}
	}
}

// pouchdb-server killed: every call fails with 503; started again: the
// store serves again by itself, creating the database anew (the server
// kept it in memory, so the scopes are gone, as a server's data would be
// after it lost its disk).
func TestServerComesBack(t *testing.T) {
	srv := conntest.StartCouchServer(t)
	s := open(t, map[string]string{"url": srv.URL() + "/sessions"})
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
	mustWrite(t, s, rec, scopes.ExpectAbsent, now)

	srv.Stop()
	checkDown(t, s)

	srv.Start()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the server came back: %v", err)
	}
	if _, found, err := s.Load(ctx, rec.Key, now); err != nil || found {
		t.Errorf("Load after the restart of a server in memory: found %v, %v; want not found", found, err)
	}
	again := newRecord("shop", scopes.Session, now, `{"n":2}`)
	if res := mustWrite(t, s, again, scopes.ExpectAbsent, now); !res.Written {
		t.Errorf("Write after the server came back = %+v", res)
	}
	if n, _, err := s.Count(ctx, "shop", scopes.Session, now); err != nil || n != 1 {
		t.Errorf("Count = %d, %v; want 1", n, err)
	}
}

// The first request after the database vanished (a server restarted
// empty, here the database deleted) recreates it and is served, rather
// than answering 503 once.
func TestDatabaseRecreated(t *testing.T) {
	srv := conntest.StartCouchServer(t)
	s := open(t, map[string]string{"url": srv.URL() + "/sessions"})
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	mustWrite(t, s, newRecord("shop", scopes.Client, now, `{}`), scopes.ExpectAbsent, now)
	srv.Stop()
	srv.Start()
	rec := newRecord("shop", scopes.Client, now, `{}`)
	if res := mustWrite(t, s, rec, scopes.ExpectAbsent, now); !res.Written {
		t.Fatalf("first write after the database vanished = %+v", res)
	}
	if _, found, err := s.Load(ctx, rec.Key, now); err != nil || !found {
		t.Errorf("Load: found %v, %v", found, err)
	}
	if keys, err := s.DeleteExpired(ctx, now.Add(2*time.Hour), 10); err != nil || len(keys) != 1 {
		t.Errorf("DeleteExpired after the database was recreated = %v, %v; want the one scope (the index is back)", keys, err)
	}
}
