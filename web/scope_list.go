package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// listAnswer is one page of an app's live scopes.
type listAnswer struct {
	Scopes []*scopes.Scope `json:"scopes"`
	// Next is the cursor of the next page, "" on the last.
	Next string `json:"next"`
}

// listScopes answers a page of the app's live scopes of kind k, in cfid
// order, read without a visit: ?limit=&cursor=.
func (s *Server) listScopes(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := scopes.ListQuery{After: c.QueryParam("cursor")}
		if v := c.QueryParam("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return scopes.Errorf(scopes.EInvalid, "limit=%q is not a number of scopes from 1 to %d", truncate(v, 40), scopes.MaxListLimit)
			}
			q.Limit = n
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, c.Param("app"))
		if err != nil {
			return err
		}
		page, err := s.engine.List(ctx, eff.Settings, c.Param("app"), k, q)
		if err != nil {
			return err
		}
		if page.Scopes == nil {
			page.Scopes = []*scopes.Scope{}
		}
		return c.JSON(http.StatusOK, listAnswer{Scopes: page.Scopes, Next: page.Next})
	}
}

// countAnswer is the number of an app's live scopes of one kind.
type countAnswer struct {
	Count int64 `json:"count"`
	// Exact is false where the storage can only estimate.
	Exact bool `json:"exact"`
}

// countScopes answers how many live scopes of kind k the app has.
func (s *Server) countScopes(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, c.Param("app"))
		if err != nil {
			return err
		}
		n, exact, err := s.engine.Count(ctx, eff.Settings, c.Param("app"), k)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, countAnswer{Count: n, Exact: exact})
	}
}

// clearAnswer says how many scopes a clear ended.
type clearAnswer struct {
	Deleted int `json:"deleted"`
}

// clearScopes ends every live scope of kind k of the app; ?all=true says
// that this is meant.
func (s *Server) clearScopes(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.QueryParam("all") != "true" {
			return scopes.Errorf(scopes.EInvalid, "DELETE on the collection ends every %s of the app: add ?all=true if that is what you mean", k)
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, c.Param("app"))
		if err != nil {
			return err
		}
		n, err := s.engine.InvalidateAll(ctx, eff.Settings, c.Param("app"), k)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, clearAnswer{Deleted: n})
	}
}
