package main

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// appLocksRemote is `app locks` through --server: the server reads the
// app's lock storage, its own memory included.
func appLocksRemote(rc *runContext, r *remote, args []string) error {
	if name := rc.flags.Lookup("break").Value.String(); name != "" {
		return appLockBreakRemote(rc, r, args[0], name)
	}
	limit, err := lockListArgs(rc)
	if err != nil {
		return err
	}
	var ls admin.APILocks
	if err := r.call(rc.ctx, "GET", appPath(args[0])+"/locks", url.Values{"limit": {strconv.Itoa(limit)}}, nil, &ls); err != nil {
		return err
	}
	memoryNote(rc, r, ls.App, ls.Storage)
	return printLocks(rc, ls.App, ls.Storage, admin.HeldLocks(ls.Locks))
}

// appLockBreakRemote is `app locks NAME --break LOCK [--yes]` through
// --server; the server's lock service records lock.break as the token's
// user.
func appLockBreakRemote(rc *runContext, r *remote, app, name string) error {
	if err := scopes.ValidateLockName(name); err != nil {
		return err
	}
	var ls admin.APILocks
	if err := r.call(rc.ctx, "GET", appPath(app)+"/locks", url.Values{"limit": {strconv.Itoa(scopes.MaxHeldLocks)}}, nil, &ls); err != nil {
		return err
	}
	memoryNote(rc, r, ls.App, ls.Storage)
	if err := lockBreakPreview(rc, ls.App, name, ls.Storage, admin.HeldLocks(ls.Locks)); err != nil {
		return err
	}
	var b admin.APILockBroken
	if err := r.call(rc.ctx, "DELETE", appPath(app)+"/locks/"+url.PathEscape(name), nil, nil, &b); err != nil {
		return err
	}
	printLockBroken(rc, b.App, name, b.Detail)
	return nil
}

// memoryNote says, when app's locks live in memory, that the server
// reaches its own only.
func memoryNote(rc *runContext, r *remote, app, storage string) {
	if storage == scopes.StorageMemory {
		fmt.Fprintf(rc.stderr, "%s keeps its locks in memory, inside each server process: these are those of the server at %s only.\n", app, r.base)
	}
}
