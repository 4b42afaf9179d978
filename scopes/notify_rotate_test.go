package scopes_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// mapStore is a storage in a map: what Rotate and the cleaner use of one.
type mapStore struct {
	scopes.Store
	mu   sync.Mutex
	recs map[scopes.Key]scopes.Record
}

func (s *mapStore) live(key scopes.Key, now time.Time) (scopes.Record, bool) {
	rec, ok := s.recs[key]
	return rec, ok && !rec.Expired(now)
}

func (s *mapStore) Load(_ context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, found := s.live(key, now)
	return rec, found, nil
}

func (s *mapStore) Write(_ context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, found := s.live(rec.Key, now)
	if !scopes.Matches(expect, cur, found) {
		return scopes.WriteResult{Rec: cur, Found: found}, nil
	}
	s.recs[rec.Key] = rec
	return scopes.WriteResult{Written: true, Rec: rec, Found: true}, nil
}

func (s *mapStore) Delete(_ context.Context, key scopes.Key) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, found := s.recs[key]
	delete(s.recs, key)
	return found, nil
}

func (s *mapStore) Count(_ context.Context, app string, kind scopes.Kind, now time.Time) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for key := range s.recs {
		if _, live := s.live(key, now); live && key.App == app && key.Kind == kind {
			n++
		}
	}
	return n, true, nil
}

func (s *mapStore) DeleteExpired(_ context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []scopes.Key
	for key, rec := range s.recs {
		if rec.Expired(now) && len(keys) < limit {
			delete(s.recs, key)
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// mapStorages is the one storage "db".
type mapStorages struct{ st scopes.Store }

func (m mapStorages) Store(context.Context, string) (scopes.Store, error) { return m.st, nil }
func (m mapStorages) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{"db"}, nil
}
func (m mapStorages) Open() map[string]scopes.Store { return map[string]scopes.Store{"db": m.st} }

// hookedApp is a config store with the one app shop, whose sessions live in
// "db" and whose webhook is hook.
type hookedApp struct{ scopes.ConfigStore }

const hook = "https://shop.example/ended"

func (hookedApp) App(context.Context, string) (scopes.App, bool, error) {
	return scopes.App{Name: "shop", Layer: scopes.Layer{
		scopes.SessionStorage:  {Value: "db", By: scopes.FromAdmin},
		scopes.ScopeEndWebhook: {Value: hook, By: scopes.FromAdmin},
	}}, true, nil
}
func (hookedApp) ServerLayer(context.Context) (scopes.Layer, error) { return nil, nil }

// A rotated session's old cfid is notified once, as rotated and naming the
// new cfid; when its grace ends the cleaner deletes it and reports it
// expired, and that report is not taken for the session's end.
func TestEngine_RotateNotifiesRotatedNotExpired(t *testing.T) {
	ctx := context.Background()
	st := &mapStore{recs: map[scopes.Key]scopes.Record{}}
	outbox := &memOutbox{}
	now := time.Now()
	e := scopes.NewEngine(mapStorages{st})
	e.Now = func() time.Time { return now }
	e.Ends = scopes.NewNotifier(outbox, nil, scopes.NewDirectory(hookedApp{}, mapStorages{st}))
	eff, err := scopes.NewDirectory(hookedApp{}, mapStorages{st}).Effective(ctx, "shop")
	if err != nil || eff.Settings.EndWebhook != hook {
		t.Fatalf("settings: %+v, %v", eff.Settings, err)
	}
	sc, err := e.Create(ctx, eff.Settings, "shop", scopes.Session, []byte(`{"user":"ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	old := scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
	moved, err := e.Rotate(ctx, eff.Settings, old, "")
	if err != nil {
		t.Fatal(err)
	}

	now = now.Add(e.RotateGrace + time.Second)
	if deleted, err := e.Clean(ctx); err != nil || deleted["db"] != 1 {
		t.Fatalf("the cleaner deleted %v, %v; want the old cfid", deleted, err)
	}
	outbox.mu.Lock()
	defer outbox.mu.Unlock()
	if len(outbox.rows) != 1 {
		t.Fatalf("%d notifications; want the old cfid's one", len(outbox.rows))
	}
	n := outbox.rows[0].note
	want := `{"app":"shop","scope":"session","cfid":"` + old.CFID + `","reason":"rotated","rotatedTo":"` + moved.CFID + `"}`
	if n.Key != old || n.URL != hook || string(n.Body()) != want {
		t.Fatalf("notification %+v, body %s; want %s to %s", n, n.Body(), want, hook)
	}
}

// A notification for another reason names no rotatedTo.
func TestNotification_BodyWithoutRotatedTo(t *testing.T) {
	n := scopes.Notification{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: "a"}, Reason: scopes.ReasonExpired}
	if got, want := string(n.Body()), `{"app":"shop","scope":"session","cfid":"a","reason":"expired"}`; got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
}
