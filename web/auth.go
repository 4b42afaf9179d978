package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// authenticate lets a request through when its API key belongs to the app
// named in the path, and remembers the app for the handler.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := bearer(c.Request().Header.Get(echo.HeaderAuthorization))
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
		if app != c.Param("app") {
			return scopes.Errorf(scopes.EForbidden, "this API key belongs to app %q and cannot reach app %q", app, c.Param("app"))
		}
		return next(c)
	}
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
// server read more than a scope may hold.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.maxBody {
			return tooLarge(s.maxBody)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.maxBody)
		return next(c)
	}
}

func tooLarge(limit int64) error {
	return scopes.Errorf(scopes.ETooLarge, "the request body is over %d bytes; raise --max-scope-size to store larger scopes", limit)
}
