package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// A store over a server that is down opens, and then every call fails with
// an error, quickly: never found false, which would hand out a new session.
func TestServerDown(t *testing.T) {
	s := MustOpen(t, map[string]string{"host": "127.0.0.1", "port": "1"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{}`)

	calls := []struct {
		name string
		want string
		call func() error
	}{
		{"Load", "redis: load shop session: ", func() error {
			_, found, err := s.Load(ctx, rec.Key, now)
			if found {
				t.Error("Load found a record on a server that is down")
			}
			return err
		}},
		{"LoadKnown", "redis: load shop session: ", func() error {
			_, found, err := s.LoadKnown(ctx, rec.Key, now, rec.Data)
			if found {
				t.Error("LoadKnown found a record on a server that is down")
			}
			return err
		}},
		{"Write", "redis: write shop session: ", func() error {
			res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now)
			if res.Written {
				t.Error("Write reported written on a server that is down")
			}
			return err
		}},
		{"Delete", "redis: delete shop session: ", func() error { _, err := s.Delete(ctx, rec.Key); return err }},
		{"List", "redis: list shop session: ", func() error {
			_, err := s.List(ctx, "shop", scopes.Session, "", 10, now)
			return err
		}},
		{"DeleteExpired", "redis: delete expired: ", func() error { _, err := s.DeleteExpired(ctx, now, 10); return err }},
		{"Ping", "redis: ping: ", func() error { return s.Ping(ctx) }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		took := time.Since(start)
		if err == nil {
			t.Errorf("%s succeeded on a server that is down", c.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v; want it to start with %q", c.name, err, c.want)
		}
		// Not a *scopes.Error: the engine turns it into 503 storage unavailable.
		if code := scopes.ErrorCode(err); code != scopes.EInternal {
			t.Errorf("%s: error code %q, want none (internal)", c.name, code)
		}
		if took > defaultDialTimeout {
			t.Errorf("%s took %v to fail, over the dial timeout %v", c.name, took, defaultDialTimeout)
		}
	}
}

// The client reconnects by itself once the server is back.
func TestServerComesBack(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	p, m := miniParams(t, "")
	s := MustOpen(t, p)
	rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
	save(t, s, rec)
	m.Close()
	if _, _, err := s.Load(ctx, rec.Key, now); err == nil {
		t.Fatal("Load succeeded while the server was down")
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, found, err := s.Load(ctx, rec.Key, now)
		if err == nil {
			if !found {
				t.Error("the record saved before the outage is gone")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 10s after the server came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
