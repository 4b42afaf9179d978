package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// codeOfStatus names the errors that echo itself raises (unknown route,
// wrong method, body too large).
var codeOfStatus = map[int]string{
	http.StatusNotFound:              scopes.ENotFound,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: scopes.ETooLarge,
	http.StatusBadRequest:            scopes.EInvalid,
}

// handleError writes every error as {"error":{"code","message"}}; anything
// unexpected is logged in full and shown as "Internal error.".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, message := errorAnswer(err)
	var moved *scopes.RotatedError
	if errors.As(err, &moved) {
		// Where the change must go instead.
		c.Response().Header().Set("Location", scopePath(c.Param("app"), scopes.Session, moved.To))
	}
	if status >= 500 {
		s.logger.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
	}
	if err := httpapi.WriteError(c.Response(), status, code, message); err != nil {
		s.logger.Error("write error response", "err", err)
	}
}

// errorAnswer is the status, code and message of err: a *scopes.Error by
// its code, an error that echo raised by its status.
func errorAnswer(err error) (status int, code, message string) {
	var se *scopes.Error
	var he *echo.HTTPError
	if errors.As(err, &se) || !errors.As(err, &he) {
		return httpapi.StatusOf(err), scopes.ErrorCode(err), scopes.ErrorMessage(err)
	}
	code = codeOfStatus[he.Code]
	if code == "" {
		code = scopes.EInternal
	}
	message = http.StatusText(he.Code)
	switch he.Code {
	case http.StatusNotFound:
		message = "no such endpoint: see the API in web/README.md"
	case http.StatusRequestEntityTooLarge:
		message = "the request body is over the limit; scopes are limited by --max-scope-size"
	}
	return he.Code, code, message
}
