package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// errorView is what the error page shows: a heading, the message, and the
// links that lead back into the console.
type errorView struct {
	// Title is the browser's title of the page.
	Title   string
	Heading string
	Message string
	// Hint, when set, says more in smaller print.
	Hint string
	// Section is the navigation entry to mark as current, "" for none.
	Section string
	// Links lead on from the error, the first one the way back.
	Links []errorLink
}

// errorLink is a way on from an error page.
type errorLink struct {
	Href, Label string
}

// guidedError is an error that knows better than its status what the error
// page should say and where it should lead back to: a gone scope's page
// leads to the list of its app's scopes.
type guidedError interface {
	error
	guide(v errorView) errorView
}

// handleError shows every error as a page with a message a person can act
// on; anything unexpected is logged in full and shown as "Internal error.".
// A signed-in administrator sees it inside the console, with its navigation;
// anybody else on the bare page of the login form.
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
	v := errorView{Title: http.StatusText(status), Heading: strconv.Itoa(status) + " · " + http.StatusText(status), Message: message}
	var g guidedError
	if errors.As(err, &g) {
		v = g.guide(v)
	}
	m := a.meta(c, v.Title, v.Section)
	if len(v.Links) == 0 {
		v.Links = []errorLink{{Prefix + "/", "Back to the console"}}
		if m.User != "" {
			v.Links[0].Label = "Go to the overview"
		}
	}
	if rerr := a.render(c, status, errorPage(m, v)); rerr != nil {
		a.Logger.Error("render error page", "err", rerr)
	}
}

// csrfFailed refuses a form without a valid CSRF token and changes nothing.
func (a *Console) csrfFailed(err error, c echo.Context) error {
	a.Logger.Warn("admin form refused: CSRF token missing or wrong", "path", c.Request().URL.Path, "addr", c.RealIP())
	return scopes.Errorf(scopes.EForbidden, "This form has expired or did not come from this console. Go back, reload the page and try again.")
}
