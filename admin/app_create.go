package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// keyView is the page that shows a new API key, once.
type keyView struct {
	App string
	Key string
	// Rotated tells a rotated key from the first one of a new app, and
	// Added a key added beside the app's others, labelled Label.
	Rotated bool
	Added   bool
	Label   string
	// BaseURL is where this scopestore answers, for the curl example.
	BaseURL string
}

func (a *Console) appCreate(c echo.Context) error {
	f := readAppForm(c)
	if !f.validate() {
		return a.renderAppList(c, http.StatusUnprocessableEntity, f)
	}
	key, err := a.Directory.CreateApp(c.Request().Context(), f.Name)
	switch scopes.ErrorCode(err) {
	case "":
	case scopes.EConflict:
		existing := f.Name
		if name, err := a.Directory.AppName(c.Request().Context(), f.Name); err == nil {
			existing = name
		}
		f.Errors["name"] = "An application named " + existing + " already exists (application names ignore case): choose another name, or open it in the list above."
		return a.renderAppList(c, http.StatusUnprocessableEntity, f)
	case scopes.EInvalid:
		f.Errors["name"] = sentence(scopes.ErrorMessage(err))
		return a.renderAppList(c, http.StatusUnprocessableEntity, f)
	default:
		return err
	}
	return showKeyOnce(c, keyView{App: f.Name, Key: key})
}

// renderKey shows a new API key, in no URL and not cached: the config
// store keeps only its hash and this page is the only time it shows: the
// GET that the POST which made it leads to (showKeyOnce, appNewKey).
func (a *Console) renderKey(c echo.Context, v keyView) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	v.BaseURL = c.Scheme() + "://" + c.Request().Host
	title := "API key of " + v.App
	return a.render(c, http.StatusOK, appKeyPage(a.meta(c, title, "apps"), v))
}

// curl is a call the new key can make at once: it creates a session scope.
func (v keyView) curl() string {
	return "curl -X POST \\\n  -H \"Authorization: Bearer " + v.Key + "\" \\\n  " +
		v.BaseURL + "/api/v1/apps/" + v.App + "/sessions"
}
