package client

import (
	"context"
	"net/http"
)

// Shared is the API of one shared scope: the app's application scope (one
// for every instance of the app, Client.Application) or the deployment's
// server scope (one for every app, Client.Server). Neither has a cfid: a
// load of one that does not exist yet starts it empty, at version 1, and so
// does a write.
type Shared struct {
	c    *Client
	path string
	root bool // path is below the server's root, not the app's
}

// Application returns the API of the app's application scope.
func (c *Client) Application() *Shared { return c.application }

// Server returns the API of the server scope, which every app's key reads
// and only the apps an administrator allowed may write (ErrForbidden).
func (c *Client) Server() *Shared { return c.server }

// Get loads the scope, which counts as a visit (it extends the expiry); a
// scope that does not exist yet is started empty.
func (s *Shared) Get(ctx context.Context) (*Record, error) {
	return s.call(ctx, call{method: http.MethodGet, idempotent: true})
}

// Put replaces the scope's data under cond: the version it must be at and
// the fence of the lock the write is made under (ErrPreconditionFailed when
// either is not met, nothing changed); the zero Cond writes unconditionally.
func (s *Shared) Put(ctx context.Context, data map[string]any, cond Cond) (*Record, error) {
	return s.call(ctx, call{method: http.MethodPut, body: dataBody(data), ifMatch: cond.IfVersion, ifFence: cond.IfFence})
}

// Patch applies set, unset and incr atomically in the storage, so that
// concurrent patches of different keys all survive; p.IfVersion and
// p.IfFence make it conditional.
func (s *Shared) Patch(ctx context.Context, p Patch) (*Record, error) {
	body, err := appendPatch(make([]byte, 0, 64), p)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Message: "the request cannot be encoded as JSON: " + err.Error()}
	}
	return s.call(ctx, call{method: http.MethodPatch, rawBody: body, ifMatch: p.IfVersion, ifFence: p.IfFence})
}

// call sends k to the scope's path; the answer is the scope.
func (s *Shared) call(ctx context.Context, k call) (*Record, error) {
	k.path, k.root, k.want = s.path, s.root, []int{http.StatusOK}
	var r Record
	if err := s.c.doJSON(ctx, k, &r); err != nil {
		return nil, err
	}
	if r.Data == nil {
		r.Data = map[string]any{}
	}
	return &r, nil
}
