package couchbase

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/couchbase/gocb/v2"
	gocbconnstr "github.com/couchbaselabs/gocbconnstr/v2"

	"github.com/scopestore/scopestore/scopes"
)

// DefaultCollection is the scope and the collection of a connection whose
// scope or collection param is unset: Couchbase's own default, which every
// bucket has.
const DefaultCollection = "_default"

// Client defaults, for what the params do not set.
const (
	// defaultKVTimeout bounds a read or write of one document (gocb: 2.5s).
	defaultKVTimeout = 2500 * time.Millisecond
	// defaultQueryTimeout bounds a SQL++ query of List, Count and
	// DeleteExpired, which wait for the index to catch up (request_plus).
	defaultQueryTimeout = 30 * time.Second
	// indexTimeout bounds the CREATE INDEX of the first List, Count or
	// DeleteExpired, which builds the index over what the collection holds.
	indexTimeout = 5 * time.Minute
)

// Names Couchbase allows: a bucket's of up to 100 characters, a scope's or
// collection's of up to 251. Checked here because they are written into
// SQL++ statements between backticks.
var (
	bucketNamePattern     = regexp.MustCompile(`^[A-Za-z0-9._%-]{1,100}$`)
	collectionNamePattern = regexp.MustCompile(`^[A-Za-z0-9_%-]{1,251}$`)
)

// config is a connection's params, checked.
type config struct {
	name                      string
	connStr                   string
	bucket, scope, collection string
	username, password        string
	kvTimeout                 time.Duration
}

// Open returns a store over the Couchbase connection c. Its params are url
// (couchbase://host[,host…] or couchbases:// for TLS; gocb's own options
// may follow in its query), bucket (required), scope and collection
// (DefaultCollection when unset), username (or the url's user name), and
// timeout (the timeout of each document's read or write, 2.5s when unset);
// c.Secret is the password.
//
// Open checks the configuration, with an *scopes.Error with code EInvalid
// that says which param to set or fix, but does not wait for the server:
// gocb connects in the background, and each operation waits for the bucket
// within its own timeout. While Couchbase is down, operations fail with
// EUnavailable and gocb reconnects by itself once it is back, so that
// scopestore starts and answers 503 meanwhile rather than not at all.
func Open(_ context.Context, c scopes.Connection) (*Store, error) {
	cfg, err := parseConfig(c)
	if err != nil {
		return nil, err
	}
	cluster, err := gocb.Connect(cfg.connStr, gocb.ClusterOptions{
		Authenticator: gocb.PasswordAuthenticator{Username: cfg.username, Password: cfg.password},
		TimeoutsConfig: gocb.TimeoutsConfig{
			KVTimeout:    cfg.kvTimeout,
			QueryTimeout: defaultQueryTimeout,
		},
	})
	if err != nil {
		// The url parsed already: what is left is the TLS or client set-up.
		return nil, &scopes.Error{Code: scopes.EInvalid, Err: err,
			Message: fmt.Sprintf("couchbase connection %s: cannot set up the client for its url: %v", cfg.name, err)}
	}
	return newStore(cfg, cluster), nil
}

