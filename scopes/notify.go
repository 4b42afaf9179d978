package scopes

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Why a scope ended, or moved, as a Notification says it.
const (
	ReasonInvalidated = "invalidated" // Delete or InvalidateAll: the app, the CLI or an operator ended it
	ReasonExpired     = "expired"     // its idle timeout passed and a cleaner or Redis removed it
	// ReasonRotated: Rotate moved the session to a new cfid (RotatedTo), so it
	// did not end; the old cfid's expiry at the grace's end is not notified,
	// the outbox keeping one notification per key.
	ReasonRotated = "rotated"
)

// Delivery of end-of-scope notifications.
const (
	// ClaimLease is how long an instance that claimed a notification has to
	// deliver it before another instance may claim it again. It is well over
	// WebhookTimeout, so that a claim never lapses while its POST is in
	// flight and two instances do not both deliver.
	ClaimLease = 30 * time.Second
	// WebhookTimeout bounds one POST to a webhook.
	WebhookTimeout = 5 * time.Second
	// RetryFirst is the wait after the first failed delivery; it doubles
	// with each failure up to RetryMax.
	RetryFirst = 5 * time.Second
	// RetryMax bounds the wait between two deliveries.
	RetryMax = time.Hour
	// GiveUpAfter is how long after the scope ended delivery stops being
	// tried; the notification is then logged as given up.
	GiveUpAfter = 24 * time.Hour
	// KeepNotifications is how long delivered and given-up notifications
	// stay in the outbox; while one stays, another report of the same
	// scope's end is ignored (see Outbox.EnqueueNotifications).
	KeepNotifications = 7 * 24 * time.Hour
	// DefaultWebhookWorkers is how many apps' notifications an instance
	// delivers at once, by default: each app has one worker, so that a
	// receiver that hangs delays only its own app's notifications.
	DefaultWebhookWorkers = 16
	// dispatchBatch is how many due notifications one read of the outbox
	// returns.
	dispatchBatch = 100
)

// Notification is one ended (or rotated) scope to tell its app about, as
// the outbox keeps it.
type Notification struct {
	ID     int64
	Key    Key
	Reason string
	// RotatedTo is the new cfid of a session moved by Rotate (ReasonRotated);
	// empty for the other reasons.
	RotatedTo string
	URL       string
	Created   time.Time
	// Attempts counts the failed deliveries so far.
	Attempts int
	NextAt   time.Time
}

// notificationBody is what a webhook receives.
type notificationBody struct {
	App       string `json:"app"`
	Scope     Kind   `json:"scope"`
	CFID      string `json:"cfid"`
	Reason    string `json:"reason"`
	RotatedTo string `json:"rotatedTo,omitempty"`
}

// Body returns the JSON that the webhook receives:
// {"app":…,"scope":"session"|"client","cfid":…,"reason":"invalidated"|"expired"|"rotated"},
// with "rotatedTo":<new cfid> when the reason is "rotated".
func (n Notification) Body() []byte {
	b, _ := json.Marshal(notificationBody{App: n.Key.App, Scope: n.Key.Kind, CFID: n.Key.CFID, Reason: n.Reason,
		RotatedTo: n.RotatedTo})
	return b
}

// Outbox keeps end-of-scope notifications until they are delivered, shared
// by every instance (the config store). Each ended scope is one row; the
// instance whose ClaimNotification wins delivers it.
type Outbox interface {
	// EnqueueNotifications adds notifications to deliver at their NextAt.
	// One whose key already has a notification is ignored, so that a scope
	// that ends is notified once however many instances report it.
	EnqueueNotifications(ctx context.Context, ns []Notification) error
	// DueNotifications returns up to limit undelivered notifications due at
	// now and not claimed at now, oldest due first, except those of the
	// apps named in except (whose notifications a worker is delivering).
	DueNotifications(ctx context.Context, now time.Time, limit int, except []string) ([]Notification, error)
	// ClaimNotification claims a due notification until the time until;
	// ok is false when another instance holds a claim on it at now, or it
	// has been delivered or given up meanwhile. One claimer wins.
	ClaimNotification(ctx context.Context, id int64, now, until time.Time) (ok bool, err error)
	// NotificationDelivered marks a notification delivered at at.
	NotificationDelivered(ctx context.Context, id int64, at time.Time) error
	// NotificationFailed records a failed delivery: the attempts so far, the
	// error, and either the time of the next attempt or, when gaveUp, that
	// there will be none.
	NotificationFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, gaveUp bool) error
	// DeleteNotifications deletes the delivered and given-up notifications
	// created before before, and returns how many.
	DeleteNotifications(ctx context.Context, before time.Time) (int64, error)
}

