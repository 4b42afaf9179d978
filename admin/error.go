package admin

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// handleError shows every error as a page with a message a person can act
// on; anything unexpected is logged in full and shown as "Internal error.".
func (a *Console) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, message := http.StatusInternalServerError, scopes.ErrorMessage(err)
	var se *scopes.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &se):
		status = httpapi.Status(se.Code)
	case errors.As(err, &he):
		status = he.Code
		message = http.StatusText(he.Code)
		if he.Code == http.StatusNotFound {
			message = "There is no such page."
		}
	}
	if status >= 500 {
		a.Logger.Error("admin request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
	}
	m := a.meta(c, http.StatusText(status), "")
	if rerr := a.render(c, status, errorPage(m, status, message)); rerr != nil {
		a.Logger.Error("render error page", "err", rerr)
	}
}

// csrfFailed refuses a form without a valid CSRF token and changes nothing.
func (a *Console) csrfFailed(err error, c echo.Context) error {
	a.Logger.Warn("admin form refused: CSRF token missing or wrong", "path", c.Request().URL.Path, "addr", c.RealIP())
	return scopes.Errorf(scopes.EForbidden, "This form has expired or did not come from this console. Go back, reload the page and try again.")
}
