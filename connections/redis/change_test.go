package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Change visits and saves a stored scope in place, in one script.
func TestChangeInPlace(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			now := time.Now()
			rec := save(t, s, newRecord("shop", scopes.Client, now, `{"n":1}`))
			later := now.Add(time.Minute)

			visit := scopes.Change{Rev: scopes.NewRev(), LastVisit: later, Expires: later.Add(time.Hour), Hit: true}
			for i := range 2 { // the second is the same change sent again
				got, found, ok, err := s.Change(ctx, rec.Key, visit, later)
				if err != nil || !found || !ok {
					t.Fatalf("visit #%d = %v, %v, %v", i+1, found, ok, err)
				}
				if got.HitCount != 1 || got.Version != 1 || got.LastVisit.UnixMilli() != later.UnixMilli() || got.Rev != visit.Rev || string(got.Data) != `{"n":1}` {
					t.Errorf("visit #%d: %+v; want one hit, version 1, the visit's lastvisit and rev", i+1, got)
				}
			}

			put := scopes.Change{Rev: scopes.NewRev(), Data: []byte(`{"n":2}`), IfVersion: 1, LastVisit: later, Expires: later.Add(time.Hour)}
			got, found, ok, err := s.Change(ctx, rec.Key, put, later)
			if err != nil || !found || !ok || got.Version != 2 || string(got.Data) != `{"n":2}` {
				t.Fatalf("save in place = %+v, %v, %v, %v", got, found, ok, err)
			}
			stale := scopes.Change{Rev: scopes.NewRev(), Data: []byte(`{"n":3}`), IfVersion: 1, LastVisit: later, Expires: later.Add(time.Hour)}
			if got, found, ok, err := s.Change(ctx, rec.Key, stale, later); err != nil || !found || ok || got.Version != 2 {
				t.Errorf("save of a stale version = %+v, %v, %v, %v; want not applied, the stored version 2", got, found, ok, err)
			}
			loaded, _, _ := s.Load(ctx, rec.Key, later)
			if string(loaded.Data) != `{"n":2}` || loaded.HitCount != 1 {
				t.Errorf("stored %s with %d hits; want {\"n\":2} and 1", loaded.Data, loaded.HitCount)
			}

			missing := newRecord("shop", scopes.Client, now, `{}`)
			if _, found, _, err := s.Change(ctx, missing.Key, scopes.Change{Rev: scopes.NewRev(), LastVisit: later, Expires: later}, later); err != nil || found {
				t.Errorf("change of a missing scope = found %v, %v", found, err)
			}
			// A value in another form is left to a read and a write.
			if err := s.client.Set(ctx, rawKey(s, missing.Key), `{"v":1,"cftoken":"0","timecreated":1,"lastvisit":1,"hitcount":0,"expires":99999999999999,"version":1,"data":{}}`, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := s.Change(ctx, missing.Key, scopes.Change{Rev: scopes.NewRev(), LastVisit: later, Expires: later}, later); !errors.Is(err, scopes.ErrUnchangeable) {
				t.Errorf("change of a value without rev: %v; want ErrUnchangeable", err)
			}
		})
	}
}