// Sender POSTs a notification's body to a webhook; an error, or an answer
// other than 2xx, is a failed delivery. It does the I/O that scopes leaves
// to cmd.
type Sender interface {
	Send(ctx context.Context, url string, body []byte) error
}

// Notifier turns scopes that end, and sessions rotated away from a cfid,
// into notifications in the outbox, for the apps that set a scopeEndWebhook,
// and delivers them: at least once, from one instance at a time, each app's
// by its own worker. Set it as an Engine's Ends.
type Notifier struct {
	outbox Outbox
	sender Sender
	// settings returns an app's effective settings, for the scopes the
	// cleaner finds expired, of which it knows only the keys.
	settings func(ctx context.Context, app string) (Settings, error)
	// Now returns the current time; tests replace it to move time forward.
	Now    func() time.Time
	Logger *slog.Logger
	// Workers bounds how many apps' notifications are delivered at once;
	// each app has at most one delivery in flight.
	Workers int

	mu   sync.Mutex
	idle *sync.Cond      // signalled when a worker ends
	busy map[string]bool // the apps whose worker runs
}

// NewNotifier returns a Notifier that keeps notifications in outbox, sends
// them with sender, and reads apps' webhooks from directory.
func NewNotifier(outbox Outbox, sender Sender, directory *Directory) *Notifier {
	return &Notifier{
		outbox: outbox,
		sender: sender,
		settings: func(ctx context.Context, app string) (Settings, error) {
			eff, err := directory.Effective(ctx, app)
			return eff.Settings, err
		},
		Now:     time.Now,
		Logger:  slog.Default(),
		Workers: DefaultWebhookWorkers,
	}
}

// Invalidated enqueues the notification of a scope that was deleted, when
// its app's settings set has a webhook. A failure is logged, not returned:
// the scope is gone whatever happens here.
func (n *Notifier) Invalidated(ctx context.Context, set Settings, key Key) {
	if set.EndWebhook == "" {
		return
	}
	n.enqueue(ctx, []Notification{n.notification(key, ReasonInvalidated, set.EndWebhook)})
}

// Rotated enqueues the notification that a session moved from key to the
// cfid to, when its app's settings set has a webhook, so that the old cfid's
// expiry at the grace's end, then ignored as the key has its notification,
// is not taken for the session's end; a failure is logged, not returned.
func (n *Notifier) Rotated(ctx context.Context, set Settings, key Key, to string) {
	if set.EndWebhook == "" {
		return
	}
	note := n.notification(key, ReasonRotated, set.EndWebhook)
	note.RotatedTo = to
	n.enqueue(ctx, []Notification{note})
}

// Expired enqueues the notifications of scopes that a storage deleted as
// expired, for the apps that have a webhook. A failure is logged, not
// returned.
func (n *Notifier) Expired(ctx context.Context, keys []Key) {
	if len(keys) == 0 {
		return
	}
	webhooks := map[string]string{}
	var ns []Notification
	for _, key := range keys {
		url, seen := webhooks[key.App]
		if !seen {
			set, err := n.settings(ctx, key.App)
			switch {
			case ErrorCode(err) == ENotFound:
				// The app was deleted: nobody to notify.
			case err != nil:
				n.Logger.Error("end-of-scope notifications lost: cannot read the app's settings",
					"app", key.App, "err", err)
			default:
				url = set.EndWebhook
			}
			webhooks[key.App] = url
		}
		if url != "" {
			ns = append(ns, n.notification(key, ReasonExpired, url))
		}
	}
	n.enqueue(ctx, ns)
}

