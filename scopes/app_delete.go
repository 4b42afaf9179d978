package scopes

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
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
	var unlisted []string
	for _, k := range Kinds {
		if !eff.Settings.Of(k).Management {
			continue
		}
		n, err := e.InvalidateAll(ctx, eff.Settings, name, k)
		ended += n
		if ErrorCode(err) == EUnsupported {
			// memcached cannot list them: they stay until they expire.
			unlisted = append(unlisted, fmt.Sprintf("its %s scopes in %s", k, eff.Settings.Of(k).Storage))
			continue
		}
		if err != nil {
			d.audit(ctx, "app.delete", name, fmt.Sprintf("not deleted: %d live scopes ended, then ending the %s scopes failed; its API keys are revoked", ended, k))
			return ended, &Error{Code: ErrorCode(err), Err: err, Message: fmt.Sprintf(
				"app %q is not deleted: its API keys are revoked and %d live scopes ended, but ending its %s scopes failed (%s); delete it again once the storage answers",
				name, ended, k, ErrorMessage(err))}
		}
	}
	// The application scope goes with its app: one created again under
	// this name starts afresh.
	switch err := e.Delete(ctx, eff.Settings, ApplicationKey(name)); ErrorCode(err) {
	case "", ENotFound:
	default:
		d.audit(ctx, "app.delete", name, fmt.Sprintf("not deleted: %d live scopes ended, then ending the application scope failed; its API keys are revoked", ended))
		return ended, &Error{Code: ErrorCode(err), Err: err, Message: fmt.Sprintf(
			"app %q is not deleted: its API keys are revoked and %d live scopes ended, but ending its application scope failed (%s); delete it again once the storage answers",
			name, ended, ErrorMessage(err))}
	}
	found, err := d.config.DeleteApp(ctx, name)
	if err != nil {
		return ended, configError(err)
	}
	if !found {
		return ended, appNotFound(name)
	}
	d.forget()
	detail := fmt.Sprintf("deleted with its API keys and settings; %d live scopes ended", ended)
	if len(unlisted) > 0 {
		// Said where an operator reads it: an app created again under this
		// name before they expire would read them.
		detail += "; " + strings.Join(unlisted, " and ") + " cannot be listed to end them and stay until they expire (an app created again under this name meanwhile would read them)"
		slog.WarnContext(ctx, "app deleted, but some of its scopes cannot be listed to end them; they stay until they expire", "app", name, "left", unlisted)
	}
	d.audit(ctx, "app.delete", name, detail)
	return ended, nil
}
