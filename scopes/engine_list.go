package scopes

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
)

// Listing defaults and bounds.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
	// DefaultListScan bounds the records one call of List examines when a
	// filter leaves most of them out, so that a search over a million
	// scopes answers in bounded time, page by page.
	DefaultListScan = 5000
	// listBatch is how many records List asks a storage for at once while
	// it filters.
	listBatch = 500
	// InvalidateBatch is how many scopes InvalidateAll lists at once.
	InvalidateBatch = 500
	// invalidateWorkers is how many deletes InvalidateAll runs at once.
	invalidateWorkers = 8
)

// ListQuery asks for one page of an app's live scopes of one kind.
type ListQuery struct {
	// After is the cursor: the page starts after this cfid ("" for the first
	// page); ListPage.Next of the previous page.
	After string
	// Limit is the most scopes the page holds: DefaultListLimit when 0, at
	// most MaxListLimit.
	Limit int
	// CFIDPrefix keeps the scopes whose cfid starts with it (hex digits and
	// '-', compared in lower case); the listing starts at the prefix and
	// stops after it.
	CFIDPrefix string
	// Key and Value keep the scopes whose data has a top-level key Key
	// (compared without case, as CFML compares struct keys) whose value is
	// Value: the same JSON value (42, true, "a b") or, for a string, its
	// text (a b). With Key empty, any top-level key may hold the value.
	// The data is compared masked (MaskData with the app's sensitiveKeys),
	// and a Key that is masked is refused: a filter must not tell a
	// masked value.
	Key, Value string
	// MaxScan bounds the records a call examines while filtering:
	// DefaultListScan when 0.
	MaxScan int
}

// ListPage is one page of scopes in cfid order.
type ListPage struct {
	Scopes []*Scope
	// Next is the cursor of the next page, "" when there is none.
	Next string
	// Scanned is how many records the call examined.
	Scanned int
	// Partial is true when the call examined MaxScan records before the
	// page filled: more may match after Next.
	Partial bool
}

// filtering tells whether the query leaves out records that the cursor
// reaches, so that a page may cost more than its size to fill.
func (q ListQuery) filtering() bool { return q.Key != "" || q.Value != "" }

// normalize checks the query and fills in the defaults.
func (q ListQuery) normalize() (ListQuery, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxListLimit:
		return q, Errorf(EInvalid, "limit %d is out of range: ask for 1 to %d scopes a page", q.Limit, MaxListLimit)
	case q.Limit == 0:
		q.Limit = DefaultListLimit
	}
	if q.MaxScan < 0 {
		return q, Errorf(EInvalid, "the scan bound %d is negative", q.MaxScan)
	}
	if q.MaxScan == 0 {
		q.MaxScan = DefaultListScan
	}
	q.MaxScan = max(q.MaxScan, q.Limit)
	q.After = strings.ToLower(strings.TrimSpace(q.After))
	if !cfidChars(q.After) {
		return q, Errorf(EInvalid, "cursor %q is not a cursor from a previous page: pass the next cursor as it was given", truncateText(q.After, 80))
	}
	q.CFIDPrefix = strings.ToLower(strings.TrimSpace(q.CFIDPrefix))
	if !cfidChars(q.CFIDPrefix) {
		return q, Errorf(EInvalid, "cfid prefix %q can hold only hex digits and '-', up to 36 characters", truncateText(q.CFIDPrefix, 80))
	}
	q.Key = strings.TrimSpace(q.Key)
	return q, nil
}