func (n *Notifier) notification(key Key, reason, url string) Notification {
	now := n.Now()
	return Notification{Key: key, Reason: reason, URL: url, Created: now, NextAt: now}
}

func (n *Notifier) enqueue(ctx context.Context, ns []Notification) {
	if len(ns) == 0 {
		return
	}
	// The scopes have ended already: a request that goes away now must not
	// take their notifications with it.
	ctx = context.WithoutCancel(ctx)
	if err := n.outbox.EnqueueNotifications(ctx, ns); err != nil {
		n.Logger.Error("end-of-scope notifications lost: cannot write them to the config store",
			"count", len(ns), "app", ns[0].Key.App, "err", err)
	}
}

// Dispatch hands the notifications due now that no other instance has
// claimed to workers, one per app, at most Workers at once, and returns how
// many it handed over. The workers deliver them after Dispatch returns,
// until ctx ends; Wait waits for them. An app whose worker still runs (its
// receiver is slow, or hangs until WebhookTimeout) gets no second one, and
// its notifications are left out of the reads, so that it delays no other
// app. Run it every few seconds on every instance: the claim makes each
// notification go out from one of them.
func (n *Notifier) Dispatch(ctx context.Context) (int, error) {
	handed := 0
	seen := map[string]bool{}
	for ctx.Err() == nil {
		n.mu.Lock()
		n.init()
		free := n.workers() - len(n.busy)
		except := make([]string, 0, len(n.busy)+len(seen))
		for app := range n.busy {
			except = append(except, app)
		}
		for app := range seen {
			if !n.busy[app] {
				except = append(except, app)
			}
		}
		n.mu.Unlock()
		if free <= 0 {
			return handed, nil
		}
		due, err := n.outbox.DueNotifications(ctx, n.Now(), dispatchBatch, except)
		if err != nil {
			return handed, err
		}
		var apps []string
		byApp := map[string][]Notification{}
		for _, note := range due {
			if byApp[note.Key.App] == nil {
				apps = append(apps, note.Key.App)
			}
			byApp[note.Key.App] = append(byApp[note.Key.App], note)
		}
		started := 0
		for _, app := range apps {
			seen[app] = true
			if !n.start(ctx, app, byApp[app]) {
				break
			}
			started++
			handed += len(byApp[app])
		}
		// A full read may leave other apps' notifications unread behind
		// these apps': read again without them.
		if len(due) < dispatchBatch || started < len(apps) || started == 0 {
			return handed, ctx.Err()
		}
	}
	return handed, ctx.Err()
}

// init makes the worker bookkeeping; n.mu is held.
func (n *Notifier) init() {
	if n.busy == nil {
		n.busy = map[string]bool{}
		n.idle = sync.NewCond(&n.mu)
	}
}

// workers is Workers, or its default when unset.
func (n *Notifier) workers() int {
	if n.Workers <= 0 {
		return DefaultWebhookWorkers
	}
	return n.Workers
}

// start runs a worker for app's notes unless app has one or Workers run;
// it tells whether it did.
func (n *Notifier) start(ctx context.Context, app string, notes []Notification) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.init()
	if ctx.Err() != nil || n.busy[app] || len(n.busy) >= n.workers() {
		return false
	}
	n.busy[app] = true
	go n.work(ctx, app, notes)
	return true
}

