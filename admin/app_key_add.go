package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// newKeyPath is the page that shows a key just made for app (the app's
// first, a rotated one or one more), once.
func newKeyPath(app string) string { return appPath(app, "/keys/new") }

// showKeyOnce leads to the page that shows v's key once: the POST that made
// it answers a redirect, so that a reload of the page makes, or revokes,
// nothing.
func showKeyOnce(c echo.Context, v keyView) error {
	if err := keepOnce(c, newKeyPath(v.App), v); err != nil {
		return err
	}
	return redirect(c, newKeyPath(v.App))
}

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
	return showKeyOnce(c, keyView{App: name, Key: key, Added: true, Label: k.Label})
}

// appNewKey shows the key that showKeyOnce kept, the only time it is
// shown; shown already, the page leads back to the app's keys and says so.
func (a *Console) appNewKey(c echo.Context) error {
	name := c.Param("name")
	var v keyView
	if !takeOnce(c, &v) {
		setFlash(c, "warn", "A new API key is shown once, and it was shown already: scopestore keeps only its hash. "+
			"If you did not copy it, add another key and revoke the one you did not copy.")
		return redirect(c, appPath(name, "#keys"))
	}
	return a.renderKey(c, v)
}