// cfidChars tells whether s could start a cfid: at most 36 hex digits and dashes.
func cfidChars(s string) bool {
	if len(s) > 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// justBefore returns a string that sorts before p and after every string
// that sorts before p and could be a stored cfid: the cursor that starts a
// listing at p. p holds hex digits and '-' only, so p's last byte minus one
// is printable, and '~' sorts after every character a cfid holds.
func justBefore(p string) string {
	if p == "" {
		return ""
	}
	return p[:len(p)-1] + string(p[len(p)-1]-1) + strings.Repeat("~", 40)
}

// List returns one page of the live scopes of app's kind k, in cfid order,
// starting after q.After, without reading the others: it pages through
// Store.List, so that a page costs the same with a million scopes as with
// ten. Filters are applied as the records are read; q.MaxScan bounds the
// records one call examines, and a page cut short by it is Partial. Listing
// is not a visit: it writes nothing and extends no expiry.
func (e *Engine) List(ctx context.Context, set Settings, app string, k Kind, q ListQuery) (ListPage, error) {
	t, err := e.target(ctx, set, k)
	if err != nil {
		return ListPage{}, err
	}
	q, err = q.normalize()
	if err != nil {
		return ListPage{}, err
	}
	if err := CheckFilterKey(q.Key, set.SensitiveKeys); err != nil {
		return ListPage{}, err
	}
	after := q.After
	if start := justBefore(q.CFIDPrefix); after < start {
		after = start
	}
	now := e.now()
	page := ListPage{Scopes: []*Scope{}}
	for {
		// One record more than the page needs tells whether there is a next page.
		want := q.Limit - len(page.Scopes) + 1
		if q.filtering() {
			want = min(max(want, listBatch), q.MaxScan-page.Scanned+1)
		}
		recs, err := t.store.List(ctx, app, k, after, want, now)
		if err != nil {
			return ListPage{}, e.storageError(t.name, err)
		}
		for i := range recs {
			rec := &recs[i]
			if q.CFIDPrefix != "" && !strings.HasPrefix(rec.CFID, q.CFIDPrefix) {
				// Past the prefix: nothing after it can match.
				return page, nil
			}
			if len(page.Scopes) == q.Limit {
				page.Next = after
				return page, nil
			}
			if page.Scanned == q.MaxScan {
				page.Next, page.Partial = after, true
				return page, nil
			}
			page.Scanned++
			after = rec.CFID
			if q.filtering() && !dataHas(rec.Data, q.Key, q.Value, set.SensitiveKeys) {
				continue
			}
			page.Scopes = append(page.Scopes, NewScope(rec, t.name))
		}
		if len(recs) < want {
			return page, nil
		}
		if err := ctx.Err(); err != nil {
			return ListPage{}, err
		}
	}
}

// dataHas tells whether a scope's data has, at its top level, key (any key
// when empty; compared without case) holding value. It compares the data as
// operators see it, masked with sensitive (the app's sensitiveKeys): a
// sensitive key is never looked in, and an object or array is compared
// masked, so that no filter tells what a masked value is.
func dataHas(data json.RawMessage, key, value string, sensitive []string) bool {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return false
	}
	for k, raw := range obj {
		if key != "" && !strings.EqualFold(k, key) || SensitiveKey(k, sensitive) {
			continue
		}
		if raw = bytes.TrimSpace(raw); len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
			masked, err := MaskData(raw, sensitive)
			if err != nil {
				continue
			}
			raw = masked
		}
		if valueIs(raw, value) {
			return true
		}
	}
	return false
}

// valueIs tells whether a JSON value is want: its text when it is a string,
// or the same JSON value written compactly.
func valueIs(raw json.RawMessage, want string) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil && s == want {
			return true
		}
	}
	var a, b bytes.Buffer
	if json.Compact(&a, raw) != nil || json.Compact(&b, []byte(strings.TrimSpace(want))) != nil {
		return false
	}
	return bytes.Equal(a.Bytes(), b.Bytes())
}

// Peek returns a scope instance as its storage holds it, for operators:
// unlike Load it is no visit, so it writes nothing and extends no expiry.
// With cluster = false it reads the storage, which every save and every
// visit that Load writes reach before they answer.
func (e *Engine) Peek(ctx context.Context, set Settings, key Key) (*Scope, error) {
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	if !serverSide(t.name) {
		return nil, Errorf(EUnsupported, "the client scope %s of app %s is in cookie storage: it lives in its visitor's browser, "+
			"sealed in a token, and scopestore keeps no copy to show", key.CFID, key.App)
	}
	now := e.now()
	rec, found, err := t.store.Load(ctx, key, now)
	if err != nil {
		return nil, e.storageError(t.name, err)
	}
	if !found || rec.Expired(now) {
		return nil, notFound(key)
	}
	return NewScope(&rec, t.name), nil
}

// InvalidateAll invalidates every live scope of app's kind k, listing them
// InvalidateBatch at a time in cfid order and deleting each as Delete does
// (dropping this instance's in-memory copy too), a few at once. It returns
// how many it invalidated; on a failure it stops and returns the count so
// far with the error. Scopes created meanwhile survive when their cfid
// sorts before the batch being deleted.
func (e *Engine) InvalidateAll(ctx context.Context, set Settings, app string, k Kind) (int, error) {
	t, err := e.target(ctx, set, k)
	if err != nil {
		return 0, err
	}
	total, after := 0, ""
	for {
		recs, err := t.store.List(ctx, app, k, after, InvalidateBatch, e.now())
		if err != nil {
			return total, e.storageError(t.name, err)
		}
		n, err := e.deleteEach(ctx, set, recs)
		total += n
		if err != nil {
			return total, err
		}
		if len(recs) < InvalidateBatch {
			return total, nil
		}
		after = recs[len(recs)-1].CFID
	}
}

// deleteEach deletes the scopes of recs, invalidateWorkers at a time, and
// returns how many it deleted; one that is gone already (expired, or
// invalidated meanwhile) is no failure and is not counted.
func (e *Engine) deleteEach(ctx context.Context, set Settings, recs []Record) (int, error) {
	var (
		mu      sync.Mutex
		deleted int
		first   error
		wg      sync.WaitGroup
	)
	slots := make(chan struct{}, invalidateWorkers)
	for i := range recs {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		key := recs[i].Key
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			err := e.Delete(ctx, set, key)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				deleted++
			case ErrorCode(err) == ENotFound:
			case first == nil:
				first = err
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return deleted, first
}
