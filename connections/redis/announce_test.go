package redis

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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
			mustCreateAnnounced(t, writer, rec, now)
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
			published := spyOn(t, writer)
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
			if lone {
				// The writer listens under both channels: a lone write is
				// not published because it is its own listener, not
				// because it listens to nothing.
				n, err := writer.client.PubSubNumSub(ctx, writer.channel(), writer.ownChannel()).Result()
				if err != nil || n[writer.channel()] != 1 || n[writer.ownChannel()] != 1 {
					t.Fatalf("NUMSUB = %v, %v; want the writer subscribed to both channels", n, err)
				}
			}

			now := time.Now()
			rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
			mustCreateAnnounced(t, writer, rec, now)
			expect("lone write", !lone)
			if _, err := writer.Delete(ctx, rec.Key); err != nil {
				t.Fatal(err)
			}
			expect("lone delete", !lone)

			// A delete from a store that does not watch (the CLI's, the
			// console's) reaches the one instance that does.
			rec = newRecord("shop", scopes.Session, now, `{"n":3}`)
			mustCreateAnnounced(t, writer, rec, now)
			expect("lone write", !lone)
			if _, err := MustOpen(t, params).Delete(ctx, rec.Key); err != nil {
				t.Fatal(err)
			}
			expect("delete by a store that does not watch", true)

			MustOpen(t, params).Watch(func(scopes.Key) {})
			rec = newRecord("shop", scopes.Session, now, `{"n":2}`)
			mustCreateAnnounced(t, writer, rec, now)
			expect("write with another instance watching", true)
			if _, err := writer.Delete(ctx, rec.Key); err != nil {
				t.Fatal(err)
			}
			expect("delete with another instance watching", true)
		})
	}
}

// spyOn listens to s's announcements by pattern, which NUMSUB does not
// count, and returns what is published.
func spyOn(t *testing.T, s *Store) <-chan *goredis.Message {
	t.Helper()
	spy := s.client.PSubscribe(context.Background(), globQuote(s.channel()))
	t.Cleanup(func() { _ = spy.Close() })
	if _, err := spy.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	return spy.Channel()
}

// mustCreateAnnounced creates rec through s, announced.
func mustCreateAnnounced(t *testing.T, s *Store, rec scopes.Record, now time.Time) {
	t.Helper()
	if res, err := s.WriteAnnounced(context.Background(), rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
		t.Fatalf("WriteAnnounced = %+v, %v", res, err)
	}
}

// globQuote escapes the characters that PSUBSCRIBE's patterns give a meaning.
func globQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// A Redis user allowed the shared channel but not the instance's own gets
// the shared one alone, and then every write is published, as before there
// was an own channel: a refused SUBSCRIBE would have left the instance deaf.
func TestWatchWithoutPermissionForTheOwnChannel(t *testing.T) {
	ctx := context.Background()
	params := realParams(t)
	admin := MustOpen(t, params)
	user, password := "scopestore-test-"+scopes.NewRev(), scopes.NewRev()
	err := admin.client.Do(ctx, "ACL", "SETUSER", user, "on", ">"+password, "resetchannels", "&"+admin.channel(), "~"+params["prefix"]+"*", "+@all").Err()
	if err != nil {
		t.Skipf("this Redis has no ACL (Redis 6 or later has): %v", err)
	}
	t.Cleanup(func() { _ = admin.client.Do(context.Background(), "ACL", "DELUSER", user).Err() })
	u, err := url.Parse(params["url"])
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	limited := MustOpen(t, map[string]string{"url": u.String(), "prefix": params["prefix"]})
	limited.Watch(func(scopes.Key) {})
	n, err := admin.client.PubSubNumSub(ctx, limited.channel(), limited.ownChannel()).Result()
	if err != nil || n[limited.channel()] != 1 || n[limited.ownChannel()] != 0 {
		t.Fatalf("NUMSUB = %v, %v; want the limited user subscribed to the shared channel only", n, err)
	}

	published := spyOn(t, admin)
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
	mustCreateAnnounced(t, limited, rec, now)
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Error("the write of an instance without its own channel was not published")
	}
}
