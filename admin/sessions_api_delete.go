package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// deleteAnswer is what DELETE …/{cfid} did.
type deleteAnswer struct {
	App         string      `json:"app"`
	Kind        scopes.Kind `json:"kind"`
	Invalidated string      `json:"invalidated"`
	// Cluster is the kind's cluster setting: when false, another instance
	// that holds the scope in memory may serve it until it leaves memory.
	Cluster bool `json:"cluster"`
}

// apiDelete invalidates one scope of kind k, as the console's Invalidate
// button does. A DELETE from another site's page is preflighted by the
// browser (CORS), which the console never allows, so the cookie cannot be
// used against it.
func (o *sessionOps) apiDelete(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		key, err := scopeKey(c.Param("app"), string(k), c.Param("cfid"))
		if err != nil {
			return apiError(o.Console, c, err)
		}
		eng, err := o.engine()
		if err != nil {
			return apiError(o.Console, c, err)
		}
		set, err := o.settingsOf(ctx, key.App)
		if err != nil {
			return apiError(o.Console, c, err)
		}
		if err := eng.Delete(ctx, set, key); err != nil {
			return apiError(o.Console, c, scopeGone(key, err))
		}
		o.history.forget(key)
		o.audit(ctx, string(k)+".invalidate", auditTarget(key), "invalidated through the admin JSON API")
		return httpapi.WriteJSON(c.Response(), http.StatusOK, deleteAnswer{App: key.App, Kind: k, Invalidated: key.CFID, Cluster: set.Of(k).Cluster})
	}
}
