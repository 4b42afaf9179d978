package admin_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/scopes"
)

// The Scope page offers, for lockStorage, memory and the storage
// connections that can hold locks; it saves one, and refuses one that
// cannot hold locks beside the field, changing nothing.
func TestScopeLockStorage(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	for _, c := range []scopes.Connection{
		{Name: "Locks", Type: "redis", Storage: true, Params: map[string]string{"url": "redis://127.0.0.1:1"}},
		{Name: "plain", Type: "redis", Storage: false, Params: map[string]string{"url": "redis://127.0.0.1:1"}},
	} {
		if err := tc.mgr.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tc.login()
	p, form := tc.scopeForm(t)
	var names []string
	p.doc.Find(`#lockStorage optgroup option`).Each(func(_ int, o *goquery.Selection) {
		names = append(names, o.AttrOr("value", ""))
	})
	if want := []string{"memory", "locks"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("lock storages offered %v, want %v", names, want)
	}
	if form.Get("lockStorage") != scopes.Inherit {
		t.Fatalf("a fresh form holds lockStorage %q", form.Get("lockStorage"))
	}

	form.Set("lockStorage", "file")
	p = tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-lockStorage"); !strings.Contains(got, "cannot hold locks") {
		t.Fatalf("error-lockStorage = %q\n%s", got, p.body)
	}
	if eff, _ := tc.dir.ServerSettings(ctx); eff.Settings.LockStorage != scopes.StorageMemory || eff.From[scopes.LockStorage] != scopes.FromDefault {
		t.Fatalf("a refused form set lockStorage %q (%s)", eff.Settings.LockStorage, eff.From[scopes.LockStorage])
	}

	form.Set("lockStorage", "locks")
	p = tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusSeeOther)
	if eff, _ := tc.dir.ServerSettings(ctx); eff.Settings.LockStorage != "locks" {
		t.Fatalf("lockStorage %q after saving locks", eff.Settings.LockStorage)
	}
	if got := tc.get("/admin/scope").testid("source-lockStorage"); got != "set here" {
		t.Fatalf("source of lockStorage %q", got)
	}
}

// An app's page lists the locks held now, read-only: name and type, never
// a token; none when none is held.
func TestAppPageListsHeldLocks(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	if _, err := tc.dir.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	tc.login()
	p := tc.get("/admin/apps/shop")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("locks-none"); !strings.Contains(got, "No lock is held now") {
		t.Fatalf("locks-none = %q", got)
	}
	locks := scopes.NewLocks(tc.engine, tc.dir)
	l, err := locks.Acquire(ctx, "shop", scopes.LockOptions{Name: "session:0f8fad5b-d9cb-469f-a165-70867728950e", Type: scopes.LockExclusive, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/apps/shop")
	row := p.testid("lock-session:0f8fad5b-d9cb-469f-a165-70867728950e")
	if !strings.Contains(row, "exclusive") || strings.Contains(p.body, l.Token) {
		t.Fatalf("lock row %q (or the token shown)", row)
	}
	if err := locks.Release(ctx, "shop", l.Name, l.Token); err != nil {
		t.Fatal(err)
	}
	if got := tc.get("/admin/apps/shop").testid("locks-none"); got == "" {
		t.Fatal("a released lock is still listed")
	}
}
