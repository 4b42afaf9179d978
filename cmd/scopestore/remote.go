package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// remote is a running scopestore that a command reaches over its admin
// JSON API, as --server and --token name it.
type remote struct {
	base  string // the server's URL, without a trailing slash
	token string
	http  *http.Client
}

// remoteTimeout bounds one call: a targeted invalidation answers when its
// run ends, which is bounded by scopes.MaxMatchScan.
const remoteTimeout = 5 * time.Minute

// newRemote checks --server and --token.
func newRemote(cfg *Config) (*remote, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.Server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--server %q: give the running server's URL, like http://127.0.0.1:8080", cfg.Server)
	}
	if cfg.Token == "" {
		return nil, usageErrorf("--server needs --token (or SCOPESTORE_TOKEN): an admin API token, from the console's " +
			"API tokens page or 'scopestore admin token create' on the server's machine")
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), admin.Prefix)
	return &remote{base: strings.TrimSuffix(u.String(), "/"), token: cfg.Token, http: &http.Client{Timeout: remoteTimeout}}, nil
}

// withServer runs onServer against --server when it is given, and local
// on the data directory otherwise.
func withServer(local func(*runContext, *services, []string) error, onServer func(*runContext, *remote, []string) error) func(*runContext, []string) error {
	return serverOr(withServices(local), onServer)
}

// withAppServer is withServer for a command whose first argument names an
// app: locally withApp finds the name as created; a server does that
// itself, and its answers name the app as created.
func withAppServer(local func(*runContext, *services, []string) error, onServer func(*runContext, *remote, []string) error) func(*runContext, []string) error {
	return serverOr(withApp(local), onServer)
}

// serverOr runs onServer when --server is given, and local otherwise.
func serverOr(local func(*runContext, []string) error, onServer func(*runContext, *remote, []string) error) func(*runContext, []string) error {
	return func(rc *runContext, args []string) error {
		if rc.cfg.Server == "" {
			return local(rc, args)
		}
		r, err := newRemote(rc.cfg)
		if err != nil {
			return err
		}
		return onServer(rc, r, args)
	}
}

// errLocalOnly refuses --server to a command that works on the data
// directory only: it needs the secret key or the data directory itself.
var errLocalOnly = usageErrorf("this command works on the data directory, not through --server (connection rekey, migrate, admin … " +
	"and serve need the secret key or the data directory): run it on the server's machine without --server (and SCOPESTORE_SERVER unset)")

// call sends method to the admin API's path with query and, unless nil,
// body as JSON, and decodes a 2xx answer into out (unless nil). An error
// answer becomes the *scopes.Error it carries, so that its message and
// exit code are the server's.
func (r *remote) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	status, data, err := r.send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if status >= 300 {
		return r.answerError(method, path, status, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return scopes.Errorf(scopes.EUnavailable, "%s %s answered what this command cannot read (%v): is the server the same version?", method, r.target(path, nil), err)
	}
	return nil
}

// target is the URL of path under the admin API, with query.
func (r *remote) target(path string, query url.Values) string {
	target := r.base + admin.APIPrefix + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	return target
}

// send sends method to the admin API's path with query and, unless nil,
// body as JSON, and returns the answer's status and body, whatever the
// status: a connection that fails is the error.
func (r *remote) send(ctx context.Context, method, path string, query url.Values, body any) (int, []byte, error) {
	target := r.target(path, query)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("encode the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := r.http.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, nil, err
		}
		return 0, nil, scopes.Errorf(scopes.EUnavailable, "cannot reach the server at %s: %v; is scopestore running there, and is --server its address?", r.base, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return 0, nil, scopes.Errorf(scopes.EUnavailable, "reading the answer of %s: %v", r.base, err)
	}
	return res.StatusCode, data, nil
}

// answerError is the *scopes.Error that an error answer carries.
func (r *remote) answerError(method, path string, status int, data []byte) error {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
		return scopes.Errorf(scopes.EUnavailable, "%s %s answered %d %s, not as scopestore's admin API does: is --server a scopestore's address?",
			method, r.target(path, nil), status, http.StatusText(status))
	}
	return scopes.Errorf(e.Error.Code, "the server refused: %s", e.Error.Message)
}

// appPath is an app's path in the admin API: /apps/NAME.
func appPath(app string) string { return "/apps/" + url.PathEscape(app) }

// connectionPath is a connection's path in the admin API: /connections/NAME.
func connectionPath(name string) string { return "/connections/" + url.PathEscape(name) }
