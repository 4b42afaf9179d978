package main

import (
	"fmt"
	"net/url"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// appApplicationRemote is `app application NAME` through --server: the
// server reads the scope, its own memory included, and records
// application.view (or .reveal) as the token's user.
func appApplicationRemote(rc *runContext, r *remote, args []string) error {
	_, err := showSharedRemote(rc, r, appPath(args[0])+"/application")
	return err
}

// scopeServerRemote is `scope server` through --server.
func scopeServerRemote(rc *runContext, r *remote, _ []string) error {
	s, err := showSharedRemote(rc, r, "/scope/server")
	if err != nil {
		return err
	}
	printWriters(rc, s.Writers)
	return nil
}

// showSharedRemote asks the server for the shared scope at path, with
// ?reveal=true for --reveal, and prints it as showShared does.
func showSharedRemote(rc *runContext, r *remote, path string) (admin.APISharedScope, error) {
	var q url.Values
	if rc.flags.Lookup("reveal").Value.String() == "true" {
		q = url.Values{"reveal": {"true"}}
	}
	var s admin.APISharedScope
	if err := r.call(rc.ctx, "GET", path, q, nil, &s); err != nil {
		return s, err
	}
	key := scopes.ServerKey()
	if s.Kind == scopes.Application {
		key = scopes.ApplicationKey(s.App)
	}
	if s.Scope == nil {
		printNoShared(rc, key)
		return s, nil
	}
	if s.Storage == scopes.StorageMemory {
		fmt.Fprintf(rc.stderr, "Note: %s lives in storage %q: this is the copy of the server at %s; each other instance has its own.\n",
			sharedNoun(key), s.Storage, r.base)
	}
	return s, printShared(rc, s.Scope)
}