// work delivers one app's notes in order. After a failed delivery it stops:
// the receiver is likely down, and the rest wait for the next Dispatch
// rather than each waiting out WebhookTimeout now.
func (n *Notifier) work(ctx context.Context, app string, notes []Notification) {
	defer func() {
		n.mu.Lock()
		delete(n.busy, app)
		n.idle.Broadcast()
		n.mu.Unlock()
	}()
	delivered := 0
	for _, note := range notes {
		if ctx.Err() != nil {
			return
		}
		// Each claim is taken just before its POST, so that the lease
		// covers one WebhookTimeout, however many are due.
		now := n.Now()
		ok, err := n.outbox.ClaimNotification(ctx, note.ID, now, now.Add(ClaimLease))
		if err != nil {
			if ctx.Err() == nil {
				n.Logger.Error("cannot claim an end-of-scope notification; it will be tried again", "app", app, "err", err)
			}
			return
		}
		if !ok {
			continue
		}
		if !n.deliver(ctx, note) {
			return
		}
		delivered++
	}
	if delivered > 0 {
		n.Logger.Debug("end-of-scope notifications delivered", "app", app, "delivered", delivered)
	}
}

// Wait waits until the workers that Dispatch started have ended.
func (n *Notifier) Wait() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.init()
	for len(n.busy) > 0 {
		n.idle.Wait()
	}
}

// deliver sends one claimed notification and records the outcome.
func (n *Notifier) deliver(ctx context.Context, note Notification) bool {
	sendCtx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	sendErr := n.sender.Send(sendCtx, note.URL, note.Body())
	cancel()
	now := n.Now()
	if sendErr == nil {
		if err := n.outbox.NotificationDelivered(ctx, note.ID, now); err != nil {
			// It will be sent again once the claim lapses: at least once.
			n.Logger.Error("webhook delivered but not recorded; it will be sent again", "id", note.ID, "err", err)
		}
		return true
	}
	attempts := note.Attempts + 1
	gaveUp := now.Sub(note.Created) >= GiveUpAfter
	next := now.Add(RetryDelay(attempts))
	if gaveUp {
		n.Logger.Error("end-of-scope webhook given up", "app", note.Key.App, "scope", note.Key.Kind, "cfid", note.Key.CFID,
			"reason", note.Reason, "url", note.URL, "attempts", attempts, "err", sendErr)
	} else {
		n.Logger.Warn("end-of-scope webhook failed; will retry", "app", note.Key.App, "url", note.URL,
			"attempts", attempts, "retry_at", next, "err", sendErr)
	}
	if err := n.outbox.NotificationFailed(ctx, note.ID, attempts, next, sendErr.Error(), gaveUp); err != nil {
		n.Logger.Error("cannot record a failed webhook delivery", "id", note.ID, "err", err)
	}
	return false
}

// Prune deletes the delivered and given-up notifications older than
// KeepNotifications.
func (n *Notifier) Prune(ctx context.Context) (int64, error) {
	return n.outbox.DeleteNotifications(ctx, n.Now().Add(-KeepNotifications))
}

// RetryDelay is the wait after the attempts-th failed delivery: RetryFirst,
// doubled for each failure after the first, at most RetryMax.
func RetryDelay(attempts int) time.Duration {
	d := RetryFirst
	for i := 1; i < attempts && d < RetryMax; i++ {
		d *= 2
	}
	return min(d, RetryMax)
}

// CanonicalWebhook checks a webhook URL: empty (no webhook), or an absolute
// http or https URL with a host and no fragment. It returns it trimmed.
func CanonicalWebhook(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", Errorf(EInvalidSettings, "%q is not a URL", s)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", Errorf(EInvalidSettings, "%q is not an http or https URL", s)
	case u.Host == "":
		return "", Errorf(EInvalidSettings, "%q names no host", s)
	case u.User != nil:
		// The settings are shown back by GET settings, the CLI and the admin.
		return "", Errorf(EInvalidSettings, "the URL has a user or password in it, which the settings would show back")
	case u.Fragment != "":
		return "", Errorf(EInvalidSettings, "%q has a #fragment, which is never sent", s)
	case len(s) > 2048:
		return "", Errorf(EInvalidSettings, "the URL is longer than 2048 characters")
	}
	return s, nil
}
