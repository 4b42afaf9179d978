package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Headers of the lock and fence calls.
const (
	lockTokenHeader = "Lock-Token"
	ifFenceHeader   = "If-Fence"
)

// Types of named locks.
const (
	// LockExclusive has one holder at a time (the default).
	LockExclusive = "exclusive"
	// LockReadOnly has any number of holders at once, none while an
	// exclusive one holds the lock.
	LockReadOnly = "readonly"
)

// NoWait as LockOptions.Timeout tries to take the lock once, without waiting.
const NoWait time.Duration = -1

// LockOptions says how to take a named lock; the zero value takes an
// exclusive lock, waits up to the server's 5 s, and holds it for its 30 s.
type LockOptions struct {
	// Type is LockExclusive ("" means it) or LockReadOnly.
	Type string
	// Timeout is how long to wait while others hold the lock (at most
	// 30 s; 0 is the server's 5 s, NoWait tries once); then ErrLocked.
	Timeout time.Duration
	// Lease is how long the lock is held unless renewed or released (1 s
	// to 10 min; 0 is the server's 30 s): a holder that vanishes loses it
	// then.
	Lease time.Duration
}

// Lock is a named lock held (cflock across instances): release it with
// Release, extend it with Renew.
type Lock struct {
	c *Client
	// Name is the lock's name, per app.
	Name string `json:"name"`
	// Type is LockExclusive or LockReadOnly.
	Type string `json:"type"`
	// Token proves the holding, to renew or release it.
	Token string `json:"token"`
	// Fence grows with every lock taken of this name: write under it with
	// Cond.IfFence or Patch.IfFence, so that a holder whose lease ran out
	// cannot overwrite what a later holder wrote.
	Fence int64 `json:"fence"`
	// Expires is when the lease ends unless renewed.
	Expires time.Time `json:"expires"`
}

// lockPath is the path of the app's lock name, escaped as net/url escapes a
// path by default: scopestore's router takes a path escaped otherwise as it
// is, so that url.PathEscape's "%3A" would name a lock "x%3Ay", not "x:y".
func lockPath(name string) string { return "/locks/" + (&url.URL{Path: name}).EscapedPath() }

// lockDuration is a duration as the lock API reads it ("250ms", "1m30s").
func lockDuration(d time.Duration) string { return d.String() }

// Lock takes the app's named lock, waiting up to o.Timeout while others
// hold it: ErrLocked when it stayed held. Names are 1 to 200 characters
// without a slash; "session:{cfid}" is the lock of one session.
func (c *Client) Lock(ctx context.Context, name string, o LockOptions) (*Lock, error) {
	if name == "" || strings.Contains(name, "/") {
		return nil, &Error{Code: CodeInvalid, Message: fmt.Sprintf("lock name %q: use 1 to 200 characters without a slash", name)}
	}
	if o.Type == "" {
		o.Type = LockExclusive // the API requires a type
	}
	body := map[string]string{"type": o.Type}
	switch {
	case o.Timeout < 0:
		body["timeout"] = "0s"
	case o.Timeout > 0:
		body["timeout"] = lockDuration(o.Timeout)
	}
	if o.Lease > 0 {
		body["lease"] = lockDuration(o.Lease)
	}
	l := &Lock{c: c}
	err := c.doJSON(ctx, call{method: http.MethodPost, path: lockPath(name), body: body, want: []int{http.StatusCreated}}, l)
	if err != nil {
		return nil, err
	}
	if l.Type == "" {
		l.Type = o.Type
	}
	return l, nil
}

// Renew extends the lease to lease from now (0: the server's 30 s);
// ErrConflict when the lease had already ended or the lock was broken.
func (l *Lock) Renew(ctx context.Context, lease time.Duration) error {
	var body any
	if lease > 0 {
		body = map[string]string{"lease": lockDuration(lease)}
	}
	var answer struct {
		Expires time.Time `json:"expires"`
	}
	err := l.c.doJSON(ctx, call{method: http.MethodPost, path: lockPath(l.Name) + "/renew", body: body,
		lockToken: l.Token, want: []int{http.StatusOK}}, &answer)
	if err != nil {
		return err
	}
	l.Expires = answer.Expires
	return nil
}

// Release releases the lock; ErrConflict when its lease had already ended
// (or an administrator broke it), when another holder may have written
// meanwhile.
func (l *Lock) Release(ctx context.Context) error {
	_, err := l.c.do(ctx, call{method: http.MethodDelete, path: lockPath(l.Name), lockToken: l.Token,
		want: []int{http.StatusNoContent}})
	return err
}
