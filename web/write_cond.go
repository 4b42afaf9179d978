package web

import (
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// The conditional headers of scope writes, in canonical form (see header).
const (
	ifMatchHeader     = "If-Match"
	ifNoneMatchHeader = "If-None-Match"
)

// writeCond reads what a scope write requires of the stored scope: the
// versions of If-Match and the lock fence of If-Fence.
func writeCond(c echo.Context) (scopes.Cond, error) {
	r := c.Request()
	versions, err := httpapi.ParseIfMatch(header(r, ifMatchHeader))
	if err != nil {
		return scopes.Cond{}, err
	}
	fence, err := httpapi.ParseIfFence(header(r, httpapi.IfFenceHeader))
	if err != nil {
		return scopes.Cond{}, err
	}
	return scopes.Cond{IfVersions: versions, Fence: fence}, nil
}
