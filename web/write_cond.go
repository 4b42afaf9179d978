package web

import (
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// writeCond reads what a scope write requires of the stored scope: the
// versions of If-Match and the lock fence of If-Fence.
func writeCond(c echo.Context) (scopes.Cond, error) {
	h := c.Request().Header
	versions, err := httpapi.ParseIfMatch(h.Get("If-Match"))
	if err != nil {
		return scopes.Cond{}, err
	}
	fence, err := httpapi.ParseIfFence(h.Get(httpapi.IfFenceHeader))
	if err != nil {
		return scopes.Cond{}, err
	}
	return scopes.Cond{IfVersions: versions, Fence: fence}, nil
}
