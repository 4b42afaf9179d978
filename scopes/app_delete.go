package scopes

import (
	"context"
	"fmt"
)

// DeleteAppAndScopes deletes an app after ending its live scopes, so that
// an app created again under the same name starts with none of the old
// one's sessions: its keys are revoked first, so that no scope is created
// meanwhile; then every live scope of both kinds is ended, in the storages
// its settings name (their end is notified as an invalidation); then the
// app, its keys and its settings are deleted. When a storage fails, the app
// stays, its keys revoked, and the error says to try again. It returns how
// many scopes it ended.
func (d *Directory) DeleteAppAndScopes(ctx context.Context, e *Engine, name string) (int, error) {
	eff, err := d.Effective(ctx, name)
	if err != nil {
		return 0, err
	}
	if err := d.RevokeKeys(ctx, name); err != nil {
		return 0, err
	}
	ended := 0
	for _, k := range Kinds {
		if !eff.Settings.Of(k).Management {
			continue
		}
		n, err := e.InvalidateAll(ctx, eff.Settings, name, k)
		ended += n
		if err != nil {
			d.audit(ctx, "app.delete", name, fmt.Sprintf("not deleted: %d live scopes ended, then ending the %s scopes failed; its API keys are revoked", ended, k))
			return ended, &Error{Code: ErrorCode(err), Err: err, Message: fmt.Sprintf(
				"app %q is not deleted: its API keys are revoked and %d live scopes ended, but ending its %s scopes failed (%s); delete it again once the storage answers",
				name, ended, k, ErrorMessage(err))}
		}
	}
	found, err := d.config.DeleteApp(ctx, name)
	if err != nil {
		return ended, configError(err)
	}
	if !found {
		return ended, appNotFound(name)
	}
	d.forget()
	d.audit(ctx, "app.delete", name, fmt.Sprintf("deleted with its API keys and settings; %d live scopes ended", ended))
	return ended, nil
}
