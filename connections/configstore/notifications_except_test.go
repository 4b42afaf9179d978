package configstore

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// DueNotifications leaves out the apps it is told to, so that one app's
// backlog, which a worker is busy with, does not fill the read and hide
// the other apps' notifications.
func TestOutbox_DueExceptApps(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := &env{dsn: b.dsn(t), dir: t.TempDir()}
			e.s = e.open(t, testKey)
			var ns []scopes.Notification
			for i, app := range []string{"slow", "slow", "slow", "fast", "other"} {
				n := notification(string(rune('a'+i)), scopes.ReasonExpired, now.Add(time.Duration(i)*time.Second))
				n.Key.App = app
				ns = append(ns, n)
			}
			must(t, "enqueue", e.s.EnqueueNotifications(ctx, ns))
			at := now.Add(time.Minute)
			if due, err := e.s.DueNotifications(ctx, at, 2, nil); err != nil || len(due) != 2 || due[1].Key.App != "slow" {
				t.Fatalf("due = %+v, %v; want the slow app's two oldest", due, err)
			}
			due, err := e.s.DueNotifications(ctx, at, 2, []string{"slow"})
			if err != nil || len(due) != 2 || due[0].Key.App != "fast" || due[1].Key.App != "other" {
				t.Fatalf("due except slow = %+v, %v; want fast then other", due, err)
			}
			due, err = e.s.DueNotifications(ctx, at, 10, []string{"slow", "fast"})
			if err != nil || len(due) != 1 || due[0].Key.App != "other" {
				t.Fatalf("due except slow and fast = %+v, %v; want other", due, err)
			}
		})
	}
}
