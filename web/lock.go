package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// lockTokenHeader carries the token of a lock taken, to renew or release it.
const lockTokenHeader = "Lock-Token"

// Defaults of a lock request's optional fields.
const (
	defaultLockTimeout = 5 * time.Second
)

// lockForm is the body of POST …/locks/{name}. The durations are strings
// ("5s") or numbers of seconds, as timeouts are in settings.
type lockForm struct {
	Type    string `json:"type"`
	Timeout any    `json:"timeout"`
	Lease   any    `json:"lease"`
}

// options checks the form and returns the lock request it makes.
func (f lockForm) options(name string) (scopes.LockOptions, error) {
	typ := scopes.LockExclusive
	if f.Type != "" {
		// cflock's type is exclusive unless it says otherwise.
		t, err := scopes.ParseLockType(f.Type)
		if err != nil {
			return scopes.LockOptions{}, err
		}
		typ = t
	}
	timeout, err := lockDuration("timeout", f.Timeout, defaultLockTimeout)
	if err != nil {
		return scopes.LockOptions{}, err
	}
	lease, err := lockDuration("lease", f.Lease, scopes.DefaultLockLease)
	if err != nil {
		return scopes.LockOptions{}, err
	}
	o := scopes.LockOptions{Name: name, Type: typ, Timeout: timeout, Lease: lease}
	return o, o.Validate()
}

// lockDuration reads a duration field: absent is def.
func lockDuration(what string, v any, def time.Duration) (time.Duration, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case string:
		return scopes.ParseLockDuration(what, x)
	case json.Number:
		return scopes.ParseLockDuration(what, x.String())
	}
	return 0, scopes.Errorf(scopes.EInvalid, "lock %s must be a duration such as \"5s\" or a number of seconds", what)
}

// lockAnswer is the JSON of a lock taken or renewed.
type lockAnswer struct {
	Name    string    `json:"name"`
	Type    string    `json:"type,omitempty"`
	Token   string    `json:"token"`
	Fence   int64     `json:"fence,omitempty"`
	Expires time.Time `json:"expires"`
}

func answer(l scopes.Lock) lockAnswer {
	return lockAnswer{Name: l.Name, Type: string(l.Type), Token: l.Token, Fence: l.Fence, Expires: l.Expires.UTC()}
}

// appendJSON appends the answer as httpapi.Encode writes it, newline
// included, without encoding/json's reflection, which took a twentieth of
// the CPU of a lock and its release. Only U+2028 and U+2029 differ: written
// as they are, where encoding/json escapes them (the same JSON string).
// ValidateLockName keeps invalid UTF-8 out of names, and jsontext would
// put U+FFFD in its place anyway: its error needs no answer.
func (a lockAnswer) appendJSON(b []byte) []byte {
	b = append(b, `{"name":`...)
	b, _ = jsontext.AppendQuote(b, a.Name)
	if a.Type != "" {
		b = append(b, `,"type":`...)
		b, _ = jsontext.AppendQuote(b, a.Type)
	}
	b = append(b, `,"token":`...)
	b, _ = jsontext.AppendQuote(b, a.Token)
	if a.Fence != 0 {
		b = append(b, `,"fence":`...)
		b = strconv.AppendInt(b, a.Fence, 10)
	}
	b = append(b, `,"expires":"`...)
	b = a.Expires.AppendFormat(b, time.RFC3339Nano)
	return append(b, "\"}\n"...)
}

// writeLock answers with a lock taken or renewed; indented, through
// echo's JSON, when the request asks for ?pretty (or echo debugs), as the
// answers written with c.JSON are and lock answers were.
func writeLock(c echo.Context, status int, l scopes.Lock) error {
	if c.Request().URL.RawQuery != "" || c.Echo().Debug {
		if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
			return c.JSON(status, answer(l))
		}
	}
	return c.JSONBlob(status, answer(l).appendJSON(make([]byte, 0, 192)))
}

