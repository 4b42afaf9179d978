package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// appKeyAdd issues one more API key for an app and shows it once; the
// app's other keys keep working, so that the new one can be deployed before
// the old one is revoked.
func (a *Console) appKeyAdd(c echo.Context) error {
	name := c.Param("name")
	f := readKeyForm(c)
	if !f.validate() {
		return a.renderApp(c, http.StatusUnprocessableEntity, nil, nil, func(v *appView) { v.KeyForm = f })
	}
	key, k, err := a.Directory.AddKey(c.Request().Context(), name, f.Label)
	if err != nil {
		return err
	}
	return a.renderKey(c, keyView{App: name, Key: key, Added: true, Label: k.Label})
}
