package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// canonicalApp resolves the app named by the path parameter param: app
// names ignore case, so /apps/SHOP is the app created as Shop. A page asked
// for (GET) in another case is redirected to the app's own URL when redirect
// is set; otherwise the request goes on with the parameter set to the name
// as created, so that no handler sees the case typed. A name that reaches
// no app goes on unchanged, for the handler to answer as it does.
func (a *Console) canonicalApp(param string, redirect bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			typed := c.Param(param)
			name, err := a.Directory.AppName(c.Request().Context(), typed)
			if err != nil || name == typed {
				return next(c)
			}
			setParam(c, param, name)
			if redirect && c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusFound, routeURL(c))
			}
			return next(c)
		}
	}
}

// setParam replaces the value of the path parameter name, keeping the others.
func setParam(c echo.Context, name, value string) {
	names := c.ParamNames()
	values := slices.Clone(c.ParamValues())
	for i, n := range names {
		if n == name && i < len(values) {
			values[i] = value
		}
	}
	c.SetParamNames(names...)
	c.SetParamValues(values...)
}

// routeURL is the URL of the request's route with its parameters' current
// values, and the request's query.
func routeURL(c echo.Context) string {
	parts := strings.Split(c.Path(), "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = url.PathEscape(c.Param(p[1:]))
		}
	}
	u := strings.Join(parts, "/")
	if q := c.Request().URL.RawQuery; q != "" {
		u += "?" + q
	}
	return u
}

// appIn returns the name in apps that name stands for: the same name, else
// the one that equals it ignoring case.
func appIn(apps []string, name string) (string, bool) {
	if slices.Contains(apps, name) {
		return name, true
	}
	var found []string
	for _, a := range apps {
		if strings.EqualFold(a, name) {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		return name, false
	}
	return found[0], true
}
