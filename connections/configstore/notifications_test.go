package configstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func notification(cfid, reason string, at time.Time) scopes.Notification {
	return scopes.Notification{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: cfid}, Reason: reason,
		URL: "https://shop.example/ended", Created: at, NextAt: at}
}

// The outbox on every dialect: a scope is queued once; of two instances that
// claim a notification together exactly one wins; a claim hides it until
// its lease ends; failures wait for their retry; delivered and given-up
// notifications are never due again and are pruned.
func TestOutbox(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := &env{dsn: b.dsn(t), dir: t.TempDir()}
			e.s = e.open(t, testKey)
			other := e.open(t, testKey) // a second instance on the same database

			must(t, "enqueue", e.s.EnqueueNotifications(ctx, []scopes.Notification{
				notification("a", scopes.ReasonInvalidated, now),
				notification("b", scopes.ReasonExpired, now.Add(time.Second)),
			}))
			// The same scope's end reported again, by the other instance: ignored.
			must(t, "enqueue again", other.EnqueueNotifications(ctx, []scopes.Notification{
				notification("a", scopes.ReasonExpired, now),
			}))
			due, err := e.s.DueNotifications(ctx, now.Add(time.Second), 10, nil)
			must(t, "due", err)
			if len(due) != 2 || due[0].Key.CFID != "a" || due[0].Reason != scopes.ReasonInvalidated || due[1].Key.CFID != "b" {
				t.Fatalf("due = %+v; want a (invalidated) then b", due)
			}
			if got := due[0]; got.URL != "https://shop.example/ended" || !got.Created.Equal(dbTime(now)) || got.Attempts != 0 {
				t.Errorf("due[0] = %+v", got)
			}
			if due, _ := e.s.DueNotifications(ctx, now, 10, nil); len(due) != 1 {
				t.Errorf("due before b's time = %d, want 1", len(due))
			}

			// Two instances, several claimers each, all at once: one winner per row.
			at := now.Add(2 * time.Second)
			for _, n := range due {
				var wins atomic.Int32
				var wg sync.WaitGroup
				for i := range 8 {
					s := []*Store{e.s, other}[i%2]
					wg.Go(func() {
						ok, err := s.ClaimNotification(ctx, n.ID, at, at.Add(scopes.ClaimLease))
						if err != nil {
							t.Error(err)
						}
						if ok {
							wins.Add(1)
						}
					})
				}
				wg.Wait()
				if w := wins.Load(); w != 1 {
					t.Errorf("notification %s claimed %d times, want once", n.Key.CFID, w)
				}
			}
			if due, _ := other.DueNotifications(ctx, at.Add(scopes.ClaimLease-time.Second), 10, nil); len(due) != 0 {
				t.Errorf("claimed notifications due within their lease: %+v", due)
			}
			// A claim that lapsed (its instance died) can be taken again.
			lapsed := at.Add(scopes.ClaimLease + time.Second)
			if due, _ := other.DueNotifications(ctx, lapsed, 10, nil); len(due) != 2 {
				t.Fatalf("due after the lease = %d, want 2", len(due))
			}
			ok, err := other.ClaimNotification(ctx, due[0].ID, lapsed, lapsed.Add(scopes.ClaimLease))
			if err != nil || !ok {
				t.Fatalf("claim after the lease = %v, %v", ok, err)
			}

			// a is delivered; b fails once, then is given up.
			must(t, "delivered", other.NotificationDelivered(ctx, due[0].ID, lapsed))
			if ok, _ := e.s.ClaimNotification(ctx, due[0].ID, lapsed.Add(time.Hour), lapsed.Add(2*time.Hour)); ok {
				t.Error("a delivered notification was claimed")
			}
			retry := lapsed.Add(scopes.RetryDelay(1))
			must(t, "failed", e.s.NotificationFailed(ctx, due[1].ID, 1, retry, "503 Service Unavailable", false))
			if due, _ := e.s.DueNotifications(ctx, retry.Add(-time.Millisecond), 10, nil); len(due) != 0 {
				t.Errorf("due before the retry: %+v", due)
			}
			due, err = e.s.DueNotifications(ctx, retry, 10, nil)
			must(t, "due at retry", err)
			if len(due) != 1 || due[0].Key.CFID != "b" || due[0].Attempts != 1 {
				t.Fatalf("due at the retry = %+v; want b after 1 attempt", due)
			}
			must(t, "gave up", e.s.NotificationFailed(ctx, due[0].ID, 2, retry.Add(time.Hour), "timeout", true))
			if due, _ := e.s.DueNotifications(ctx, retry.Add(48*time.Hour), 10, nil); len(due) != 0 {
				t.Errorf("due after delivery and giving up: %+v", due)
			}

			// Pruning keeps the recent rows, whose keys still deduplicate.
			if n, err := e.s.DeleteNotifications(ctx, now); err != nil || n != 0 {
				t.Errorf("DeleteNotifications(before they were created) = %d, %v; want 0", n, err)
			}
			if n, err := e.s.DeleteNotifications(ctx, now.Add(time.Hour)); err != nil || n != 2 {
				t.Errorf("DeleteNotifications = %d, %v; want 2", n, err)
			}
			must(t, "enqueue after pruning", e.s.EnqueueNotifications(ctx, []scopes.Notification{
				notification("a", scopes.ReasonExpired, now.Add(time.Hour)),
			}))
			if due, _ := e.s.DueNotifications(ctx, now.Add(time.Hour), 10, nil); len(due) != 1 {
				t.Errorf("due after pruning and enqueueing again = %d, want 1", len(due))
			}
		})
	}
}
