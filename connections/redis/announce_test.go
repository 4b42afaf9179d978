package redis

import (
	"context"
	"strings"
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

// A write or delete that no other instance listens for is not published:
// Redis would only send it back to the writer, which drops it. A listener
// by pattern, which NUMSUB does not count, sees what is published. Once a
// second instance watches, both are. In Cluster mode, where NUMSUB counts
// one node's subscribers, every write is.
func TestAnnouncementsOnlyWhenAnotherInstanceListens(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			params := b.params(t)
			writer := MustOpen(t, params)
			writer.Watch(func(scopes.Key) {})
			spy := writer.client.PSubscribe(ctx, globQuote(writer.channel()))
			t.Cleanup(func() { _ = spy.Close() })
			if _, err := spy.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			published := spy.Channel()
			// published waits for one message when want is true, and makes
			// sure that none comes within a moment when it is false.
			expect := func(what string, want bool) {
				t.Helper()
				wait := 200 * time.Millisecond
				if want {
					wait = 5 * time.Second
				}
				select {
				case m := <-published:
					if !want {
						t.Errorf("the %s was published (%q) while no other instance listened", what, m.Payload)
					}
				case <-time.After(wait):
					if want {
						t.Errorf("the %s was not published within %s", what, wait)
					}
				}
			}
			lone := !writer.cluster

			now := time.Now()
			rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
			if res, err := writer.WriteAnnounced(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("WriteAnnounced = %+v, %v", res, err)
			}
			expect("lone write", !lone)
			if _, err := writer.Delete(ctx, rec.Key); err != nil {
				t.Fatal(err)
			}
			expect("lone delete", !lone)

			MustOpen(t, params).Watch(func(scopes.Key) {})
			rec = newRecord("shop", scopes.Session, now, `{"n":2}`)
			if res, err := writer.WriteAnnounced(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("WriteAnnounced = %+v, %v", res, err)
			}
			expect("write with another instance watching", true)
			if _, err := writer.Delete(ctx, rec.Key); err != nil {
				t.Fatal(err)
			}
			expect("delete with another instance watching", true)
		})
	}
}

// globQuote escapes the characters that PSUBSCRIBE's patterns give a meaning.
func globQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}
