package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// An administrator breaks a lock that one instance's client holds while
// another instance's client waits for it: the waiter gets it promptly,
// with a higher fence, and the broken holder's renewal and release are
// 409, as for a lease that ran out.
func TestLockBreak(t *testing.T) {
	for _, st := range lockStorages {
		t.Run(st.name, func(t *testing.T) {
			apis, key := newLockPair(t, st.conn(t))
			a, b := apis[0], apis[1]
			held := lock(t, a, key, "job", `{"type":"exclusive","timeout":"0","lease":"5m"}`)
			type answer struct {
				r   response
				err error
				at  time.Time
			}
			waited := make(chan answer, 1)
			go func() {
				r, err := call(b, "POST", lockPath+"job", key, `{"type":"exclusive","timeout":"20s","lease":"30s"}`)
				waited <- answer{r, err, time.Now()}
			}()
			time.Sleep(300 * time.Millisecond) // the waiter tries, finds it held, waits
			select {
			case w := <-waited:
				t.Fatalf("the waiter did not wait: %d %s %v", w.r.status, w.r.body, w.err)
			default:
			}
			broken, storage, err := scopes.NewLocks(a.engine, a.dir).Break(context.Background(), "shop", "job")
			brokeAt := time.Now()
			if err != nil || len(broken) != 1 || broken[0].Type != scopes.LockExclusive {
				t.Fatalf("Break: %+v, %q, %v", broken, storage, err)
			}
			var w answer
			select {
			case w = <-waited:
			case <-time.After(5 * time.Second):
				t.Fatal("the waiter did not get the lock within 5s of the break")
			}
			if w.err != nil || w.r.status != http.StatusCreated {
				t.Fatalf("waiter: %v %d %s", w.err, w.r.status, w.r.body)
			}
			if d := w.at.Sub(brokeAt); d > time.Second {
				t.Fatalf("the waiter got the lock %s after the break", d)
			}
			var next lockAnswer
			if err := json.Unmarshal(w.r.body, &next); err != nil || next.Fence <= held.Fence {
				t.Fatalf("fence %d after the broken holder's %d (%v)", next.Fence, held.Fence, err)
			}
			mustStatus(t, a.do("POST", lockPath+"job/renew", key, "", "Lock-Token", held.Token), http.StatusConflict)
			mustStatus(t, a.do("DELETE", lockPath+"job", key, "", "Lock-Token", held.Token), http.StatusConflict)
			mustStatus(t, b.do("DELETE", lockPath+"job", key, "", "Lock-Token", next.Token), http.StatusNoContent)
			// A free lock: nothing to break.
			if _, _, err := scopes.NewLocks(b.engine, b.dir).Break(context.Background(), "shop", "job"); scopes.ErrorCode(err) != scopes.ENotFound {
				t.Fatalf("break of a free lock: %v, want not_found", err)
			}
		})
	}
}
