package memcached

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// oneStorage hands the engine one store under the name "mc".
type oneStorage struct{ st scopes.Store }

func (o oneStorage) Store(_ context.Context, name string) (scopes.Store, error) {
	if name != "mc" {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
	}
	return o.st, nil
}
func (o oneStorage) Names(context.Context, scopes.Kind) ([]string, error) { return []string{"mc"}, nil }
func (o oneStorage) Open() map[string]scopes.Store                        { return map[string]scopes.Store{"mc": o.st} }

// Killing memcached makes loads and writes fail quickly — 503 naming the
// storage through the engine, never a new empty scope — and a server
// started again on the same port is used again.
func TestOutage(t *testing.T) {
	m := conntest.StartMemcached(t)
	s := MustOpen(t, map[string]string{"servers": m.Addr, "prefix": testPrefix()})
	eng := scopes.NewEngine(oneStorage{s})
	eng.ResolveTime = 500 * time.Millisecond
	set := scopes.Resolve(scopes.Layer{
		scopes.SessionStorage: {Value: "mc", By: scopes.FromAdmin},
		scopes.SessionCluster: {Value: "true", By: scopes.FromAdmin},
	}, nil).Settings
	ctx := context.Background()
	sc, err := eng.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
	now := time.Now()

	m.Stop()
	start := time.Now()
	if _, found, err := s.Load(ctx, key, now); err == nil || found {
		t.Errorf("store Load with memcached down = found %v, %v; want an error", found, err)
	} else if scopes.ErrorCode(err) != scopes.EInternal || !strings.HasPrefix(err.Error(), "memcached: load shop session: ") {
		t.Errorf("store Load: %v; want a plain error that the engine names (503)", err)
	}
	if _, found, err := s.LoadKnown(ctx, key, now, []byte(`{"n":1}`)); err == nil || found {
		t.Errorf("store LoadKnown with memcached down = found %v, %v; want an error", found, err)
	}
	rec := newRecord("shop", scopes.Session, now, `{}`)
	if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err == nil || res.Written {
		t.Errorf("store Write with memcached down = %+v, %v; want an error", res, err)
	} else if !errors.Is(err, scopes.ErrNotApplied) {
		t.Errorf("store Write: %v; want it marked not applied (nothing could be sent)", err)
	}
	for name, call := range map[string]func() error{
		"Load":   func() error { _, err := eng.Load(ctx, set, key); return err },
		"Save":   func() error { _, err := eng.Save(ctx, set, key, []byte(`{"n":2}`)); return err },
		"Create": func() error { _, err := eng.Create(ctx, set, "shop", scopes.Session, nil); return err },
	} {
		err := call()
		if scopes.ErrorCode(err) != scopes.EUnavailable || !strings.Contains(scopes.ErrorMessage(err), `"mc"`) {
			t.Errorf("engine %s with memcached down: %v; want unavailable naming storage \"mc\"", name, err)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("failing took %v: a refused dial should fail at once", took)
	}

	m.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, found, err := s.Load(ctx, key, now)
		if err == nil {
			if found {
				t.Error("a scope survived a memcached restart (it keeps nothing on disk)")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 10s after memcached came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := eng.Create(ctx, set, "shop", scopes.Session, []byte(`{}`)); err != nil {
		t.Errorf("Create after memcached came back: %v", err)
	}
}
