package scopes_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// knownStore is a mapStore that is a scopes.KnownLoader and keeps the known
// data of each LoadKnown; its loads fail with fail when that is set.
type knownStore struct {
	*mapStore
	known []json.RawMessage
	fail  error
}

func (s *knownStore) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	if s.fail != nil {
		return scopes.Record{}, false, s.fail
	}
	return s.mapStore.Load(ctx, key, now)
}

func (s *knownStore) LoadKnown(ctx context.Context, key scopes.Key, now time.Time, known json.RawMessage) (scopes.Record, bool, error) {
	s.known = append(s.known, known)
	return s.Load(ctx, key, now)
}

// clusteredApp is a config store with the one app shop, whose sessions live
// in "db" with cluster = true: every load reads the storage.
type clusteredApp struct{ scopes.ConfigStore }

func (clusteredApp) App(context.Context, string) (scopes.App, bool, error) {
	return scopes.App{Name: "shop", Layer: scopes.Layer{
		scopes.SessionStorage: {Value: "db", By: scopes.FromAdmin},
		scopes.SessionCluster: {Value: "true", By: scopes.FromAdmin},
	}}, true, nil
}
func (clusteredApp) ServerLayer(context.Context) (scopes.Layer, error) { return nil, nil }

// savedOnKnownStore starts an engine on a knownStore with cluster = true,
// creates a session of {"user":"ann"} and saves {"user":"bob"} in it, so
// that the engine holds the saved record; known is emptied after.
func savedOnKnownStore(t *testing.T) (*knownStore, *scopes.Engine, scopes.Settings, scopes.Key) {
	t.Helper()
	ctx := context.Background()
	st := &knownStore{mapStore: &mapStore{recs: map[scopes.Key]scopes.Record{}}}
	storages := mapStorages{st}
	e := scopes.NewEngine(storages)
	eff, err := scopes.NewDirectory(clusteredApp{}, storages).Effective(ctx, "shop")
	if err != nil || !eff.Settings.Session.Cluster {
		t.Fatalf("settings: %+v, %v", eff.Settings.Session, err)
	}
	sc, err := e.Create(ctx, eff.Settings, "shop", scopes.Session, []byte(`{"user":"ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
	if _, err := e.Save(ctx, eff.Settings, key, []byte(`{"user":"bob"}`)); err != nil {
		t.Fatal(err)
	}
	st.known = nil
	return st, e, eff.Settings, key
}

// A load of the storage hands a KnownLoader the data of the record this
// instance wrote last, and nothing for a scope it holds no copy of.
func TestEngine_LoadHandsTheHeldDataToAKnownLoader(t *testing.T) {
	ctx := context.Background()
	st, e, set, key := savedOnKnownStore(t)
	got, err := e.Load(ctx, set, key)
	if err != nil || string(got.Data) != `{"user":"bob"}` {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if len(st.known) != 1 || string(st.known[0]) != `{"user":"bob"}` {
		t.Errorf("LoadKnown was told %q; want the saved data once", st.known)
	}

	st.known = nil
	other := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	if _, err := e.Load(ctx, set, other); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("Load of a missing scope = %v; want not found", err)
	}
	if len(st.known) != 0 {
		t.Errorf("a load of a scope this instance holds no copy of went through LoadKnown with %q", st.known)
	}
}

// A storage that fails in LoadKnown fails the load with EUnavailable, also
// when this instance holds a copy of the scope: never the copy, which may be
// stale with cluster = true, and never an empty scope.
func TestEngine_KnownLoaderFailureIsUnavailable(t *testing.T) {
	ctx := context.Background()
	st, e, set, key := savedOnKnownStore(t)
	st.fail = errors.New("connection refused")
	got, err := e.Load(ctx, set, key)
	if scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("Load from a failing storage = %+v, %v; want %s", got, err, scopes.EUnavailable)
	}
	if len(st.known) != 1 || string(st.known[0]) != `{"user":"bob"}` {
		t.Errorf("LoadKnown was told %q; want the saved data once", st.known)
	}
	st.fail = nil
	if got, err := e.Load(ctx, set, key); err != nil || string(got.Data) != `{"user":"bob"}` {
		t.Errorf("Load once the storage is back = %+v, %v", got, err)
	}
}
