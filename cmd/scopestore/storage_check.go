package main

import (
	"context"
	"flag"
	"net/url"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// storageCheckTimeout bounds the Verify of a storage a setting moves to,
// as the console's confirmation page bounds it.
const storageCheckTimeout = 5 * time.Second

// settingsChangeFlags adds --force to the commands that change settings.
func settingsChangeFlags(fs *flag.FlagSet) {
	fs.Bool("force", false, "save a storage that does not pass Verify now (the apps that use it answer 503 until it does)")
}

// forced tells whether --force was given.
func forced(rc *runContext) bool {
	f := rc.flags.Lookup("force")
	return f != nil && f.Value.String() == "true"
}

// refuseUnreachable runs Verify on each connection that the settings move
// a scope kind to, and refuses the change, nothing saved, when one fails,
// unless --force: as the console's confirmation page does.
func refuseUnreachable(rc *runContext, svc *services, values map[string]string) error {
	if forced(rc) {
		return nil
	}
	for setting, value := range values {
		name := scopes.NormalizeStorage(value)
		if !scopes.StorageSetting(setting) || name == scopes.Inherit || scopes.BuiltInStorage(name) {
			continue
		}
		ctx, cancel := context.WithTimeout(rc.ctx, storageCheckTimeout)
		hs, err := svc.manager.Verify(ctx, name)
		cancel()
		if scopes.ErrorCode(err) == scopes.ENotFound {
			continue // the settings' own validation names the storages there are
		}
		if err != nil {
			return admin.UnreachableRefusal(setting, name, scopes.ErrorMessage(err))
		}
		// Each failure in the driver's own words, as 'connection verify' prints it.
		for _, ch := range admin.NewAPIChecks(hs) {
			if !ch.OK {
				return admin.UnreachableRefusal(setting, svc.storageNames(rc.ctx).title(name), ch.Name+": "+ch.Message)
			}
		}
	}
	return nil
}

// forceQuery is the query of a settings change sent to a server: the
// server runs the same check, which ?force=true skips.
func forceQuery(rc *runContext) url.Values {
	if forced(rc) {
		return url.Values{"force": {"true"}}
	}
	return nil
}
