package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
)

// apiScopeDefaults answers the server defaults and where each comes from.
func (a *Console) apiScopeDefaults(c echo.Context) error {
	eff, err := a.Directory.ServerSettings(c.Request().Context())
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, NewAPISettings("", eff))
}

// apiScopeDefaultsPatch changes some server defaults, "inherit" putting
// one back to its built-in default, as the Scope page does; a change that
// would leave an app unable to work is refused with the names of those
// apps. The directory records server.settings.
func (a *Console) apiScopeDefaultsPatch(c echo.Context) error {
	values, err := readSettings(c)
	if err != nil {
		return apiError(a, c, err)
	}
	if err := a.refuseUnreachable(c, values); err != nil {
		return apiError(a, c, err)
	}
	eff, err := a.Directory.SetServerSettings(c.Request().Context(), values)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, NewAPISettings("", eff))
}
