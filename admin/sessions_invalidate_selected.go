package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// maxSelected bounds a selection: the rows of one page of the list at most.
const maxSelected = scopes.MaxListLimit

// selectedView is the page that confirms invalidating the rows ticked on
// the list.
type selectedView struct {
	App   string
	Kind  scopes.Kind
	CFIDs []string
	// Back is the list the selection was made on, with its filters.
	Back    string
	Storage string
	Webhook string
	Confirm map[string]string
}

func (v selectedView) noun() string { return kindNoun(v.Kind, len(v.CFIDs) != 1) }

// invalidateSelectedPath is where the list's selection is posted.
func invalidateSelectedPath(app string, k scopes.Kind) string {
	return sessionsPath + "/" + url.PathEscape(app) + "/" + string(k) + "/invalidate-selected"
}

// backPath is the list to return to after a selection: the list the form
// came from when it is one, the app's list otherwise, so that the field
// cannot send the browser elsewhere.
func backPath(back, app string, k scopes.Kind) string {
	if strings.HasPrefix(back, sessionsPath+"?") && !strings.ContainsAny(back, "\r\n\\") {
		return back
	}
	return sessionsListPath(app, k)
}

// invalidateSelected confirms, then invalidates, the scopes ticked on the
// list: the first post (from the list) shows what it will end, the second
// (with the box ticked) ends them.
func (o *invalidations) invalidateSelected(c echo.Context) error {
	ctx := c.Request().Context()
	app, k, set, err := o.appKind(ctx, c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return scopes.Errorf(scopes.EInvalid, "The form could not be read: %v", err)
	}
	v := selectedView{App: app, Kind: k, Back: backPath(form.Get("back"), app, k), Storage: set.Of(k).Storage,
		Webhook: set.EndWebhook, Confirm: map[string]string{}}
	seen := map[string]bool{}
	for _, cfid := range form["cfid"] {
		key, err := scopeKey(app, string(k), strings.TrimSpace(cfid))
		if err != nil {
			return err
		}
		if !seen[key.CFID] {
			seen[key.CFID] = true
			v.CFIDs = append(v.CFIDs, key.CFID)
		}
	}
	switch {
	case len(v.CFIDs) == 0:
		setFlash(c, "warn", "Tick the "+kindNoun(k, true)+" to invalidate first, then press Invalidate selected.")
		return redirect(c, v.Back)
	case len(v.CFIDs) > maxSelected:
		return scopes.Errorf(scopes.EInvalid, "%d %s are selected: invalidate at most %d at once.", len(v.CFIDs), kindNoun(k, true), maxSelected)
	}
	m := o.meta(c, "Invalidate "+fmt.Sprint(len(v.CFIDs))+" selected "+v.noun()+" of "+app, "sessions")
	if form.Get("step") != "confirm" {
		return o.render(c, http.StatusOK, invalidateSelectedPage(m, v))
	}
	if !confirmed(c) {
		v.Confirm["invalidate-selected"] = confirmMessage
		return o.render(c, http.StatusUnprocessableEntity, invalidateSelectedPage(m, v))
	}
	eng, err := o.engine()
	if err != nil {
		return err
	}
	keys := make([]scopes.Key, len(v.CFIDs))
	for i, cfid := range v.CFIDs {
		keys[i] = scopes.Key{App: app, Kind: k, CFID: cfid}
		o.history.forget(keys[i])
	}
	n, err := eng.InvalidateKeys(ctx, set, keys)
	detail := fmt.Sprintf("%d of %d selected %s invalidated in the console (storage %s): %s",
		n, len(keys), kindNoun(k, len(keys) != 1), v.Storage, strings.Join(v.CFIDs, ", "))
	if err != nil {
		detail += "; then it stopped: " + scopes.ErrorMessage(err)
	}
	o.audit(ctx, string(k)+".invalidate_selected", app, detail)
	if err != nil {
		o.Logger.Error("invalidate selected", "app", app, "kind", k, "invalidated", n, "err", err)
		setFlash(c, "bad", fmt.Sprintf("Invalidated %d of the %d selected %s of %s, then it stopped: %s",
			n, len(keys), kindNoun(k, true), app, scopes.ErrorMessage(err)))
		return redirect(c, v.Back)
	}
	msg := fmt.Sprintf("Invalidated %d selected %s of %s: the application's next load of each answers 404.", n, kindNoun(k, n != 1), app)
	if gone := len(keys) - n; gone > 0 {
		msg += fmt.Sprintf(" %d had ended already.", gone)
	}
	setFlash(c, "ok", msg)
	return redirect(c, v.Back)
}
