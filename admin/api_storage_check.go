package admin

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// refuseUnreachable refuses a change of settings that moves a scope kind
// to a storage that does not pass Verify now, unless ?force=true: as the
// console's confirmation page does, since every app that uses it would
// answer 503 at once.
func (a *Console) refuseUnreachable(c echo.Context, values map[string]string) error {
	force, err := forceParam(c, "save a setting whose storage does not pass Verify")
	if err != nil || force {
		return err
	}
	for name, value := range values {
		if !scopes.StorageSetting(name) || strings.EqualFold(strings.TrimSpace(value), scopes.Inherit) {
			continue
		}
		t := storageTarget{To: scopes.NormalizeStorage(value)}
		title := t.To
		if a.Connections != nil {
			conn, err := a.Connections.Connection(c.Request().Context(), t.To)
			if scopes.ErrorCode(err) == scopes.ENotFound {
				// The settings' own validation names the storages there are.
				continue
			} else if err == nil {
				title = conn.Name
			}
		}
		a.checkTarget(c.Request().Context(), &t)
		if !t.Reachable {
			return UnreachableRefusal(name, title, t.Message)
		}
	}
	return nil
}

// UnreachableRefusal is the refusal of a change of setting that names a
// storage that did not pass Verify: nothing is saved, and it says how to
// save anyway (--force on the command line, ?force=true on the API).
func UnreachableRefusal(setting, storage, why string) error {
	return scopes.Errorf(scopes.EConflict, "%s: storage %s did not pass Verify just now (%s), and every app that uses it would answer "+
		"503 at once: nothing saved. Fix the connection (its Verify on the console, or 'scopestore connection verify %s'), "+
		"or save anyway with --force (?force=true on the admin API)", setting, storage, why, storage)
}

// forceParam reads ?force: absent is false, and a value that is not a
// boolean is refused, naming what force=true does (for), rather than read
// as false.
func forceParam(c echo.Context, does string) (bool, error) {
	s := c.QueryParam("force")
	if s == "" {
		return false, nil
	}
	force, err := strconv.ParseBool(s)
	if err != nil {
		return false, scopes.Errorf(scopes.EInvalid, "force=%q: use force=true to %s", clipMessage(s, 40), does)
	}
	return force, nil
}
