package scopes_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// memOutbox is an outbox in memory, with the config store's semantics.
type memOutbox struct {
	mu    sync.Mutex
	next  int64
	rows  []*outboxRow
	reads int
}

type outboxRow struct {
	note      scopes.Notification
	claimed   time.Time
	delivered bool
	gaveUp    bool
	lastErr   string
}

func (o *memOutbox) EnqueueNotifications(_ context.Context, ns []scopes.Notification) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range ns {
		if slices.ContainsFunc(o.rows, func(r *outboxRow) bool { return r.note.Key == n.Key }) {
			continue // the key has its notification, as the config store's unique (app, scope, cfid) says
		}
		o.next++
		n.ID = o.next
		o.rows = append(o.rows, &outboxRow{note: n})
	}
	return nil
}

func (o *memOutbox) due(r *outboxRow, now time.Time) bool {
	return !r.delivered && !r.gaveUp && !r.note.NextAt.After(now) && r.claimed.Before(now)
}

func (o *memOutbox) DueNotifications(_ context.Context, now time.Time, limit int, except []string) ([]scopes.Notification, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reads++
	var out []scopes.Notification
	for _, r := range o.rows {
		if o.due(r, now) && !slices.Contains(except, r.note.Key.App) && len(out) < limit {
			out = append(out, r.note)
		}
	}
	return out, nil
}

func (o *memOutbox) row(id int64) *outboxRow {
	for _, r := range o.rows {
		if r.note.ID == id {
			return r
		}
	}
	return nil
}

func (o *memOutbox) ClaimNotification(_ context.Context, id int64, now, until time.Time) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.row(id)
	if r == nil || !o.due(r, now) {
		return false, nil
	}
	r.claimed = until
	return true, nil
}

func (o *memOutbox) NotificationDelivered(_ context.Context, id int64, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.row(id).delivered = true
	return nil
}

func (o *memOutbox) NotificationFailed(_ context.Context, id int64, attempts int, next time.Time, lastErr string, gaveUp bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.row(id)
	r.note.Attempts, r.note.NextAt, r.lastErr, r.gaveUp, r.claimed = attempts, next, lastErr, gaveUp, time.Time{}
	return nil
}

func (o *memOutbox) DeleteNotifications(context.Context, time.Time) (int64, error) { return 0, nil }

// state returns whether the notification of an app's cfid was delivered, and its last error.
func (o *memOutbox) state(app, cfid string) (bool, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rows {
		if r.note.Key.App == app && r.note.Key.CFID == cfid {
			return r.delivered, r.lastErr
		}
	}
	return false, "no such notification"
}

// hangingSender is two apps' receivers: the slow app's POSTs hang until the
// test releases them (or their context ends, as WebhookTimeout ends them);
// every other POST is accepted at once and reported on delivered.
type hangingSender struct {
	slowURL   string
	release   chan struct{}
	hanging   chan struct{} // closed when the first slow POST starts
	slowEnded chan struct{} // closed when a slow POST ended by its context
	delivered chan string
	once      sync.Once
}

func (s *hangingSender) Send(ctx context.Context, url string, _ []byte) error {
	if url != s.slowURL {
		s.delivered <- url
		return nil
	}
	s.once.Do(func() { close(s.hanging) })
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		close(s.slowEnded)
		return ctx.Err()
	}
}

func newHangingSender(slowURL string) *hangingSender {
	return &hangingSender{slowURL: slowURL, release: make(chan struct{}), hanging: make(chan struct{}),
		slowEnded: make(chan struct{}), delivered: make(chan string, 10)}
}

// One app's receiver that hangs does not delay another app's notification:
// it is delivered while the first app's POST still hangs.
func TestNotifier_HangingReceiverDelaysNoOtherApp(t *testing.T) {
	ctx := context.Background()
	outbox := &memOutbox{}
	sender := newHangingSender("https://slow.example/end")
	n := scopes.NewNotifier(outbox, sender, nil)
	now := time.Now()
	n.Now = func() time.Time { return now }
	note := func(app, cfid, url string, age time.Duration) scopes.Notification {
		return scopes.Notification{Key: scopes.Key{App: app, Kind: scopes.Session, CFID: cfid}, Reason: scopes.ReasonExpired,
			URL: url, Created: now.Add(-age), NextAt: now.Add(-age)}
	}
	// The slow app's are the oldest: a dispatcher that takes them in order,
	// one at a time, would wait out each before the fast app's.
	if err := outbox.EnqueueNotifications(ctx, []scopes.Notification{
		note("slow", "s1", "https://slow.example/end", 3*time.Minute),
		note("slow", "s2", "https://slow.example/end", 2*time.Minute),
		note("fast", "f1", "https://fast.example/end", time.Minute),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case url := <-sender.delivered:
		if url != "https://fast.example/end" {
			t.Fatalf("delivered to %s", url)
		}
	case <-sender.slowEnded:
		t.Fatal("the slow app's POST ran out its timeout before the other app's notification was delivered")
	}
	<-sender.hanging
	select {
	case <-sender.slowEnded:
		t.Fatal("the slow app's POST ended before the test released it")
	default:
	}
	// Another round while the slow app's worker still runs: nothing of
	// the slow app's is handed out twice.
	if handed, err := n.Dispatch(ctx); err != nil || handed != 0 {
		t.Fatalf("second Dispatch handed %d, %v; want 0 while the slow app's worker runs", handed, err)
	}
	close(sender.release)
	n.Wait()
	for _, k := range [][2]string{{"fast", "f1"}, {"slow", "s1"}, {"slow", "s2"}} {
		if ok, lastErr := outbox.state(k[0], k[1]); !ok {
			t.Errorf("%s %s not recorded delivered (%s)", k[0], k[1], lastErr)
		}
	}
}

// failingSender refuses every POST, as the webhook policy refuses an
// internal address.
type failingSender struct{ calls int }

func (s *failingSender) Send(context.Context, string, []byte) error {
	s.calls++
	return errors.New("refused: 127.0.0.1 is a loopback address")
}

// A refused delivery counts as failed: retried after its backoff with the
// reason kept, and the app's worker stops at the first failure rather than
// trying each of its notifications now.
func TestNotifier_RefusedDeliveryIsRetried(t *testing.T) {
	ctx := context.Background()
	outbox := &memOutbox{}
	sender := &failingSender{}
	n := scopes.NewNotifier(outbox, sender, nil)
	now := time.Now()
	n.Now = func() time.Time { return now }
	var ns []scopes.Notification
	for _, cfid := range []string{"a", "b"} {
		ns = append(ns, scopes.Notification{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: cfid}, Reason: scopes.ReasonInvalidated,
			URL: "https://127.0.0.1/end", Created: now, NextAt: now})
	}
	if err := outbox.EnqueueNotifications(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	n.Wait()
	if sender.calls != 1 {
		t.Fatalf("%d POSTs; want 1: the worker stops at the first failure", sender.calls)
	}
	if _, lastErr := outbox.state("shop", "a"); lastErr != "refused: 127.0.0.1 is a loopback address" {
		t.Fatalf("last error %q; want the refusal", lastErr)
	}
	due, _ := outbox.DueNotifications(ctx, now.Add(scopes.RetryFirst), 10, nil)
	if len(due) != 2 || due[0].Attempts+due[1].Attempts != 1 {
		t.Fatalf("due after the backoff: %+v; want both, one with an attempt", due)
	}
}
