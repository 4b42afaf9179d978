package admin

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// rawView is a scope's data as JSON text, masked.
type rawView struct {
	Key     scopes.Key
	Storage string
	// Size is the stored data's size in bytes.
	Size int
	// JSON is the data masked by scopes.MaskData; templ escapes it as HTML.
	JSON string
}

// raw shows a scope's data as masked JSON text, for data that the tree
// cuts. It is a view of the data like the scope's page, and audited so.
func (o *sessionOps) raw(c echo.Context) error {
	ctx := c.Request().Context()
	key, set, sc, err := o.peek(ctx, c.Param("app"), c.Param("kind"), c.Param("cfid"))
	if err != nil {
		return err
	}
	masked, err := scopes.MaskData(sc.Data, set.SensitiveKeys)
	if err != nil {
		return fmt.Errorf("mask the data of %s: %w", auditTarget(key), err)
	}
	o.history.observe(key, sc, "open", o.now())
	o.audit(ctx, string(key.Kind)+".view", auditTarget(key), "raw JSON opened in the console: its data was shown, sensitive keys masked")
	v := rawView{Key: key, Storage: sc.Storage, Size: len(sc.Data), JSON: string(masked)}
	m := o.meta(c, "Raw JSON of "+kindNoun(key.Kind, false)+" "+shortCFID(key.CFID), "sessions")
	return o.render(c, http.StatusOK, rawPage(m, v))
}

// noun names the scope the page shows, as its heading does.
func (v rawView) noun() string {
	switch v.Key.Kind {
	case scopes.Server:
		return "server scope"
	case scopes.Application:
		return "application scope of " + v.Key.App
	}
	return kindNoun(v.Key.Kind, false) + " " + shortCFID(v.Key.CFID)
}

// back is the page of the scope whose data this is.
func (v rawView) back() string {
	if v.Key.Kind.Shared() {
		return sharedPath(v.Key.Kind, v.Key.App)
	}
	return instancePath(v.Key, "")
}
