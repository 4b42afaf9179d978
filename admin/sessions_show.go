package admin

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// instanceView is one scope's page: its built-ins, its data as a tree, the
// versions this console saw, and the form that invalidates it.
type instanceView struct {
	Key   scopes.Key
	Scope *scopes.Scope
	Tree  dataTreeView
	// SensitiveKeys are the app's own sensitive key names, which the page
	// lists beside the built-in words.
	SensitiveKeys []string
	// TreeErr is why the data could not be drawn.
	TreeErr string
	History []observation
	Now     time.Time
	// Confirm is the message beside the invalidate box left unticked.
	Confirm map[string]string
}

func (o *sessionOps) show(c echo.Context) error {
	return o.renderInstance(c, http.StatusOK, nil)
}

// renderInstance shows a scope's page, reading it without a visit.
func (o *sessionOps) renderInstance(c echo.Context, status int, confirm map[string]string) error {
	ctx := c.Request().Context()
	key, set, sc, err := o.peek(ctx, c.Param("app"), c.Param("kind"), c.Param("cfid"))
	if err != nil {
		return err
	}
	now := o.now()
	o.history.observe(key, sc, "open", now)
	if status == http.StatusOK {
		o.audit(ctx, string(key.Kind)+".view", auditTarget(key), "opened in the console: its data was shown, sensitive keys masked")
	}
	v := instanceView{Key: key, Scope: sc, SensitiveKeys: set.SensitiveKeys, History: o.history.of(key), Now: now, Confirm: confirm}
	if v.Confirm == nil {
		v.Confirm = map[string]string{}
	}
	v.Tree, err = dataTree(sc.Data, set.SensitiveKeys)
	if err != nil {
		o.Logger.Warn("scope data does not parse", "app", key.App, "kind", key.Kind, "cfid", key.CFID, "err", err)
		v.TreeErr = "The data could not be read as a JSON object, so it is not shown."
	}
	m := o.meta(c, title(kindNoun(key.Kind, false))+" "+shortCFID(key.CFID), "sessions")
	return o.render(c, status, instancePage(m, v))
}

// peek reads the scope a path names, without a visit, with the effective
// settings of its app.
func (o *sessionOps) peek(ctx context.Context, app, kind, cfid string) (scopes.Key, scopes.Settings, *scopes.Scope, error) {
	var set scopes.Settings
	key, err := scopeKey(app, kind, cfid)
	if err != nil {
		return key, set, nil, err
	}
	eng, err := o.engine()
	if err != nil {
		return key, set, nil, err
	}
	set, err = o.settingsOf(ctx, key.App)
	if err != nil {
		return key, set, nil, err
	}
	sc, err := eng.Peek(ctx, set, key)
	return key, set, sc, scopeGone(key, err)
}

// scopeGone words "not found" for an operator rather than for the app, as
// a goneError: a scope's page that is reloaded after the scope ended
// stays in the console and leads back to its app's list.
func scopeGone(key scopes.Key, err error) error {
	if scopes.ErrorCode(err) != scopes.ENotFound {
		return err
	}
	return &goneError{Key: key, Err: scopes.Errorf(scopes.ENotFound, "There is no live %s %s of %s: it expired or was invalidated.",
		kindNoun(key.Kind, false), key.CFID, key.App)}
}

// goneError is a scope that is no longer live: it expired, or the app, the
// CLI or an operator invalidated it.
type goneError struct {
	Key scopes.Key
	Err *scopes.Error
}

func (e *goneError) Error() string { return e.Err.Error() }

// Unwrap lets the error page and the JSON API read the code and message.
func (e *goneError) Unwrap() error { return e.Err }

// guide titles the error page after the scope and leads back to the list
// of its app's scopes, and to the audit log, which names whoever
// invalidated it in the console or the CLI.
func (e *goneError) guide(v errorView) errorView {
	v.Heading = title(kindNoun(e.Key.Kind, false)) + " " + shortCFID(e.Key.CFID) + " is gone"
	v.Title = v.Heading
	v.Hint = "Whoever invalidated it from the console or the CLI is named in the audit log; the application's own invalidations and expiries are not recorded there."
	v.Section = "sessions"
	v.Links = []errorLink{
		{sessionsListPath(e.Key.App, e.Key.Kind), "All " + kindNoun(e.Key.Kind, true) + " of " + e.Key.App},
		{Prefix + "/audit", "Audit log"},
	}
	return v
}

// builtin is one built-in of a scope as its page lists it.
type builtin struct {
	Name, Value, Note string
}

// builtins lists a scope's built-ins, as the runtime API names them.
func (v instanceView) builtins() []builtin {
	sc := v.Scope
	out := []builtin{
		{"cfid", sc.CFID, ""},
		{"cftoken", sc.CFToken, ""},
		{"urltoken", sc.URLToken, ""},
	}
	if sc.SessionID != "" {
		out = append(out, builtin{"sessionid", sc.SessionID, ""})
	}
	out = append(out,
		builtin{"timecreated", utcTime(sc.TimeCreated), ""},
		builtin{"lastvisit", utcTime(sc.LastVisit), ""},
	)
	if sc.HitCount != nil {
		out = append(out, builtin{"hitcount", strconv.FormatInt(*sc.HitCount, 10), ""})
	}
	out = append(out,
		builtin{"expires", utcTime(sc.Expires), untilText(sc.Expires, v.Now)},
		builtin{"version", strconv.FormatInt(sc.Version, 10), ""},
		builtin{"storage", sc.Storage, ""},
		builtin{"size", strconv.Itoa(len(sc.Data)) + " bytes", "of JSON data"},
	)
	return out
}
