package client

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Scopes is the API of one scope kind of the app: sessions or client scopes.
type Scopes struct {
	c    *Client
	kind string // the path segment: "sessions" or "clients"
}

// ErrBadCFID is a cfid that is not a UUID, refused before any call.
var ErrBadCFID = errors.New("client: a cfid must be a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e")

func (s *Scopes) path(cfid string) (string, error) {
	if !validCFID(cfid) {
		return "", ErrBadCFID
	}
	return "/" + s.kind + "/" + strings.ToLower(cfid), nil
}

// dataBody is the {"data":…} body of POST and PUT; nil data is an empty object.
func dataBody(data map[string]any) any {
	if data == nil {
		data = map[string]any{}
	}
	return struct {
		Data map[string]any `json:"data"`
	}{data}
}

// scopeCall sends a call whose answer is a scope.
func (s *Scopes) scopeCall(ctx context.Context, k call) (*Record, error) {
	var r Record
	if err := s.c.doJSON(ctx, k, &r); err != nil {
		return nil, err
	}
	if r.Data == nil {
		r.Data = map[string]any{}
	}
	return &r, nil
}

// Create makes a new scope with a cfid scopestore chooses.
func (s *Scopes) Create(ctx context.Context, data map[string]any) (*Record, error) {
	return s.scopeCall(ctx, call{method: http.MethodPost, path: "/" + s.kind, body: dataBody(data),
		want: []int{http.StatusCreated}})
}

// CreateWithID makes a new scope with the cfid the app chose (a random
// UUID, see NewCFID); ErrPreconditionFailed when a live scope has it.
func (s *Scopes) CreateWithID(ctx context.Context, cfid string, data map[string]any) (*Record, error) {
	p, err := s.path(cfid)
	if err != nil {
		return nil, err
	}
	return s.scopeCall(ctx, call{method: http.MethodPut, path: p, body: dataBody(data), ifNoneMatch: true,
		want: []int{http.StatusCreated}})
}

// Get loads a scope, which counts as a visit (it extends the expiry);
// ErrNotFound when there is none. On the old cfid of a rotated session it
// answers the old data with RotatedTo set.
func (s *Scopes) Get(ctx context.Context, cfid string) (*Record, error) {
	p, err := s.path(cfid)
	if err != nil {
		return nil, err
	}
	return s.scopeCall(ctx, call{method: http.MethodGet, path: p, idempotent: true, want: []int{http.StatusOK}})
}

// Put replaces a scope's data; ifVersion > 0 makes it conditional
// (ErrPreconditionFailed on a stale version, nothing changed).
func (s *Scopes) Put(ctx context.Context, cfid string, data map[string]any, ifVersion int64) (*Record, error) {
	return s.PutIf(ctx, cfid, data, Cond{IfVersion: ifVersion})
}

// PutIf replaces a scope's data under cond: the version it must be at, and
// the fence of the lock the write is made under (ErrPreconditionFailed
// when either is not met, nothing changed).
func (s *Scopes) PutIf(ctx context.Context, cfid string, data map[string]any, cond Cond) (*Record, error) {
	p, err := s.path(cfid)
	if err != nil {
		return nil, err
	}
	return s.scopeCall(ctx, call{method: http.MethodPut, path: p, body: dataBody(data), ifMatch: cond.IfVersion,
		ifFence: cond.IfFence, want: []int{http.StatusOK}})
}

// Patch applies set, unset and incr atomically in the storage, so that
// concurrent patches of different keys all survive; p.IfVersion and
// p.IfFence make it conditional.
func (s *Scopes) Patch(ctx context.Context, cfid string, p Patch) (*Record, error) {
	path, err := s.path(cfid)
	if err != nil {
		return nil, err
	}
	body, err := appendPatch(make([]byte, 0, 64), p)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Message: "the request cannot be encoded as JSON: " + err.Error()}
	}
	return s.scopeCall(ctx, call{method: http.MethodPatch, path: path, rawBody: body, ifMatch: p.IfVersion,
		ifFence: p.IfFence, want: []int{http.StatusOK}})
}

// Delete ends a scope; ErrNotFound when there is none.
func (s *Scopes) Delete(ctx context.Context, cfid string) error {
	p, err := s.path(cfid)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, call{method: http.MethodDelete, path: p, idempotent: true, want: []int{http.StatusNoContent}})
	return err
}

// Touch extends a scope's expiry without reading it; ErrNotFound when there is none.
func (s *Scopes) Touch(ctx context.Context, cfid string) error {
	p, err := s.path(cfid)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, call{method: http.MethodPost, path: p + "/touch", idempotent: true, want: []int{http.StatusNoContent}})
	return err
}

// Rotate moves a session to a new cfid with the same data (the defence
// against session fixation); newCFID "" lets scopestore choose it. The old
// cfid answers reads for a grace period, then ends. Sessions only.
func (s *Scopes) Rotate(ctx context.Context, cfid, newCFID string) (*Record, error) {
	p, err := s.path(cfid)
	if err != nil {
		return nil, err
	}
	var body any
	if newCFID != "" {
		if !validCFID(newCFID) {
			return nil, ErrBadCFID
		}
		body = struct {
			CFID string `json:"cfid"`
		}{strings.ToLower(newCFID)}
	}
	return s.scopeCall(ctx, call{method: http.MethodPost, path: p + "/rotate", body: body, want: []int{http.StatusCreated}})
}

// List returns one page of the app's live scopes in cfid order, without
// visiting them; limit is 1 to 500 (0 means the API's default, 100) and
// cursor is "" for the first page, then the previous page's Next.
func (s *Scopes) List(ctx context.Context, limit int, cursor string) (*Page, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	b, err := s.c.do(ctx, call{method: http.MethodGet, path: "/" + s.kind, query: q, idempotent: true, want: []int{http.StatusOK}})
	if err != nil {
		return nil, err
	}
	var p Page
	if err := decodeAnswer(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// All iterates over every live scope of the app, page by page; it stops at
// the first error, which it yields.
func (s *Scopes) All(ctx context.Context) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		cursor := ""
		for {
			p, err := s.List(ctx, 500, cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range p.Scopes {
				if !yield(r, nil) {
					return
				}
			}
			if p.Next == "" {
				return
			}
			cursor = p.Next
		}
	}
}

// Count returns the number of the app's live scopes of this kind.
func (s *Scopes) Count(ctx context.Context) (int64, error) {
	b, err := s.c.do(ctx, call{method: http.MethodGet, path: "/" + s.kind + "/count", idempotent: true, want: []int{http.StatusOK}})
	if err != nil {
		return 0, err
	}
	var n struct {
		Count int64 `json:"count"`
	}
	if err := decodeAnswer(b, &n); err != nil {
		return 0, err
	}
	return n.Count, nil
}

// Clear ends every scope of this kind of the app and returns how many ended.
func (s *Scopes) Clear(ctx context.Context) (int64, error) {
	q := url.Values{"all": {"true"}}
	b, err := s.c.do(ctx, call{method: http.MethodDelete, path: "/" + s.kind, query: q, idempotent: true, want: []int{http.StatusOK}})
	if err != nil {
		return 0, err
	}
	var n struct {
		Deleted int64 `json:"deleted"`
	}
	if err := decodeAnswer(b, &n); err != nil {
		return 0, err
	}
	return n.Deleted, nil
}
