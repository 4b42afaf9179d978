package admin

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// sessionsPath is the Sessions page: the live scopes of one app and kind.
const sessionsPath = Prefix + "/sessions"

// sessionOps serves Operations → Sessions and the admin JSON API: the
// console, with what it remembers of the scopes it showed.
type sessionOps struct {
	*Console
	history *seenHistory
	// now returns the current time; tests need not replace it.
	now func() time.Time
}

func newSessionOps(a *Console) *sessionOps {
	return &sessionOps{Console: a, history: newSeenHistory(), now: time.Now}
}

// engine returns the engine that reads the storages; a console wired
// without one cannot show scopes.
func (o *sessionOps) engine() (*scopes.Engine, error) {
	if o.Engine == nil {
		return nil, scopes.Errorf(scopes.EUnavailable, "This console was started without access to the storages, so it cannot show scopes.")
	}
	return o.Engine, nil
}

// settingsOf returns an app's effective settings, which name the storage of
// each scope kind.
func (o *sessionOps) settingsOf(ctx context.Context, app string) (scopes.Settings, error) {
	eff, err := o.Directory.Effective(ctx, app)
	if err != nil {
		return scopes.Settings{}, err
	}
	return eff.Settings, nil
}

// parseKind reads a scope kind as the console's paths and forms write it.
func parseKind(s string) (scopes.Kind, error) {
	k := scopes.Kind(strings.ToLower(strings.TrimSpace(s)))
	if !k.Valid() {
		return "", scopes.Errorf(scopes.EInvalid, "%q is not a scope kind: use session or client.", s)
	}
	return k, nil
}

// scopeKey reads the app, kind and cfid of a scope's path; a cfid that is
// not a UUID is refused before any storage is read, as the runtime API does.
func scopeKey(app, kind, cfid string) (scopes.Key, error) {
	k, err := parseKind(kind)
	if err != nil {
		return scopes.Key{}, err
	}
	lower, ok := scopes.ParseCFID(cfid)
	if !ok {
		return scopes.Key{}, scopes.Errorf(scopes.EInvalid, "%q is not a cfid: a cfid is a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e.", clipMessage(cfid, 80))
	}
	return scopes.Key{App: app, Kind: k, CFID: lower}, nil
}

// sessionsListPath is the Sessions page of an app's scopes of kind k.
func sessionsListPath(app string, k scopes.Kind) string {
	return sessionsPath + "?" + url.Values{"app": {app}, "scope": {string(k)}}.Encode()
}

// instancePath is the page of one scope; suffix ("/invalidate") is added.
func instancePath(key scopes.Key, suffix string) string {
	return sessionsPath + "/" + url.PathEscape(key.App) + "/" + string(key.Kind) + "/" + key.CFID + suffix
}

// invalidateAllPath is the confirmation page that invalidates every scope
// of an app's kind.
func invalidateAllPath(app string, k scopes.Kind) string {
	return sessionsPath + "/" + url.PathEscape(app) + "/" + string(k) + "/invalidate-all"
}

// kindNoun names scopes of kind k: "session", "sessions", "client scope", "client scopes",
// "application scope", "server scope".
func kindNoun(k scopes.Kind, plural bool) string {
	noun := "session"
	switch k {
	case scopes.Client:
		noun = "client scope"
	case scopes.Application:
		noun = "application scope"
	case scopes.Server:
		noun = "server scope"
	}
	if plural {
		noun += "s"
	}
	return noun
}

// shortCFID is a cfid as a list shows it: its first 8 characters, so that
// a screen or a screenshot does not hand out whole session ids.
func shortCFID(cfid string) string {
	if len(cfid) <= 8 {
		return cfid
	}
	return cfid[:8] + "…"
}

// audit records an operator's action; a failure to record it is logged,
// never shown, since the action itself has been done.
func (o *sessionOps) audit(ctx context.Context, action, target, detail string) {
	o.auditAt(ctx, o.now(), action, target, detail)
}

// auditAt records an action in the audit log as ctx's actor, at at; a
// failure to record it is logged, not returned, as the action is done.
func (a *Console) auditAt(ctx context.Context, at time.Time, action, target, detail string) {
	e := scopes.AuditEntry{At: at, Actor: scopes.ActorFrom(ctx), Action: action, Target: target, Detail: detail}
	if err := a.Admins.AddAudit(ctx, e); err != nil {
		a.Logger.ErrorContext(ctx, "audit log write failed", "action", action, "target", target, "err", err)
	}
}

// auditTarget names a scope in the audit log: "shop session 0f8fad5b-…".
func auditTarget(key scopes.Key) string {
	return key.App + " " + string(key.Kind) + " " + key.CFID
}
