package redis

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// engineStorages is the engine's Storages over one store named "cache".
type engineStorages struct{ store scopes.Store }

func (e engineStorages) Store(_ context.Context, name string) (scopes.Store, error) {
	if name != "cache" {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
	}
	return e.store, nil
}
func (e engineStorages) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{"cache"}, nil
}
func (e engineStorages) Open() map[string]scopes.Store {
	return map[string]scopes.Store{"cache": e.store}
}

// Through the engine, with cluster = true, each request costs Redis one
// command, so one round trip: the load-then-save cycle is a GET and a
// script, a client scope's load (a visit that counts a hit) one script, a
// touch one script, a PATCH one script, from an instance that never read
// the scope too.
func TestEngineRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, realParams(t))
	e := scopes.NewEngine(engineStorages{s})
	other := scopes.NewEngine(engineStorages{s}) // an instance that never read the scope
	set := scopes.Resolve(scopes.Layer{
		scopes.SessionStorage: {Value: "cache", By: scopes.FromAdmin},
		scopes.SessionCluster: {Value: "true", By: scopes.FromAdmin},
		scopes.ClientStorage:  {Value: "cache", By: scopes.FromAdmin},
		scopes.ClientCluster:  {Value: "true", By: scopes.FromAdmin},
	}, nil).Settings
	session, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	client, err := e.Create(ctx, set, "shop", scopes.Client, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	waitRegistered(t, s, "shop", scopes.Session)
	waitRegistered(t, s, "shop", scopes.Client)
	sk := scopes.Key{App: "shop", Kind: scopes.Session, CFID: session.CFID}
	ck := scopes.Key{App: "shop", Kind: scopes.Client, CFID: client.CFID}
	incr := scopes.Patch{Incr: map[string]json.Number{"n": "1"}}
	steps := []struct {
		name string
		want int
		run  func() error
	}{
		{"create", 1, func() error { _, err := e.Create(ctx, set, "shop", scopes.Session, nil); return err }},
		{"load", 1, func() error { _, err := e.Load(ctx, set, sk); return err }},
		{"save after the load", 1, func() error { _, err := e.Save(ctx, set, sk, []byte(`{"n":2}`), 0); return err }},
		{"patch after the save", 1, func() error { _, err := e.Patch(ctx, set, sk, incr, 0); return err }},
		{"patch from another instance", 1, func() error { _, err := other.Patch(ctx, set, sk, incr, 0); return err }},
		{"touch", 1, func() error { return e.Touch(ctx, set, sk) }},
		{"client load", 1, func() error { _, err := e.Load(ctx, set, ck); return err }},
		{"client save", 1, func() error { _, err := e.Save(ctx, set, ck, []byte(`{"a":1}`), 0); return err }},
		{"delete", 1, func() error { return e.Delete(ctx, set, sk) }},
	}
	for _, st := range steps {
		r := record(s)
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if n := r.total(); n != st.want {
			t.Errorf("%s sent %d commands (%v), want %d", st.name, n, r.names, st.want)
		}
	}
}
