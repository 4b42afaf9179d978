package configstore

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// A rotated session's old cfid keeps its one notification, rotated and
// naming the new cfid, on every dialect: its expiry at the end of the
// grace, reported by any instance before or after the delivery, is
// ignored for as long as KeepNotifications keeps the row.
func TestOutbox_RotatedIsTheOldCFIDsOnlyNotification(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := &env{dsn: b.dsn(t), dir: t.TempDir()}
			e.s = e.open(t, testKey)
			other := e.open(t, testKey) // the instance whose cleaner finds the old cfid expired

			rotated := notification("old", scopes.ReasonRotated, now)
			rotated.RotatedTo = "new"
			must(t, "enqueue the rotation", e.s.EnqueueNotifications(ctx, []scopes.Notification{rotated,
				notification("ended", scopes.ReasonInvalidated, now)}))
			graceEnd := now.Add(scopes.DefaultRotateGrace + time.Second)
			must(t, "enqueue the expiry", other.EnqueueNotifications(ctx, []scopes.Notification{
				notification("old", scopes.ReasonExpired, graceEnd)}))
			due, err := other.DueNotifications(ctx, graceEnd, 10, nil)
			must(t, "due", err)
			if len(due) != 2 || due[0].Key.CFID != "old" || due[0].Reason != scopes.ReasonRotated || due[0].RotatedTo != "new" ||
				due[1].Key.CFID != "ended" || due[1].RotatedTo != "" {
				t.Fatalf("due = %+v; want old (rotated to new), then ended (no rotatedTo)", due)
			}

			// Delivered, the row stays: a later report is still ignored.
			must(t, "delivered", e.s.NotificationDelivered(ctx, due[0].ID, graceEnd))
			later := now.Add(time.Hour)
			must(t, "enqueue the expiry again", other.EnqueueNotifications(ctx, []scopes.Notification{
				notification("old", scopes.ReasonExpired, later)}))
			if n, err := e.s.DeleteNotifications(ctx, later.Add(-scopes.KeepNotifications)); err != nil || n != 0 {
				t.Fatalf("pruned %d, %v within KeepNotifications; want 0", n, err)
			}
			due, err = e.s.DueNotifications(ctx, later, 10, nil)
			must(t, "due later", err)
			if len(due) != 1 || due[0].Key.CFID != "ended" {
				t.Fatalf("due after the delivery = %+v; want only ended: the old cfid's expiry is not notified", due)
			}
			// Pruned once KeepNotifications has passed, the delivered row goes;
			// the undelivered one stays.
			if n, err := e.s.DeleteNotifications(ctx, now.Add(time.Second)); err != nil || n != 1 {
				t.Fatalf("pruned %d, %v past KeepNotifications; want the delivered rotation", n, err)
			}
		})
	}
}