// decodeLockForm reads a lock body. The usual one, a flat object of plain
// strings and numbers under the three names, takes CompactJSON's pass (two
// with whitespace, which it then removes from body in place); anything else
// (null, escapes, names in other cases, errors) goes to unmarshalStrict on
// the unchanged body, which takes it as before or says what is wrong.
func decodeLockForm(body []byte, f *lockForm) error {
	fast := body[0] == '{'
	_, ok := scopes.CompactJSON(body, func(key, value []byte) bool {
		switch string(key) {
		case `"type"`:
			f.Type, fast = plainString(value)
		case `"timeout"`:
			f.Timeout, fast = durationValue(value)
		case `"lease"`:
			f.Lease, fast = durationValue(value)
		default:
			fast = false
		}
		return fast
	})
	if ok && fast {
		return nil
	}
	*f = lockForm{}
	return unmarshalStrict(body, f)
}

// plainString returns a JSON string value without escapes, unquoted.
func plainString(value []byte) (string, bool) {
	if value[0] != '"' || bytes.IndexByte(value, '\\') >= 0 {
		return "", false
	}
	return string(value[1 : len(value)-1]), true
}

// durationValue returns a duration field's value as encoding/json with
// UseNumber decodes it into an any: a string or a json.Number.
func durationValue(value []byte) (any, bool) {
	if c := value[0]; c == '-' || '0' <= c && c <= '9' {
		return json.Number(value), true
	}
	s, ok := plainString(value)
	return s, ok
}

// acquireLock takes a named lock, waiting up to its timeout: 201 with the
// token and fence, 423 when the timeout passed.
func (s *Server) acquireLock(c echo.Context) error {
	name, err := lockName(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var f lockForm
	if len(body) > 0 {
		if err := decodeLockForm(body, &f); err != nil {
			return err
		}
	}
	o, err := f.options(name)
	if err != nil {
		return err
	}
	lock, err := s.locks.Acquire(c.Request().Context(), c.Param("app"), o)
	if err != nil {
		return err
	}
	return writeLock(c, http.StatusCreated, lock)
}

// lockName returns the lock name of the path, unescaped. The router
// matches the raw path when the client escaped it otherwise than Go would
// (x%3Ay for x:y) and then hands the parameter over as sent; else the path
// it matches is unescaped already, and unescaping it again would turn a
// name with a "%" into another.
func lockName(c echo.Context) (string, error) {
	name := c.Param("name")
	if c.Request().URL.RawPath == "" {
		return name, nil
	}
	name, err := url.PathUnescape(name)
	if err != nil {
		return "", scopes.Errorf(scopes.EInvalid, "the lock name in the path is not escaped properly: %v", err)
	}
	return name, nil
}

// renewForm is the optional body of POST …/locks/{name}/renew.
type renewForm struct {
	Lease any `json:"lease"`
}

// renewLock extends the lease of the lock the Lock-Token holds: 200 with
// its new end, 409 when the token holds no live lease.
func (s *Server) renewLock(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var f renewForm
	if len(body) > 0 {
		if err := unmarshalStrict(body, &f); err != nil {
			return err
		}
	}
	lease, err := lockDuration("lease", f.Lease, scopes.DefaultLockLease)
	if err != nil {
		return err
	}
	name, err := lockName(c)
	if err != nil {
		return err
	}
	lock, err := s.locks.Renew(c.Request().Context(), c.Param("app"), name, header(c.Request(), lockTokenHeader), lease)
	if err != nil {
		return err
	}
	return writeLock(c, http.StatusOK, lock)
}

// releaseLock releases the lock the Lock-Token holds: 204, or 409 when the
// token holds no live lease.
func (s *Server) releaseLock(c echo.Context) error {
	name, err := lockName(c)
	if err != nil {
		return err
	}
	if err := s.locks.Release(c.Request().Context(), c.Param("app"), name, header(c.Request(), lockTokenHeader)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
