package enginetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func (brokenStore) Count(context.Context, string, scopes.Kind, time.Time) (int64, bool, error) {
	return 0, false, errDown
}

func TestEngine_Count(t *testing.T) {
	for _, tc := range []struct {
		storage string
		cluster bool
	}{{"memory", true}, {"file", true}, {"file", false}} {
		t.Run(tc.storage+map[bool]string{true: "/cluster", false: "/tiered"}[tc.cluster], func(t *testing.T) {
			ctx := context.Background()
			st, clk := newShared(t), &fakeClock{now: time.Now()}
			e := newEngine(st, clk)
			set := settings(tc.storage, tc.cluster)
			count := func(app string, want int64) {
				t.Helper()
				n, exact, err := e.Count(ctx, set, app, scopes.Session)
				if err != nil || n != want || !exact {
					t.Errorf("Count(%s) = %d, %v, %v; want %d, exact", app, n, exact, err, want)
				}
			}
			count("shop", 0)
			var first *scopes.Scope
			for i := range 3 {
				sc, err := e.Create(ctx, set, "shop", scopes.Session, nil)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = sc
				}
			}
			if _, err := e.Create(ctx, set, "blog", scopes.Session, nil); err != nil {
				t.Fatal(err)
			}
			count("shop", 3)
			count("blog", 1)
			if err := e.Delete(ctx, set, key(first)); err != nil {
				t.Fatal(err)
			}
			count("shop", 2)
			clk.Advance(set.Session.Timeout)
			count("shop", 0)
		})
	}
}

func TestEngine_CountManagementOff(t *testing.T) {
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	st.stores["file"] = brokenStore{st.stores["file"]}
	e := newEngine(st, clk)
	set := settings("file", true)
	set.Session.Management = false
	// Management off reaches no storage: a broken one does not matter.
	n, exact, err := e.Count(context.Background(), set, "shop", scopes.Session)
	if err != nil || n != 0 || !exact {
		t.Errorf("Count with management off = %d, %v, %v; want 0, exact", n, exact, err)
	}
}

func TestEngine_CountFailures(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	st.stores["file"] = brokenStore{st.stores["file"]}
	e := newEngine(st, clk)

	_, _, err := e.Count(ctx, settings("file", true), "shop", scopes.Session)
	if scopes.ErrorCode(err) != scopes.EUnavailable || !strings.Contains(scopes.ErrorMessage(err), `storage "file"`) {
		t.Errorf("Count on a broken storage: %v; want unavailable naming the storage", err)
	}
	if _, _, err := e.Count(ctx, settings("nowhere", true), "shop", scopes.Session); scopes.ErrorCode(err) != scopes.EInvalidSettings {
		t.Errorf("Count on an unknown storage: %v; want invalid settings", err)
	}
	if _, _, err := e.Count(ctx, settings("memory", true), "shop", "request"); scopes.ErrorCode(err) != scopes.EInvalid {
		t.Errorf("Count of kind request, which no storage keeps: %v; want invalid", err)
	}
}
