package couchdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// DefaultTimeout bounds each request to CouchDB when the connection sets no
// timeout.
const DefaultTimeout = 5 * time.Second

// maxBody bounds what is read of one answer, so that a wrong URL that
// serves a large file cannot exhaust memory.
const maxBody = 64 << 20

// Store keeps scopes in one CouchDB database. It is safe for concurrent use.
type Store struct {
	name     string // the connection's name, for messages
	root     string // the server's URL, ending in a slash, without user info
	db       string // the database's URL, without a trailing slash
	where    string // host and database, for messages
	user     string
	password string
	client   *http.Client
	// instance tells this Store's cleaner lease from other instances'.
	instance string

	cleanMu sync.Mutex // held by DeleteExpired
	revs    revCache

	readyMu    sync.Mutex
	ready      bool // the database, index and view exist
	prepareErr error
	preparedAt time.Time // of the last attempt to prepare
}

var (
	_ scopes.Store    = (*Store)(nil)
	_ scopes.Verifier = (*Store)(nil)
)

// Open returns a store over the CouchDB connection c: its param url is the
// database's URL (http://127.0.0.1:5984/sessions), username and c.Secret
// the credentials (basic auth), timeout bounds each request (5s).
//
// Open checks the configuration, with an *scopes.Error with code EInvalid
// naming the param at fault, but does not connect: the database, its index
// and view are created on first use, so that scopestore starts while
// CouchDB is down and answers 503 until it is back.
func Open(_ context.Context, c scopes.Connection) (*Store, error) {
	bad := func(format string, args ...any) error {
		return scopes.Errorf(scopes.EInvalid, "couchdb connection %s: %s", c.Name, fmt.Sprintf(format, args...))
	}
	raw := c.Params["url"]
	if raw == "" {
		return nil, bad("give a url, the database's, such as http://127.0.0.1:5984/sessions")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not quoted: it may hold a password.
		return nil, bad("url must be an http:// or https:// URL such as http://127.0.0.1:5984/sessions")
	}
	// The last segment names the database; those before it are the
	// server's own path, behind a reverse proxy.
	path := strings.Trim(u.Path, "/")
	root, dbName := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		root, dbName = path[:i+1], path[i+1:]
	}
	if dbName == "" {
		return nil, bad("url names no database: add its name, as in http://127.0.0.1:5984/sessions")
	}
	if !dbNamePattern.MatchString(dbName) {
		return nil, bad("database name %q is not one CouchDB accepts: a lowercase letter first, then lowercase letters, digits and _$()+-", dbName)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("url must not have a query or fragment")
	}
	s := &Store{name: c.Name, user: c.Params["username"], password: c.Secret, instance: scopes.NewRev()}
	if u.User != nil {
		if s.user == "" {
			s.user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && s.password == "" {
			s.password = p
		}
		u.User = nil
	}
	u.Path, u.RawPath = "/"+root, ""
	s.root = u.String()
	s.db = s.root + url.PathEscape(dbName)
	s.where = u.Host + "/" + root + dbName

	timeout := DefaultTimeout
	if v := c.Params["timeout"]; v != "" {
		if timeout, err = scopes.ParseTimeout(v); err != nil {
			return nil, bad("timeout: %v", err)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = timeout
	s.client = &http.Client{Transport: tr, Timeout: timeout}
	return s, nil
}

// dbNamePattern is CouchDB's rule for database names, without the '/'
// that it allows too: here the last path segment names the database.
var dbNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_$()+-]*$`)

// Ping creates the database, its index and view if they are missing, and
// checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.prepare(ctx); err != nil {
		return err
	}
	status, body, err := s.call(ctx, http.MethodGet, "", nil)
	if err != nil {
		return s.readError("ping", err)
	}
	if status != http.StatusOK {
		return s.statusError("ping", status, body)
	}
	return nil
}

// Close releases idle connections.
func (s *Store) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// docID returns the id of a scope's document, after checking the key: a
// colon in the app or cfid would let two keys share an id, and an app's
// range hold another's scopes. App names and cfids never hold one
// (scopes.ValidateAppName, scopes.ValidCFID), but the layout must not
// depend on the callers.
func docID(key scopes.Key) (string, error) {
	if err := checkKind(key.Kind); err != nil {
		return "", err
	}
	if key.App == "" || key.CFID == "" || strings.Contains(key.App, ":") || strings.Contains(key.CFID, ":") {
		return "", scopes.Errorf(scopes.EInvalid, "app %q or cfid %q is empty or holds a colon, which scopestore's CouchDB ids cannot hold", key.App, key.CFID)
	}
	return rangePrefix(key.App, key.Kind) + key.CFID, nil
}

// rangePrefix is the start of the ids of an app's scopes of one kind.
func rangePrefix(app string, kind scopes.Kind) string {
	return "scope:" + string(kind) + ":" + app + ":"
}

func checkKind(k scopes.Kind) error {
	if !k.Stored() {
		return scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session, client, application or server", k)
	}
	return nil
}

// do sends one request to the database's URL with path appended (a
// document id escaped by docPath, or "/_find" and the like) and returns the
// answer's status and body. body, when not nil, is sent as JSON.
func (s *Store) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.db+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.user != "" || s.password != "" {
		req.SetBasicAuth(s.user, s.password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// call is do for the store's operations: when the answer says that the
// database is missing (deleted behind scopestore's back, or gone with a
// server that kept it in memory), it creates it again, with its index and
// view, and sends the request once more. A request answered so changed
// nothing.
func (s *Store) call(ctx context.Context, method, path string, body any) (int, []byte, error) {
	status, b, err := s.do(ctx, method, path, body)
	if err != nil || status != http.StatusNotFound || !noDatabase(b) {
		return status, b, err
	}
	s.forget()
	if err := s.prepare(ctx); err != nil {
		return 0, nil, err
	}
	return s.do(ctx, method, path, body)
}

// docPath is the path of a document under the database's URL.
func docPath(id string) string { return "/" + url.PathEscape(id) }

// couchError is CouchDB's error answer.
type couchError struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

func parseError(body []byte) couchError {
	var e couchError
	_ = json.Unmarshal(body, &e)
	return e
}

// noDatabase tells whether a 404's body says that the database is missing
// (CouchDB: "Database does not exist.", PouchDB: "no_db_file"), rather
// than the document.
func noDatabase(body []byte) bool {
	r := parseError(body).Reason
	return r == "no_db_file" || strings.HasPrefix(r, "Database does not exist")
}

// unavailable is the error of a request that CouchDB did not serve and
// that changed nothing: the API answers 503 naming the connection.
func (s *Store) unavailable(op, why string, err error) error {
	return &scopes.Error{Code: scopes.EUnavailable,
		Message: fmt.Sprintf("storage %q is unavailable (CouchDB at %s: %s); try again shortly", s.name, s.where, why),
		Err:     fmt.Errorf("couchdb: %s: %w: %w", op, scopes.ErrNotApplied, err)}
}

// readError wraps the failure of a request that changes nothing.
func (s *Store) readError(op string, err error) error {
	var se *scopes.Error
	if errors.As(err, &se) {
		return err // prepare's, from call
	}
	return s.unavailable(op, describe(err), err)
}

// writeError wraps the failure of a request that may change a document: a
// request that never left (no connection) applied nothing; any other may
// have reached CouchDB, and is a plain error that the engine resolves by
// sending the write again.
func (s *Store) writeError(op string, err error) error {
	var se *scopes.Error
	if notSent(err) || errors.As(err, &se) {
		return s.readError(op, err)
	}
	return fmt.Errorf("couchdb: %s: %w", op, err)
}

// notSent tells whether a request failed before it was sent: the dial or
// the name lookup.
func notSent(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns)
}

// describe says why a request failed, in the words an operator looks for.
func describe(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return "cannot resolve its host: " + dns.Err
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused: is CouchDB running and listening there?"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	}
	return "request failed"
}

// statusError is the error of an answer that is no success. A refusal of
// the credentials, a missing database, a server error or an unexpected
// answer: the API answers 503 naming the connection. A write answered so
// did not happen (CouchDB answers once it decided), save for a 5xx, which
// writeStatusError treats apart.
func (s *Store) statusError(op string, status int, body []byte) error {
	e := parseError(body)
	err := fmt.Errorf("HTTP %d: %s: %s", status, e.Error, e.Reason)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return s.unavailable(op, "it refused the user name or password, or the user may not use the database", err)
	case status == http.StatusNotFound && noDatabase(body):
		s.forget()
		return s.unavailable(op, "the database does not exist", err)
	}
	return s.unavailable(op, fmt.Sprintf("it answered %d %s", status, e.Error), err)
}

// writeStatusError is statusError for a request that changes a document:
// a 5xx may come after the change was made, on a cluster that did not
// reach its quorum, and is resolved by sending the write again.
func (s *Store) writeStatusError(op string, status int, body []byte) error {
	if status >= 500 {
		e := parseError(body)
		return fmt.Errorf("couchdb: %s: HTTP %d: %s: %s", op, status, e.Error, e.Reason)
	}
	return s.statusError(op, status, body)
}

// stored returns rec as the store keeps it: times cut to milliseconds, and
// its data copied ("{}" when empty), so that the caller cannot change it.
func stored(rec scopes.Record) scopes.Record {
	rec.TimeCreated = time.UnixMilli(rec.TimeCreated.UnixMilli())
	rec.LastVisit = time.UnixMilli(rec.LastVisit.UnixMilli())
	rec.Expires = time.UnixMilli(rec.Expires.UnixMilli())
	if len(rec.Data) == 0 {
		rec.Data = []byte("{}")
	} else {
		rec.Data = append([]byte(nil), rec.Data...)
	}
	return rec
}
