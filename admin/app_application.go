package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// appApplication shows an app's application scope, read without a visit:
// looking neither moves its expiry nor starts one the app has not.
func (a *Console) appApplication(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	eff, err := a.Directory.Effective(ctx, name)
	if err != nil {
		return err
	}
	v := sharedScopeView{Shared: a.readShared(ctx, eff.Settings, scopes.Application, name),
		SensitiveKeys: eff.Settings.SensitiveKeys, Writers: []string{name}, Now: time.Now()}
	a.showShared(c, &v, "opened in the console")
	return a.render(c, http.StatusOK, sharedScopePage(a.meta(c, "Application scope of "+name, "apps"), v))
}
