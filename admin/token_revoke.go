package admin

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// tokenRevoke revokes a token: an administrator any, an operator its own.
func (a *Console) tokenRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "There is no such token.")
	}
	t, err := a.users().RevokeToken(c.Request().Context(), id, tokenOwner(c))
	if scopes.ErrorCode(err) == scopes.EConflict {
		setFlash(c, "warn", sentence(scopes.ErrorMessage(err)))
		return redirect(c, tokensPath)
	} else if err != nil {
		return err
	}
	setFlash(c, "ok", "Token “"+t.Name+"” of "+t.User+" is revoked: requests that send it get 401.")
	return redirect(c, tokensPath)
}
