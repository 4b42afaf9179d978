package admin

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes a page: the one place that turns a component into a response.
func (a *Console) render(c echo.Context, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(a.withStorageTitles(c.Request().Context()), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// meta returns the layout's data for a page of the signed-in user.
func (a *Console) meta(c echo.Context, title, section string) PageMeta {
	m := PageMeta{Title: title, Section: section, assets: a.assets}
	if u, ok := c.Get(userKey).(string); ok {
		m.User = u
	}
	if r, ok := c.Get(roleKey).(string); ok {
		m.Role = r
	}
	if t, ok := c.Get(csrfKey).(string); ok {
		m.CSRF = t
	}
	m.Flash = takeFlash(c)
	return m
}

// redirect answers a successful form with 303 See Other, as the POST/redirect/GET pattern wants.
func redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}
