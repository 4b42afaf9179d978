package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// invalidate ends one scope: the app's next load of it answers 404.
func (o *sessionOps) invalidate(c echo.Context) error {
	if !confirmed(c) {
		return o.renderInstance(c, http.StatusUnprocessableEntity, map[string]string{"invalidate": confirmMessage})
	}
	ctx := c.Request().Context()
	key, err := scopeKey(c.Param("app"), c.Param("kind"), c.Param("cfid"))
	if err != nil {
		return err
	}
	eng, err := o.engine()
	if err != nil {
		return err
	}
	set, err := o.settingsOf(ctx, key.App)
	if err != nil {
		return err
	}
	if err := eng.Delete(ctx, set, key); err != nil {
		return scopeGone(key, err)
	}
	o.history.forget(key)
	o.audit(ctx, string(key.Kind)+".invalidate", auditTarget(key), "invalidated in the console")
	setFlash(c, "ok", fmt.Sprintf("%s %s of %s is invalidated: the application's next load of it answers 404.",
		title(kindNoun(key.Kind, false)), shortCFID(key.CFID), key.App))
	return redirect(c, sessionsListPath(key.App, key.Kind))
}

// invalidateAllView is the page that confirms invalidating every scope of
// an app's kind, naming how many there are.
type invalidateAllView struct {
	App     string
	Kind    scopes.Kind
	Storage string
	Count   liveCount
	Confirm map[string]string
}

// batch is how many scopes InvalidateAll deletes at a time.
func (invalidateAllView) batch() string { return strconv.Itoa(scopes.InvalidateBatch) }

func (o *sessionOps) invalidateAllForm(c echo.Context) error {
	return o.renderInvalidateAll(c, http.StatusOK, nil)
}

func (o *sessionOps) renderInvalidateAll(c echo.Context, status int, confirm map[string]string) error {
	ctx := c.Request().Context()
	app, k, set, err := o.appKind(ctx, c)
	if err != nil {
		return err
	}
	if _, err := o.engine(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	if confirm == nil {
		confirm = map[string]string{}
	}
	v := invalidateAllView{App: app, Kind: k, Storage: set.Of(k).Storage, Count: o.count(cctx, set, app, k, nil), Confirm: confirm}
	return o.render(c, status, invalidateAllPage(o.meta(c, "Invalidate all "+kindNoun(k, true)+" of "+app, "sessions"), v))
}

// invalidateAll ends every live scope of an app's kind, batch by batch.
func (o *sessionOps) invalidateAll(c echo.Context) error {
	if !confirmed(c) {
		return o.renderInvalidateAll(c, http.StatusUnprocessableEntity, map[string]string{"invalidate-all": confirmMessage})
	}
	ctx := c.Request().Context()
	app, k, set, err := o.appKind(ctx, c)
	if err != nil {
		return err
	}
	eng, err := o.engine()
	if err != nil {
		return err
	}
	// Closing the tab must not leave the work half done: it runs to its end.
	n, err := eng.InvalidateAll(context.WithoutCancel(ctx), set, app, k)
	detail := fmt.Sprintf("%d %s invalidated in the console (storage %s)", n, kindNoun(k, n != 1), set.Of(k).Storage)
	if err != nil {
		detail += ", then it stopped: " + scopes.ErrorMessage(err)
	}
	o.audit(ctx, string(k)+".invalidate_all", app, detail)
	if err != nil {
		o.Logger.Error("invalidate all", "app", app, "kind", k, "invalidated", n, "err", err)
		setFlash(c, "bad", fmt.Sprintf("Invalidated %d %s of %s, then it stopped: %s Try again to invalidate the rest.",
			n, kindNoun(k, n != 1), app, scopes.ErrorMessage(err)))
		return redirect(c, sessionsListPath(app, k))
	}
	setFlash(c, "ok", fmt.Sprintf("Invalidated %d %s of %s.", n, kindNoun(k, n != 1), app))
	return redirect(c, sessionsListPath(app, k))
}

// appKind reads the app and kind of the path, with the app's settings.
func (o *sessionOps) appKind(ctx context.Context, c echo.Context) (string, scopes.Kind, scopes.Settings, error) {
	k, err := parseKind(c.Param("kind"))
	if err != nil {
		return "", "", scopes.Settings{}, err
	}
	app := c.Param("app")
	set, err := o.settingsOf(ctx, app)
	return app, k, set, err
}
