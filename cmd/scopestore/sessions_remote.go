package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// remoteTarget reads --app and --scope for a command sent to --server,
// which finds the app whatever the case of its name.
func remoteTarget(rc *runContext) (string, scopes.Kind, error) {
	app := strings.TrimSpace(rc.flags.Lookup("app").Value.String())
	if app == "" {
		return "", "", usageErrorf("--app is required: the application whose scopes to read")
	}
	k := scopes.Kind(strings.ToLower(strings.TrimSpace(rc.flags.Lookup("scope").Value.String())))
	if k != scopes.Session && k != scopes.Client {
		return "", "", usageErrorf("--scope %q: use session or client", k)
	}
	return app, k, nil
}

// scopesPath is the admin API's path of an app's scopes of kind k.
func scopesPath(app string, k scopes.Kind) string { return appPath(app) + "/" + string(k) + "s" }

func sessionsListRemote(rc *runContext, r *remote, _ []string) error {
	app, k, err := remoteTarget(rc)
	if err != nil {
		return err
	}
	q, err := listQuery(rc)
	if err != nil {
		return err
	}
	v := url.Values{"limit": {strconv.Itoa(q.Limit)}}
	for name, value := range map[string]string{"cursor": q.After, "prefix": q.CFIDPrefix, "key": q.Key, "value": q.Value} {
		if value != "" {
			v.Set(name, value)
		}
	}
	if q.Key != "" || q.Value != "" {
		v.Set("max_scan", strconv.Itoa(q.MaxScan))
	}
	var page struct {
		Scopes  []*scopes.Scope `json:"scopes"`
		Next    string          `json:"next"`
		Partial bool            `json:"partial"`
		Scanned int             `json:"scanned"`
	}
	err = r.call(rc.ctx, "GET", scopesPath(app, k), v, nil, &page)
	if scopes.ErrorCode(err) == scopes.EUnsupported {
		return listUnsupported(err, app, k)
	}
	if err != nil {
		return err
	}
	return printScopePage(rc, app, k, scopes.ListPage{Scopes: page.Scopes, Next: page.Next, Partial: page.Partial, Scanned: page.Scanned})
}

func sessionsShowRemote(rc *runContext, r *remote, args []string) error {
	app, k, err := remoteTarget(rc)
	if err != nil {
		return err
	}
	key, err := sessionKey(app, k, args[0])
	if err != nil {
		return err
	}
	var v url.Values
	if rc.flags.Lookup("reveal").Value.String() == "true" {
		v = url.Values{"reveal": {"true"}}
	}
	var sc scopes.Scope
	if err := r.call(rc.ctx, "GET", scopesPath(app, k)+"/"+key.CFID, v, nil, &sc); err != nil {
		return err
	}
	return printScope(rc, &sc)
}

func sessionsInvalidateRemote(rc *runContext, r *remote, args []string) error {
	app, k, err := remoteTarget(rc)
	if err != nil {
		return err
	}
	if len(args) == 0 || matchFlagsSet(rc) {
		m, err := readMatchFlags(rc, args)
		if err != nil {
			return err
		}
		call := func(q scopes.ListQuery, dry bool) (scopes.MatchRun, error) {
			var a struct {
				Matched, Invalidated, Scanned int
				Complete                      bool
				Next                          string
			}
			body := map[string]any{"prefix": q.CFIDPrefix, "key": q.Key, "value": q.Value, "after": q.After, "dry_run": dry}
			err := r.call(rc.ctx, "POST", scopesPath(app, k)+"/invalidate", nil, body, &a)
			return scopes.MatchRun{Matched: a.Matched, Invalidated: a.Invalidated, Scanned: a.Scanned, Complete: a.Complete, Next: a.Next}, err
		}
		// The server audits the run as the token's user.
		return runMatching(rc, app, k, m, func(q scopes.ListQuery) (scopes.MatchRun, error) { return call(q, true) },
			func(q scopes.ListQuery, _ int) (scopes.MatchRun, error) { return call(q, false) }, nil)
	}
	key, err := sessionKey(app, k, args[0])
	if err != nil {
		return err
	}
	var a struct {
		App     string `json:"app"`
		Cluster bool   `json:"cluster"`
	}
	if err := r.call(rc.ctx, "DELETE", scopesPath(app, k)+"/"+key.CFID, nil, nil, &a); err != nil {
		return err
	}
	key.App = a.App
	printInvalidated(rc, key, a.Cluster)
	return nil
}
