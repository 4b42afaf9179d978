package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// csrfCookie holds the console's CSRF token; echo's CSRF middleware
// (routes.go) takes a form only when its _csrf matches this cookie.
const csrfCookie = "scopestore_csrf"

// dropCSRFToken ends the CSRF token when who is signed in changes (login,
// setup, logout). A token from before the login — read from the login page
// in a shared browser, or planted with a cookie by somebody else — must not
// carry over into the administrator's session; the next page the browser
// reads gets a fresh token from the middleware.
func dropCSRFToken(c echo.Context) {
	// The middleware already set the old token on this response; one
	// Set-Cookie per name leaves no doubt about which one a browser keeps.
	h := c.Response().Header()
	var kept []string
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, csrfCookie+"=") {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(c)})
}
