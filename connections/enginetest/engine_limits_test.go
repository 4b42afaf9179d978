package enginetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// limited returns the settings of storage with the given limits, set by an
// administrator as the console and the CLI set them.
func limited(storage string, maxScopes, maxMemory, maxCreateRate string) scopes.Settings {
	return scopes.Resolve(scopes.Layer{
		scopes.SessionStorage: {Value: storage, By: scopes.FromAdmin},
		scopes.MaxScopes:      {Value: maxScopes, By: scopes.FromAdmin},
		scopes.MaxMemory:      {Value: maxMemory, By: scopes.FromAdmin},
		scopes.MaxCreateRate:  {Value: maxCreateRate, By: scopes.FromAdmin},
	}, nil).Settings
}

func wantCode(t *testing.T, err error, code string, words ...string) {
	t.Helper()
	if scopes.ErrorCode(err) != code {
		t.Fatalf("err = %v; want code %s", err, code)
	}
	for _, w := range words {
		if !strings.Contains(scopes.ErrorMessage(err), w) {
			t.Errorf("message %q does not name %q", scopes.ErrorMessage(err), w)
		}
	}
}

// TestLimits_MaxScopes: a create over the app's live scope limit is refused
// with a message naming the limit, in memory (counted exactly) and in a
// storage counted by a query; another app is not held back, and ending a
// scope makes room again.
func TestLimits_MaxScopes(t *testing.T) {
	for _, storage := range []string{"memory", "file"} {
		t.Run(storage, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{now: time.Now()}
			e := newEngine(newShared(t), clk)
			set := limited(storage, "3", "0", "0")
			var first *scopes.Scope
			for i := range 3 {
				sc, err := e.Create(ctx, set, "shop", scopes.Session, nil)
				if err != nil {
					t.Fatalf("create %d: %v", i+1, err)
				}
				if i == 0 {
					first = sc
				}
			}
			_, err := e.Create(ctx, set, "shop", scopes.Session, nil)
			wantCode(t, err, scopes.EQuotaExceeded, "maxScopes 3", `"shop"`)
			if _, err := e.Create(ctx, set, "other", scopes.Session, nil); err != nil {
				t.Fatalf("another app's create: %v", err)
			}
			if err := e.Delete(ctx, set, key(first)); err != nil {
				t.Fatal(err)
			}
			// memory counts at once; a storage's count is trusted for a while.
			clk.Advance(11 * time.Second)
			if _, err := e.Create(ctx, set, "shop", scopes.Session, nil); err != nil {
				t.Fatalf("create after one ended: %v", err)
			}
		})
	}
}

// TestLimits_MaxMemory: the app's scopes in the memory storage cannot grow
// over maxMemory, by creates or by saves; a save that shrinks a scope still
// goes through, and nothing refused is stored.
func TestLimits_MaxMemory(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Now()}
	st := newShared(t)
	e := newEngine(st, clk)
	set := limited("memory", "0", "64KiB", "0")
	big := json.RawMessage(fmt.Sprintf(`{"s":%q}`, strings.Repeat("x", 20<<10)))
	var made []*scopes.Scope
	for range 3 {
		sc, err := e.Create(ctx, set, "shop", scopes.Session, big)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, sc)
	}
	_, err := e.Create(ctx, set, "shop", scopes.Session, big)
	wantCode(t, err, scopes.EQuotaExceeded, "maxMemory 64KiB")
	bigger := json.RawMessage(fmt.Sprintf(`{"s":%q}`, strings.Repeat("y", 30<<10)))
	_, err = e.Save(ctx, set, key(made[0]), bigger, 0)
	wantCode(t, err, scopes.EQuotaExceeded, "maxMemory")
	got, err := e.Load(ctx, set, key(made[0]))
	if err != nil || string(got.Data) != string(big) {
		t.Fatalf("after a refused save the scope holds %d bytes, %v; want its old data", len(got.Data), err)
	}
	if _, err := e.Save(ctx, set, key(made[0]), json.RawMessage(`{"s":"small"}`), 0); err != nil {
		t.Fatalf("a save that shrinks the scope: %v", err)
	}
	if _, err := e.Create(ctx, set, "shop", scopes.Session, big); err != nil {
		t.Fatalf("a create after the app shrank: %v", err)
	}
	if _, err := e.Create(ctx, set, "other", scopes.Session, big); err != nil {
		t.Fatalf("another app's create: %v", err)
	}
}

// TestLimits_MaxCreateRate: creates beyond the app's rate are refused until
// time refills the bucket; other apps keep their own.
func TestLimits_MaxCreateRate(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Now()}
	e := newEngine(newShared(t), clk)
	set := limited("memory", "0", "0", "5")
	for i := range 5 {
		if _, err := e.Create(ctx, set, "shop", scopes.Session, nil); err != nil {
			t.Fatalf("create %d: %v", i+1, err)
		}
	}
	_, err := e.Create(ctx, set, "shop", scopes.Session, nil)
	wantCode(t, err, scopes.ETooManyRequests, "maxCreateRate", "5 a second")
	if _, err := e.Create(ctx, set, "other", scopes.Session, nil); err != nil {
		t.Fatalf("another app's create: %v", err)
	}
	clk.Advance(200 * time.Millisecond) // one token at 5 a second
	if _, err := e.Create(ctx, set, "shop", scopes.Session, nil); err != nil {
		t.Fatalf("create after 200 ms: %v", err)
	}
	_, err = e.Create(ctx, set, "shop", scopes.Session, nil)
	wantCode(t, err, scopes.ETooManyRequests)
}

// TestLimits_MemoryBudget: copies of scopes in other storages give way to
// the memory storage, and never keep the instance over its budget; once
// the memory storage alone fills the budget, writes that grow it are
// refused with a message naming --memory-budget, while the file storage
// still takes writes.
func TestLimits_MemoryBudget(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Now()}
	st := newShared(t)
	e := newEngine(st, clk)
	const budget = 256 << 10
	e.MemoryBudget = budget
	data := json.RawMessage(fmt.Sprintf(`{"s":%q}`, strings.Repeat("x", 10<<10)))
	fileSet := settings("file", false) // cluster = false: this instance keeps copies
	for range 40 {
		if _, err := e.Create(ctx, fileSet, "shop", scopes.Session, data); err != nil {
			t.Fatal(err)
		}
		if storage, copies := e.MemoryHeld(); storage.Bytes+copies.Bytes > budget {
			t.Fatalf("memory held %d + copies %d over the budget %d", storage.Bytes, copies.Bytes, budget)
		}
	}
	_, copies := e.MemoryHeld()
	if copies.Bytes < budget/2 {
		t.Fatalf("copies hold %d bytes; the test wants them to fill much of the budget first", copies.Bytes)
	}
	memSet := limited("memory", "0", "0", "0")
	var n int
	for n = 0; n < 100; n++ {
		_, err := e.Create(ctx, memSet, "shop", scopes.Session, data)
		if err != nil {
			wantCode(t, err, scopes.EQuotaExceeded, "--memory-budget 256KiB")
			break
		}
	}
	storage, copies := e.MemoryHeld()
	if n < 15 || n == 100 {
		t.Fatalf("the memory storage took %d scopes of 10 KiB in a budget of 256 KiB; want the copies to give way, then a refusal", n)
	}
	if storage.Bytes+copies.Bytes > budget {
		t.Errorf("memory held %d + copies %d over the budget %d", storage.Bytes, copies.Bytes, budget)
	}
	if _, err := e.Create(ctx, fileSet, "shop", scopes.Session, data); err != nil {
		t.Fatalf("the file storage refuses a write while memory is full: %v", err)
	}
}
