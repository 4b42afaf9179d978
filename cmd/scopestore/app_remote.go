package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// The app commands as --server sends them to a running server's admin
// JSON API; each prints what its local version prints. The server records
// each change in its audit log as the token's user, admin:NAME.

func appCreateRemote(rc *runContext, r *remote, args []string) error {
	var k admin.APINewKey
	if err := r.call(rc.ctx, "POST", "/apps", nil, map[string]string{"name": args[0]}, &k); err != nil {
		return err
	}
	printAppCreated(rc, k.App, k.Key)
	return nil
}

func appDeleteRemote(rc *runContext, r *remote, args []string) error {
	var d admin.APIAppDeleted
	if err := r.call(rc.ctx, "DELETE", appPath(args[0]), nil, nil, &d); err != nil {
		return err
	}
	printAppDeleted(rc, d.App, d.Ended)
	return nil
}

func appSettingsRemote(rc *runContext, r *remote, args []string) error {
	var s admin.APISettings
	var err error
	if values := settingValues(rc.flags); len(values) == 0 {
		err = r.call(rc.ctx, "GET", appPath(args[0])+"/settings", nil, nil, &s)
	} else {
		err = r.call(rc.ctx, "PATCH", appPath(args[0])+"/settings", forceQuery(rc), values, &s)
	}
	if err != nil {
		return err
	}
	return printEffective(rc.stdout, s.Effective(), r.storageNames(rc.ctx))
}

func appKeyAddRemote(rc *runContext, r *remote, args []string) error {
	var k admin.APINewKey
	body := map[string]string{"label": rc.flags.Lookup("label").Value.String()}
	if err := r.call(rc.ctx, "POST", appPath(args[0])+"/keys", nil, body, &k); err != nil {
		return err
	}
	printKeyAdded(rc, k.App, k.Key, k.Name)
	return nil
}

func appKeyListRemote(rc *runContext, r *remote, args []string) error {
	var answer admin.APIKeys
	if err := r.call(rc.ctx, "GET", appPath(args[0])+"/keys", nil, nil, &answer); err != nil {
		return err
	}
	keys := make([]scopes.APIKey, len(answer.Keys))
	for i, k := range answer.Keys {
		keys[i] = k.Key(answer.App)
	}
	return printKeys(rc, answer.App, keys)
}

func appKeyRevokeRemote(rc *runContext, r *remote, args []string) error {
	id, force, err := keyRevokeArgs(rc, args)
	if err != nil {
		return err
	}
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	var answer admin.APIKeyRevoked
	err = r.call(rc.ctx, "DELETE", appPath(args[0])+"/keys/"+strconv.FormatInt(id, 10), q, nil, &answer)
	// The server's refusal of the last key names its ?force=true; the
	// command's is --force.
	const serverAdvice = "; ?force=true revokes it anyway"
	if msg := scopes.ErrorMessage(err); scopes.ErrorCode(err) == scopes.EConflict && strings.HasSuffix(msg, serverAdvice) {
		return &scopes.Error{Code: scopes.EConflict, Err: err, Message: strings.TrimSuffix(msg, serverAdvice) + lastKeyAdvice(args[0])}
	} else if err != nil {
		return err
	}
	printKeyRevoked(rc, answer.App, answer.Name, answer.ActiveLeft)
	return nil
}

func appKeyRotateRemote(rc *runContext, r *remote, args []string) error {
	var k admin.APINewKey
	if err := r.call(rc.ctx, "POST", appPath(args[0])+"/keys/rotate", nil, struct{}{}, &k); err != nil {
		return err
	}
	printKeyRotated(rc, k.App, k.Key)
	return nil
}
