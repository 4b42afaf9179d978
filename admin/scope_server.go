package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// scopeServer shows the server scope, read without a visit, with the apps
// that may write it.
func (a *Console) scopeServer(c echo.Context) error {
	ctx := c.Request().Context()
	acc, err := a.Directory.ServerScopeAccess(ctx)
	if err != nil {
		return err
	}
	v := sharedScopeView{Shared: a.readShared(ctx, acc.Settings.Settings, scopes.Server, ""),
		SensitiveKeys: acc.SensitiveKeys, Writers: acc.Writers, Now: time.Now()}
	a.showShared(c, &v, "opened in the console")
	return a.render(c, http.StatusOK, sharedScopePage(a.meta(c, "Server scope", "scope"), v))
}
