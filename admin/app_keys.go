package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// confirmMessage is shown beside a dangerous action's box left unticked.
const confirmMessage = "Tick the box to confirm."

func (a *Console) appRotate(c echo.Context) error {
	name := c.Param("name")
	if !confirmed(c) {
		return a.renderApp(c, http.StatusUnprocessableEntity, nil, map[string]string{"rotate": confirmMessage})
	}
	key, err := a.Directory.RotateKey(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return showKeyOnce(c, keyView{App: name, Key: key, Rotated: true})
}

func (a *Console) appRevoke(c echo.Context) error {
	name := c.Param("name")
	if !confirmed(c) {
		return a.renderApp(c, http.StatusUnprocessableEntity, nil, map[string]string{"revoke": confirmMessage})
	}
	if err := a.Directory.RevokeKeys(c.Request().Context(), name); err != nil {
		return err
	}
	setFlash(c, "ok", "Every API key of "+name+" is revoked: it cannot call scopestore until you add a key.")
	return redirect(c, appPath(name, ""))
}
