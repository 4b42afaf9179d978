package admin

import (
	"context"

	"github.com/scopestore/scopestore/scopes"
)

// maxListedLocks bounds the locks an app's page lists.
const maxListedLocks = 100

// lockList is the app page's read-only list of the locks held now.
type lockList struct {
	// App is the app whose locks these are.
	App string
	// Storage is the app's lock storage.
	Storage string
	Held    []scopes.HeldLock
	// Problem says why the list could not be read (a storage that does not
	// answer); the rest of the page shows all the same.
	Problem string
}

// heldLocks reads the locks of app held now. A failure is shown on the
// page rather than failing it: the page is where an administrator looks
// when a storage misbehaves.
func (a *Console) heldLocks(ctx context.Context, app string) lockList {
	if a.Engine == nil {
		return lockList{App: app, Problem: "this console has no engine to read locks with"}
	}
	held, storage, err := scopes.NewLocks(a.Engine, a.Directory).Held(ctx, app, maxListedLocks)
	if err != nil {
		return lockList{App: app, Storage: storage, Problem: scopes.ErrorMessage(err)}
	}
	return lockList{App: app, Storage: storage, Held: held}
}

// firstOf tells whether the i-th holder is the first listed of its lock,
// the row that carries the lock's Break button (holders are listed by
// name).
func (l lockList) firstOf(i int) bool { return i == 0 || l.Held[i-1].Name != l.Held[i].Name }
