package main

import (
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// lockListCommand is `scopestore app locks NAME`: the app's named locks
// held now, read from its lock storage; with --break LOCK --yes, one of
// them broken (lock_break.go).
func lockListCommand() *command {
	return &command{name: "locks", usage: "NAME [--limit N] [--break LOCK [--yes]] [flags]", args: 1, argName: "app name",
		short: "List the app's named locks held now: name, type, held for, lease left (never a token)",
		long: "The locks are read from the app's lockStorage. Those in memory live inside each server process:\n" +
			"this command, a process of its own, cannot see them; with --server it asks that server, which lists\n" +
			"its own.\n\n" +
			"--break LOCK shows who holds that lock; with --yes it frees it, whoever holds it (recorded in the\n" +
			"audit log as lock.break). The holders are not told: their renewal and release answer 409, and their\n" +
			"fence stays valid until the next holder takes the lock with a higher one.",
		flags: func(fs *flag.FlagSet) {
			fs.Int("limit", 100, "list at most this many holders (up to "+strconv.Itoa(scopes.MaxHeldLocks)+")")
			fs.String("break", "", "break this lock (with --yes), whoever holds it")
			fs.Bool("yes", false, "with --break: break the lock; without it nothing is broken")
		},
		run: withAppServer(appLocks, appLocksRemote)}
}

func appLocks(rc *runContext, svc *services, args []string) error {
	if name := rc.flags.Lookup("break").Value.String(); name != "" {
		return appLockBreak(rc, svc, args[0], name)
	}
	limit, err := lockListArgs(rc)
	if err != nil {
		return err
	}
	held, storage, err := scopes.NewLocks(svc.engine, svc.directory).Held(rc.ctx, args[0], limit)
	if err != nil {
		return err
	}
	if storage == scopes.StorageMemory {
		fmt.Fprintf(rc.stderr, "%s keeps its locks in memory, inside each server process: they cannot be listed from here. Set --lock-storage to a shared storage to see them, or ask a server with --server.\n", args[0])
		return nil
	}
	return printLocks(rc, args[0], storage, held)
}

// lockListArgs reads --limit, refusing --yes without --break.
func lockListArgs(rc *runContext) (int, error) {
	if rc.flags.Lookup("yes").Value.String() == "true" {
		return 0, usageErrorf("--yes without --break LOCK: name the lock to break")
	}
	limit, err := strconv.Atoi(rc.flags.Lookup("limit").Value.String())
	if err != nil || limit < 1 || limit > scopes.MaxHeldLocks {
		return 0, scopes.Errorf(scopes.EInvalid, "--limit must be a number from 1 to %d", scopes.MaxHeldLocks)
	}
	return limit, nil
}

// printLocks writes the holders of app's locks as a table, or says on
// stderr that none is held.
func printLocks(rc *runContext, app, storage string, held []scopes.HeldLock) error {
	if len(held) == 0 {
		fmt.Fprintf(rc.stderr, "No lock of %s is held now (lock storage %s).\n", app, storage)
		return nil
	}
	now := time.Now()
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tHELD FOR\tLEASE LEFT")
	for _, h := range held {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", h.Name, h.Type, now.Sub(h.Since).Round(time.Second), h.Expires.Sub(now).Round(time.Second))
	}
	return w.Flush()
}
