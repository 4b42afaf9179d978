package enginetest_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// failingStore fails every load and save with err, as a storage that is
// down does, each time with the text its driver gives.
type failingStore struct {
	scopes.Store
	err error
}

func (s failingStore) Load(context.Context, scopes.Key, time.Time) (scopes.Record, bool, error) {
	return scopes.Record{}, false, s.err
}
func (s failingStore) Write(context.Context, scopes.Record, string, time.Time) (scopes.WriteResult, error) {
	return scopes.WriteResult{}, s.err
}

// corruptStore holds, for every key, a value that is not in scopestore's format.
type corruptStore struct{ scopes.Store }

func (corruptStore) Load(_ context.Context, key scopes.Key, _ time.Time) (scopes.Record, bool, error) {
	rec, err := scopes.DecodeRecord(key, []byte(`WDDX lucee`))
	return rec, false, err
}

func TestEngine_RecentErrors(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("file", true)
	if got := e.RecentErrors(); len(got) != 0 {
		t.Fatalf("a new engine remembers %d errors", len(got))
	}
	sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	good := st.stores["file"]

	// A storage that is down: the failure is remembered with what the
	// caller was told and why; the same failure again is counted, not repeated.
	st.stores["file"] = brokenStore{good}
	if _, err := e.Load(ctx, set, key(sc)); scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("load from a broken storage: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := e.Load(ctx, set, key(sc)); scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("load from a broken storage: %v", err)
	}
	got := e.RecentErrors()
	if len(got) != 1 {
		t.Fatalf("%d errors remembered, want 1 counted twice: %+v", len(got), got)
	}
	ev := got[0]
	if ev.Storage != "file" || ev.Code != scopes.EUnavailable || ev.Count != 2 || !ev.Time.Equal(clk.Now()) ||
		!strings.Contains(ev.Message, `storage "file" is unavailable`) || ev.Cause != errDown.Error() {
		t.Errorf("remembered %+v", ev)
	}

	// A corrupt value is remembered too, newest first.
	st.stores["file"] = corruptStore{good}
	if _, err := e.Load(ctx, set, key(sc)); scopes.ErrorCode(err) != scopes.ECorrupt {
		t.Fatalf("load of a corrupt value: %v", err)
	}
	got = e.RecentErrors()
	if len(got) != 2 || got[0].Code != scopes.ECorrupt || !strings.Contains(got[0].Message, "not in scopestore's format") || got[1].Code != scopes.EUnavailable {
		t.Fatalf("after a corrupt value: %+v", got)
	}
	got[0].Message = "changed by the caller"
	if e.RecentErrors()[0].Message == "changed by the caller" {
		t.Error("RecentErrors hands out the engine's own slice")
	}

	// Refused requests are not storage failures.
	st.stores["file"] = good
	if _, err := e.Save(ctx, set, key(sc), []byte(`{"n":2}`), 99); scopes.ErrorCode(err) != scopes.EPreconditionFailed {
		t.Fatalf("save with a stale version: %v", err)
	}
	if n := len(e.RecentErrors()); n != 2 {
		t.Errorf("a 412 is remembered as a storage failure: %d errors", n)
	}
}

func TestEngine_RecentErrorsAreBounded(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("file", true)
	k := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	good := st.stores["file"]
	for i := range scopes.RecentErrorsKept + 10 {
		st.stores["file"] = failingStore{good, errors.New("dial tcp: attempt " + strconv.Itoa(i))}
		if _, err := e.Load(ctx, set, k); scopes.ErrorCode(err) != scopes.EUnavailable {
			t.Fatalf("load %d: %v", i, err)
		}
	}
	got := e.RecentErrors()
	if len(got) != scopes.RecentErrorsKept {
		t.Fatalf("%d errors remembered, want %d", len(got), scopes.RecentErrorsKept)
	}
	if last := "attempt " + strconv.Itoa(scopes.RecentErrorsKept+9); !strings.HasSuffix(got[0].Cause, last) {
		t.Errorf("newest is %q, want %s", got[0].Cause, last)
	}
	if !strings.HasSuffix(got[len(got)-1].Cause, "attempt 10") {
		t.Errorf("oldest kept is %q, want attempt 10", got[len(got)-1].Cause)
	}
}