// parseConfig reads and checks a connection's params.
func parseConfig(c scopes.Connection) (config, error) {
	p := c.Params
	bad := func(format string, args ...any) (config, error) {
		return config{}, scopes.Errorf(scopes.EInvalid, "couchbase connection %s: %s", c.Name, fmt.Sprintf(format, args...))
	}
	cfg := config{
		name:       c.Name,
		bucket:     p["bucket"],
		scope:      orDefault(p["scope"], DefaultCollection),
		collection: orDefault(p["collection"], DefaultCollection),
		username:   p["username"],
		password:   c.Secret,
		kvTimeout:  defaultKVTimeout,
	}
	raw := p["url"]
	if raw == "" {
		return bad("url is not set: set url to the cluster's address, such as couchbase://127.0.0.1 or couchbases://cb.example.com (several hosts: couchbase://host1,host2)")
	}
	spec, user, err := parseURL(raw)
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case user != "" && cfg.username == "":
		cfg.username = user
	case user != "" && user != cfg.username:
		return bad("the url names the user %q and username %q: give the user name once", user, cfg.username)
	}
	switch {
	case spec.Bucket != "" && cfg.bucket == "":
		cfg.bucket = spec.Bucket
	case spec.Bucket != "" && spec.Bucket != cfg.bucket:
		return bad("the url names the bucket %q and bucket %q: give the bucket once, in bucket", spec.Bucket, cfg.bucket)
	}
	spec.Bucket = ""
	cfg.connStr = spec.String()

	if cfg.bucket == "" {
		return bad("bucket is not set: set bucket to the name of the Couchbase bucket that is to hold the scopes (create it in Couchbase first)")
	}
	if !bucketNamePattern.MatchString(cfg.bucket) {
		return bad("bucket %q is not a Couchbase bucket name: up to 100 letters, digits, '.', '_', '%%' or '-'", cfg.bucket)
	}
	for _, n := range []struct{ param, value string }{{"scope", cfg.scope}, {"collection", cfg.collection}} {
		if !collectionNamePattern.MatchString(n.value) {
			return bad("%s %q is not a Couchbase %s name: up to 251 letters, digits, '_', '%%' or '-'", n.param, n.value, n.param)
		}
	}
	if v := p["timeout"]; v != "" {
		d, err := scopes.ParseTimeout(v)
		if err != nil {
			return bad("timeout: %v", err)
		}
		cfg.kvTimeout = d
	}
	return cfg, nil
}

// parseURL reads a couchbase:// or couchbases:// connection string as gocb
// reads it, and returns it with the user name of its user info taken out
// (gocb ignores it: credentials are given apart). A password written there
// was moved to the connection's secret before (connections.StoredPassword).
// An error never quotes the url, which may hold a password.
func parseURL(raw string) (gocbconnstr.ConnSpec, string, error) {
	var user string
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		user = u.User.Username()
		if _, ok := u.User.Password(); ok {
			return gocbconnstr.ConnSpec{}, "", fmt.Errorf("url holds a password: give it as the connection's password instead")
		}
	}
	spec, err := gocbconnstr.Parse(raw)
	switch {
	case err != nil:
		// Not quoted: the error may quote a part of the url.
		return spec, "", fmt.Errorf("url is not a Couchbase connection string like couchbase://127.0.0.1: a port, an escape (%%…) or an option in it does not parse")
	case spec.Scheme != "couchbase" && spec.Scheme != "couchbases":
		return spec, "", fmt.Errorf("url must start with couchbase:// or couchbases:// (TLS), like couchbase://127.0.0.1")
	case len(spec.Addresses) == 0:
		return spec, "", fmt.Errorf("url names no host: write it like couchbase://127.0.0.1 or couchbase://host1,host2")
	}
	if !validHosts(raw) {
		return spec, "", fmt.Errorf("url names a host or a port that is not one: write it like couchbase://127.0.0.1, couchbase://host1,host2 or couchbase://host:11210")
	}
	return spec, user, nil
}

// validHosts tells whether each host of a connection string is a name or
// an address with, if any, a port from 1 to 65535: gocbconnstr reads
// couchbase://host:11x210 as port 11 without a word.
func validHosts(raw string) bool {
	_, rest, _ := strings.Cut(raw, "://")
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	for _, h := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ';' }) {
		host, port := h, ""
		if strings.HasPrefix(h, "[") {
			end := strings.IndexByte(h, ']')
			if end < 0 {
				return false
			}
			host, port = h[:end+1], strings.TrimPrefix(h[end+1:], ":")
			if port == "" && len(h) > end+1 {
				return false
			}
		} else if i := strings.IndexByte(h, ':'); i >= 0 {
			host, port = h[:i], h[i+1:]
		}
		if host == "" || strings.ContainsAny(host, " @/") {
			return false
		}
		if port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return false
			}
		}
	}
	return true
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
