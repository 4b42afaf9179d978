package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
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

// retryAfter is the Retry-After a 503 carries, in seconds.
const retryAfter = "5"

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// handleError writes every error as {"error":{"code","message"}}; anything
// unexpected is logged in full and shown as "Internal error.".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var body errorBody
	status := http.StatusInternalServerError
	var se *scopes.Error
	var he *echo.HTTPError
	if !errors.As(err, &se) && errors.As(err, &he) {
		status = he.Code
		body.Error.Code = codeOfStatus[he.Code]
		if body.Error.Code == "" {
			body.Error.Code = scopes.EInternal
		}
		body.Error.Message = http.StatusText(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			body.Error.Message = "no such endpoint: see the API in README.md"
		case http.StatusRequestEntityTooLarge:
			body.Error.Message = "the request body is over the limit; scopes are limited by --max-scope-size"
		}
	} else {
		code := scopes.ErrorCode(err)
		status = scopes.HTTPStatus[code]
		body.Error.Code, body.Error.Message = code, scopes.ErrorMessage(err)
	}
	if status >= 500 {
		s.logger.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if err := c.JSON(status, body); err != nil {
		s.logger.Error("write error response", "err", err)
	}
}
