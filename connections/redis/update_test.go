package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// A write by another writer between Update's read and its write makes it
// read again and call fn again with what that writer wrote.
func TestUpdateRetriesAfterAnotherWrite(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			rec := newRecord("shop", scopes.Session, now, `{"by":"first"}`)
			if err := s.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
			var seen []int64
			got, err := s.Update(ctx, rec.Key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
				seen = append(seen, cur.Version)
				if len(seen) == 1 {
					other := cur
					other.Version, other.Data = cur.Version+1, []byte(`{"by":"other"}`)
					if err := s.Save(ctx, other); err != nil {
						t.Error(err)
					}
				}
				cur.Version++
				cur.Data = []byte(`{"by":"update"}`)
				return cur, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != 2 || seen[0] != 1 || seen[1] != 2 {
				t.Errorf("fn saw versions %v, want [1 2]", seen)
			}
			if got.Version != 3 {
				t.Errorf("Update returned version %d, want 3", got.Version)
			}
			// A touch that keeps the version is a write too: whole values are compared.
			seen = nil
			if _, err := s.Update(ctx, rec.Key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
				seen = append(seen, cur.LastVisit.UnixMilli())
				if len(seen) == 1 {
					touched := cur
					touched.LastVisit = now.Add(time.Minute)
					if err := s.Save(ctx, touched); err != nil {
						t.Error(err)
					}
				}
				cur.Version++
				return cur, nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 2 || seen[1] != now.Add(time.Minute).UnixMilli() {
				t.Errorf("fn saw lastvisits %v: the touch between read and write was not noticed", seen)
			}
		})
	}
}

// A key created by another writer between Update's read (no record) and its
// write is not overwritten: fn runs again and finds it.
func TestUpdateDoesNotOverwriteConcurrentCreate(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			key := scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()}
			var founds []bool
			got, err := s.Update(ctx, key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
				founds = append(founds, found)
				if !found {
					other := newRecord("shop", scopes.Client, now, `{"n":1}`)
					other.Key = key
					if err := s.Save(ctx, other); err != nil {
						t.Error(err)
					}
					cur = newRecord("shop", scopes.Client, now, `{"n":100}`)
					return cur, nil
				}
				cur.Version++
				cur.Data = []byte(`{"n":2}`)
				return cur, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(founds) != 2 || founds[0] || !founds[1] {
				t.Errorf("fn saw found %v, want [false true]", founds)
			}
			if string(got.Data) != `{"n":2}` || got.Version != 2 {
				t.Errorf("Update returned version %d, data %s; want 2, {\"n\":2}", got.Version, got.Data)
			}
		})
	}
}

// A context that ends while Update keeps losing stops it with an error.
func TestUpdateStopsWithContext(t *testing.T) {
	p, _ := miniParams(t, "")
	s := MustOpen(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	now := time.Now()
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	calls := 0
	_, err := s.Update(ctx, key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
		calls++
		// Always beaten by another writer.
		other := newRecord("shop", scopes.Session, now, `{}`)
		other.Key, other.Version = key, int64(calls)
		if err := s.Save(context.Background(), other); err != nil {
			t.Error(err)
		}
		return newRecord("shop", scopes.Session, now, `{}`), nil
	})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("Update = %v after %d calls, want an error once the context ended", err, calls)
	}
}

// A value in another format (Lucee's Base64 Java serialization, say) is the
// ECorrupt error for that scope only; Update never hands it to fn; List skips
// it; Delete and Save replace it; DeleteExpired leaves it to its TTL.
func TestForeignValue(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			foreign := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			if err := s.client.Set(ctx, rawKey(s, foreign), "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==", time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			good := newRecord("shop", scopes.Session, now, `{"ok":true}`)
			if err := s.Save(ctx, good); err != nil {
				t.Fatal(err)
			}
			if err := s.index(ctx, "shop:session", foreign.CFID); err != nil {
				t.Fatal(err)
			}

			_, found, err := s.Load(ctx, foreign, now)
			if scopes.ErrorCode(err) != scopes.ECorrupt || found {
				t.Errorf("Load = found %v, %v; want the %s error", found, err, scopes.ECorrupt)
			}
			if msg := scopes.ErrorMessage(err); !strings.Contains(msg, foreign.CFID) {
				t.Errorf("message %q does not name the scope", msg)
			}
			if _, err := s.Update(ctx, foreign, now, func(cur scopes.Record, _ bool) (scopes.Record, error) {
				t.Error("Update called fn with a foreign value")
				return cur, nil
			}); scopes.ErrorCode(err) != scopes.ECorrupt {
				t.Errorf("Update: %v; want the %s error", err, scopes.ECorrupt)
			}
			list, err := s.List(ctx, "shop", scopes.Session, "", 10, now)
			if err != nil || len(list) != 1 || list[0].CFID != good.CFID {
				t.Errorf("List = %d records, %v; want the good one only", len(list), err)
			}
			if keys, err := s.DeleteExpired(ctx, now.Add(24*time.Hour), 10); err != nil || len(keys) != 1 {
				t.Errorf("DeleteExpired a day later = %d, %v; want 1 (the good scope, not the foreign value)", len(keys), err)
			}
			if found, err := s.Delete(ctx, foreign); err != nil || !found {
				t.Errorf("Delete = %v, %v", found, err)
			}
		})
	}
}
