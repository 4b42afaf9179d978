package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
)

// TestHeld: what the store holds follows its records through creates,
// replacements, deletes, expiry and Close, per app and kind and in all.
func TestHeld(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	now := time.Now()
	rec := func(app string, k scopes.Kind, cfid, data string, expires time.Time) scopes.Record {
		return scopes.Record{Key: scopes.Key{App: app, Kind: k, CFID: cfid}, Rev: scopes.NewRev(), Version: 1,
			Data: []byte(data), LastVisit: now, Expires: expires}
	}
	write := func(r scopes.Record) scopes.Record {
		t.Helper()
		res, err := s.Write(ctx, r, scopes.ExpectAny, now)
		if err != nil || !res.Written {
			t.Fatalf("write: %+v, %v", res, err)
		}
		return res.Rec
	}
	a1 := write(rec("shop", scopes.Session, "A1", `{"n":1}`, now.Add(time.Hour)))
	c1 := write(rec("shop", scopes.Client, "C1", `{}`, now.Add(time.Millisecond)))
	o1 := write(rec("other", scopes.Session, "O1", `{"x":"yyyy"}`, now.Add(time.Hour)))
	want := func(got scopes.Usage, recs ...scopes.Record) {
		t.Helper()
		var w scopes.Usage
		for _, r := range recs {
			w.Scopes++
			w.Bytes += scopes.HeldBytes(r)
		}
		if got != w {
			t.Errorf("held %+v; want %+v", got, w)
		}
	}
	want(s.Held("shop", scopes.Session), a1)
	want(s.Held("shop", scopes.Client), c1)
	want(s.HeldTotal(), a1, c1, o1)

	a1b := write(rec("shop", scopes.Session, "A1", `{"n":1,"more":"data"}`, now.Add(time.Hour)))
	want(s.Held("shop", scopes.Session), a1b)
	want(s.HeldTotal(), a1b, c1, o1)

	if _, err := s.Delete(ctx, o1.Key); err != nil {
		t.Fatal(err)
	}
	want(s.Held("other", scopes.Session))
	if _, err := s.DeleteExpired(ctx, now.Add(time.Second), 10); err != nil {
		t.Fatal(err)
	}
	want(s.Held("shop", scopes.Client))
	want(s.HeldTotal(), a1b)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want(s.HeldTotal())
	want(s.Held("shop", scopes.Session))
}
