package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// keyAddedPath is the page that shows a key just added to app, once.
func keyAddedPath(app string) string { return appPath(app, "/keys/added") }

// appKeyAdd issues one more API key for an app and leads to the page that
// shows it once (a reload of that page adds no other key); the app's other
// keys keep working, so that the new one can be deployed before the old
// one is revoked.
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
	if err := keepOnce(c, keyAddedPath(name), keyView{App: name, Key: key, Added: true, Label: k.Label}); err != nil {
		return err
	}
	return redirect(c, keyAddedPath(name))
}

// appKeyAdded shows the key that appKeyAdd made, the only time it is
// shown; shown already, the page leads back to the app's keys and says so.
func (a *Console) appKeyAdded(c echo.Context) error {
	name := c.Param("name")
	var v keyView
	if !takeOnce(c, &v) {
		setFlash(c, "warn", "A new API key is shown once, and it was shown already: scopestore keeps only its hash. "+
			"If you did not copy it, add another key and revoke that one.")
		return redirect(c, appPath(name, "#keys"))
	}
	return a.renderKey(c, v)
}
