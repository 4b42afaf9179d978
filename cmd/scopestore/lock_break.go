package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// appLockBreak is `scopestore app locks NAME --break LOCK [--yes]`: it
// prints who holds the lock and, with --yes, frees it; the lock service
// records the break in the audit log as lock.break, as cli:<user>.
func appLockBreak(rc *runContext, svc *services, app, name string) error {
	if err := scopes.ValidateLockName(name); err != nil {
		return err
	}
	locks := scopes.NewLocks(svc.engine, svc.directory)
	held, storage, err := locks.Held(rc.ctx, app, scopes.MaxHeldLocks)
	if err != nil {
		return err
	}
	if storage == scopes.StorageMemory {
		return scopes.Errorf(scopes.EUnsupported, "%s keeps its locks in memory, inside each server process: this command cannot reach them. Break the lock in the console of the instance that holds it, or add --server with that instance's address", app)
	}
	if err := lockBreakPreview(rc, app, name, storage, held); err != nil {
		return err
	}
	broken, storage, err := locks.Break(rc.ctx, app, name)
	if err != nil {
		return err
	}
	printLockBroken(rc, app, name, scopes.BrokenDetail(broken, storage))
	return nil
}

// lockBreakPreview prints on stderr who holds lock name of app, from the
// holders of its locks held, and refuses to go on without --yes.
func lockBreakPreview(rc *runContext, app, name, storage string, held []scopes.HeldLock) error {
	var holders []scopes.HeldLock
	for _, h := range held {
		if h.Name == name {
			holders = append(holders, h)
		}
	}
	now := time.Now()
	if len(holders) > 0 {
		fmt.Fprintf(rc.stderr, "Lock %q of %s (lock storage %s) is held by:\n", name, app, storage)
		w := tabwriter.NewWriter(rc.stderr, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "TYPE\tSINCE\tLEASE ENDS")
		for _, h := range holders {
			fmt.Fprintf(w, "%s\t%s (%s ago)\t%s (in %s)\n", h.Type, h.Since.UTC().Format(time.RFC3339), now.Sub(h.Since).Round(time.Second),
				h.Expires.UTC().Format(time.RFC3339), h.Expires.Sub(now).Round(time.Second))
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if rc.flags.Lookup("yes").Value.String() != "true" {
		if len(holders) == 0 {
			return scopes.Errorf(scopes.ENotFound, "lock %q of %s is not held now: there is nothing to break", name, app)
		}
		return usageErrorf("nothing broken: add --yes to break lock %q of %s; its holders are not told, and their fence stays valid until the next holder's higher one", name, app)
	}
	return nil
}

// printLockBroken says on stderr that the lock is broken, and what that does.
func printLockBroken(rc *runContext, app, name, detail string) {
	fmt.Fprintf(rc.stderr, "Lock %q of %s is broken (%s): the next request for it takes it, with a higher fence. The holders are not told: their renewal and release answer 409.\n",
		name, app, detail)
}
