package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// sharedEmptyPath is where emptying a shared scope is confirmed, the
// version seen on the scope's page in the query.
func sharedEmptyPath(k scopes.Kind, app string, version int64) string {
	p := sharedPath(k, app) + "/empty"
	if version > 0 {
		p += "?version=" + strconv.FormatInt(version, 10)
	}
	return p
}

// sharedEmptyView is the page that confirms emptying a shared scope: what
// it holds now, and the version the form empties.
type sharedEmptyView struct {
	Shared sharedScope
	// Seen is the version the scope's page showed, 0 when unknown; the
	// page warns when the scope has moved on since.
	Seen int64
	// Keys is how many members the data has at its top level.
	Keys int
	// Confirm holds the message beside the box left unticked.
	Confirm map[string]string
}

// changed tells that the scope was written since its page was shown.
func (v sharedEmptyView) changed() bool {
	return v.Seen > 0 && v.Shared.Scope != nil && v.Shared.Scope.Version != v.Seen
}

// dataEmpty tells whether a scope's data is the empty object, which there
// is no point emptying.
func dataEmpty(sc *scopes.Scope) bool {
	var b bytes.Buffer
	return json.Compact(&b, sc.Data) == nil && b.String() == "{}"
}

// sharedEmptyForm confirms emptying a shared scope: the application scope
// of the app in the path, or the server scope.
func (a *Console) sharedEmptyForm(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		seen, _ := strconv.ParseInt(c.QueryParam("version"), 10, 64)
		return a.renderSharedEmpty(c, k, http.StatusOK, seen, nil)
	}
}

// renderSharedEmpty shows the confirmation page of emptying a shared
// scope as it is now.
func (a *Console) renderSharedEmpty(c echo.Context, k scopes.Kind, status int, seen int64, confirm map[string]string) error {
	ctx := c.Request().Context()
	set, app, err := a.sharedSettings(ctx, c, k)
	if err != nil {
		return err
	}
	s := a.readShared(ctx, set, k, app)
	if s.Problem != "" {
		return scopes.Errorf(scopes.EUnavailable, "The %s could not be read: %s", s.noun(), s.Problem)
	}
	if confirm == nil {
		confirm = map[string]string{}
	}
	v := sharedEmptyView{Shared: s, Seen: seen, Confirm: confirm}
	if s.Scope != nil {
		var top map[string]json.RawMessage
		if json.Unmarshal(s.Scope.Data, &top) == nil {
			v.Keys = len(top)
		}
	}
	return a.render(c, status, sharedEmptyPage(a.meta(c, "Empty the "+s.noun(), sectionOf(k)), v))
}

// sharedEmpty replaces a shared scope's data by {} once the box is ticked,
// only if the scope is still at the version the confirmation page showed:
// data written meanwhile is never erased unseen. It is audited, and the
// scope's page says what became of it.
func (a *Console) sharedEmpty(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
		if err != nil || version < 1 {
			return scopes.Errorf(scopes.EInvalid, "The form does not say which version of the scope to empty: open the scope's page and try again.")
		}
		if !confirmed(c) {
			return a.renderSharedEmpty(c, k, http.StatusUnprocessableEntity, version, map[string]string{"empty": confirmMessage})
		}
		if a.Engine == nil {
			return scopes.Errorf(scopes.EUnsupported, "This console was started without access to the storages, so it cannot empty a scope.")
		}
		ctx := c.Request().Context()
		set, app, err := a.sharedSettings(ctx, c, k)
		if err != nil {
			return err
		}
		key := scopes.ServerKey()
		if k == scopes.Application {
			key = scopes.ApplicationKey(app)
		}
		// An administrator writes the server scope whichever apps may.
		set.ServerScopeWrite = true
		wctx, cancel := context.WithTimeout(ctx, sharedReadTimeout)
		defer cancel()
		noun := sharedScope{Kind: k, App: app}.noun()
		sc, err := a.Engine.SaveIf(wctx, set, key, json.RawMessage("{}"), scopes.Cond{IfVersions: []int64{version}})
		if scopes.ErrorCode(err) == scopes.EPreconditionFailed {
			a.Logger.Info("shared scope not emptied: written since the admin looked", "kind", k, "app", app, "version", version, "err", err)
			setFlash(c, "bad", fmt.Sprintf("The %s changed since you looked: it is no longer at version %d. Nothing was emptied: "+
				"look at its data again, then empty it if you still mean to.", noun, version))
			return redirect(c, sharedPath(k, app))
		} else if err != nil {
			return err
		}
		a.audit(c, string(k)+".empty", sharedTarget(k, app),
			fmt.Sprintf("emptied in the console: the data of version %d replaced by {} as version %d (storage %s)", version, sc.Version, set.Of(k).Storage))
		setFlash(c, "ok", fmt.Sprintf("The %s is emptied: its data is {} now, at version %d.", noun, sc.Version))
		return redirect(c, sharedPath(k, app))
	}
}

// sharedSettings returns the settings that name a shared scope's storage,
// and the app of an application scope ("" for the server scope).
func (a *Console) sharedSettings(ctx context.Context, c echo.Context, k scopes.Kind) (scopes.Settings, string, error) {
	if k == scopes.Server {
		acc, err := a.Directory.ServerScopeAccess(ctx)
		if err != nil {
			return scopes.Settings{}, "", err
		}
		return acc.Settings.Settings, "", nil
	}
	app := c.Param("name")
	eff, err := a.Directory.Effective(ctx, app)
	if err != nil {
		return scopes.Settings{}, "", err
	}
	return eff.Settings, app, nil
}
