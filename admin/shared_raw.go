package admin

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// sharedRaw shows a shared scope's data as masked JSON text, for data that
// the tree cuts: the application scope of the app in the path, or the
// server scope. It is audited as the scope's page is.
func (a *Console) sharedRaw(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		var s sharedScope
		var keys []string
		if k == scopes.Server {
			acc, err := a.Directory.ServerScopeAccess(ctx)
			if err != nil {
				return err
			}
			s, keys = a.readShared(ctx, acc.Settings.Settings, k, ""), acc.SensitiveKeys
		} else {
			eff, err := a.Directory.Effective(ctx, c.Param("name"))
			if err != nil {
				return err
			}
			s, keys = a.readShared(ctx, eff.Settings, k, c.Param("name")), eff.Settings.SensitiveKeys
		}
		switch {
		case s.Problem != "":
			return scopes.Errorf(scopes.EUnavailable, "The %s could not be read: %s", s.noun(), s.Problem)
		case s.Scope == nil:
			return scopes.Errorf(scopes.ENotFound, "There is no %s yet: it starts on the first %s.", s.noun(), s.firstUse())
		}
		masked, err := scopes.MaskData(s.Scope.Data, keys)
		if err != nil {
			return fmt.Errorf("mask the data of the %s: %w", s.noun(), err)
		}
		a.audit(c, string(k)+".view", sharedTarget(k, s.App), "raw JSON opened in the console: its data was shown, sensitive keys masked")
		key := scopes.ServerKey()
		if k == scopes.Application {
			key = scopes.ApplicationKey(s.App)
		}
		v := rawView{Key: key, Storage: s.Scope.Storage, Size: len(s.Scope.Data), JSON: string(masked)}
		return a.render(c, http.StatusOK, rawPage(a.meta(c, "Raw JSON of the "+s.noun(), sectionOf(k)), v))
	}
}

// sectionOf is the console section of a shared scope's pages.
func sectionOf(k scopes.Kind) string {
	if k == scopes.Server {
		return "scope"
	}
	return "apps"
}
