package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// authenticate lets a request through when its API key belongs to the app
// named in the path, and remembers the app for the handler. A client address
// that got many 401s lately is answered 429 first (unauthorized_limit.go).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var addr string
		var now time.Time
		if !s.unauthorized.idle() {
			addr, now = httpapi.LimitKey(c.RealIP()), s.now()
			if wait := s.unauthorized.wait(addr, now); wait > 0 {
				secs := int((wait + time.Second - 1) / time.Second)
				c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
				return scopes.Errorf(scopes.ETooManyRequests, "too many requests without a valid API key from your address: check the app's key (Authorization: Bearer <key>), then try again in %d seconds", secs)
			}
		}
		err := s.checkKey(c)
		if scopes.ErrorCode(err) == scopes.EUnauthorized {
			if addr == "" {
				addr, now = httpapi.LimitKey(c.RealIP()), s.now()
			}
			s.unauthorized.record(addr, now)
		}
		if err != nil {
			return err
		}
		return next(c)
	}
}

// checkKey accepts an API key of the app named in the path.
func (s *Server) checkKey(c echo.Context) error {
	key, ok := bearer(header(c.Request(), echo.HeaderAuthorization))
	if !ok {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="scopestore"`)
		return scopes.Errorf(scopes.EUnauthorized, "an API key is required: send Authorization: Bearer <key>")
	}
	app, err := s.directory.Authenticate(c.Request().Context(), key)
	if err != nil {
		if scopes.ErrorCode(err) == scopes.EUnauthorized {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="scopestore", error="invalid_token"`)
		}
		return err
	}
	if !slices.Contains(c.ParamNames(), "app") {
		// A route of no one app (the server scope): any app's key reaches
		// it, as that app.
		c.Set(callerAppKey, app)
		return nil
	}
	if app != c.Param("app") {
		if !strings.EqualFold(app, c.Param("app")) {
			return scopes.Errorf(scopes.EForbidden, "this API key belongs to app %q and cannot reach app %q", app, c.Param("app"))
		}
		// App names ignore case: the handler sees the name as created,
		// so that storage keys never depend on the case typed.
		setParam(c, "app", app)
	}
	return nil
}

// callerAppKey is where checkKey keeps the app of the API key on a route
// that names no app.
const callerAppKey = "scopestore.app"

// callerApp returns the app a request acts for: the one in the path, or
// on a route that names none, the API key's.
func callerApp(c echo.Context) string {
	if app, ok := c.Get(callerAppKey).(string); ok {
		return app
	}
	return c.Param("app")
}

// setParam replaces the value of the path parameter name, keeping the others.
func setParam(c echo.Context, name, value string) {
	names := c.ParamNames()
	values := slices.Clone(c.ParamValues())
	for i, n := range names {
		if n == name && i < len(values) {
			values[i] = value
		}
	}
	c.SetParamNames(names...)
	c.SetParamValues(values...)
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	key := strings.TrimSpace(h[len(prefix):])
	return key, key != ""
}

// limitBody bounds every request body, so that a client cannot make the
// server read more than a scope may hold, and large bodies in flight
// together (body_budget.go).
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.maxBody {
			return tooLarge(s.maxBody)
		}
		if r.ContentLength != 0 {
			release, err := s.bodies.take(r.ContentLength, s.maxBody)
			if err != nil {
				return err
			}
			defer release()
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.maxBody)
		return next(c)
	}
}

func tooLarge(limit int64) error {
	return scopes.Errorf(scopes.ETooLarge, "the request body is over %d bytes; raise --max-scope-size to store larger scopes", limit)
}
