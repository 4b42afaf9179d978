package redis

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// A write announced by one instance, and a delete, reach another that
// watches, on every kind of server (in Cluster mode a PUBLISH in a script
// reaches the subscribers of every node).
func TestAnnouncementsReachOtherInstances(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			params := b.params(t)
			writer, watcher := MustOpen(t, params), MustOpen(t, params)
			got := make(chan scopes.Key, 10)
			watcher.Watch(func(k scopes.Key) { got <- k })
			own := make(chan scopes.Key, 10)
			writer.Watch(func(k scopes.Key) { own <- k })

			now := time.Now()
			rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
			if res, err := writer.WriteAnnounced(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("WriteAnnounced = %+v, %v", res, err)
			}
			if _, err := writer.Delete(ctx, rec.Key); err != nil {
				t.Fatal(err)
			}
			for _, what := range []string{"write", "delete"} {
				select {
				case k := <-got:
					if k != rec.Key {
						t.Errorf("the %s announced %v, want %v", what, k, rec.Key)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("the %s was not announced to the other instance within 5s", what)
				}
			}
			select {
			case k := <-own:
				t.Errorf("the writer was told of its own write of %v", k)
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}
