package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// rotateBody is the optional body of a rotate: the new cfid to use.
type rotateBody struct {
	CFID string `json:"cfid"`
}

// rotateSession moves a session to a new cfid with the same data; the old
// cfid answers read-only, naming the new one, for --rotate-grace.
func (s *Server) rotateSession(c echo.Context) error {
	key, set, err := s.scopeRequest(c, scopes.Session)
	if err != nil {
		return err
	}
	var body rotateBody
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	if len(raw) > 0 {
		if err := unmarshalStrict(raw, &body); err != nil {
			return err
		}
	}
	sc, err := s.engine.Rotate(c.Request().Context(), set, key, strings.ToLower(body.CFID))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", scopePath(key.App, scopes.Session, sc.CFID))
	return writeScope(c, http.StatusCreated, sc)
}

// scopePath is the API path of a scope.
func scopePath(app string, k scopes.Kind, cfid string) string {
	return "/api/v1/apps/" + app + "/" + kindPath(k) + "/" + cfid
}

// kindPath is the path segment of a kind of scope: "sessions", "clients".
func kindPath(k scopes.Kind) string { return string(k) + "s" }
