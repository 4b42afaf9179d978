package main

import "github.com/scopestore/scopestore/admin"

// scopeDefaultsRemote shows or changes a running server's defaults, as
// scopeDefaults does on the data directory; the server records
// server.settings as the token's user.
func scopeDefaultsRemote(rc *runContext, r *remote, _ []string) error {
	var s admin.APISettings
	var err error
	if values := settingValues(rc.flags); len(values) == 0 {
		err = r.call(rc.ctx, "GET", "/scope/defaults", nil, nil, &s)
	} else {
		err = r.call(rc.ctx, "PATCH", "/scope/defaults", forceQuery(rc), values, &s)
	}
	if err != nil {
		return err
	}
	return printEffective(rc.stdout, s.Effective(), r.storageNames(rc.ctx))
}
