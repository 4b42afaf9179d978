package admin

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APINewKey is an API key as the admin JSON API hands it out, once: POST
// …/apps, POST …/apps/{app}/keys and POST …/apps/{app}/keys/rotate.
type APINewKey struct {
	App string `json:"app"`
	// Key is the key itself, shown this once: the config store keeps only
	// its hash.
	Key string `json:"key"`
	// ID and Label tell the key apart in lists; absent for a new app's
	// first key and a rotated one.
	ID    int64  `json:"id,omitempty"`
	Label string `json:"label,omitempty"`
	// Name is how messages and the audit log name the key.
	Name string `json:"name,omitempty"`
}

// APIAppDeleted is what DELETE …/apps/{app} did.
type APIAppDeleted struct {
	App string `json:"app"`
	// Ended counts the live scopes that ended with the app.
	Ended int `json:"ended"`
}

// APISettings are effective settings as the admin JSON API writes them:
// each setting, its value and where it comes from, in SettingNames order.
type APISettings struct {
	// App is the app, "" for the server defaults.
	App      string              `json:"app,omitempty"`
	Settings []APIEffectiveValue `json:"settings"`
}

// APIEffectiveValue is one effective setting.
type APIEffectiveValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// From is default, server, app or admin (scopes.FromDefault …).
	From string `json:"from"`
	// Refused says why the value is not applied, when it is not.
	Refused string `json:"refused,omitempty"`
}

// NewAPISettings writes the effective settings of app ("" for the server
// defaults) for the admin JSON API.
func NewAPISettings(app string, eff scopes.Effective) APISettings {
	out := APISettings{App: app, Settings: []APIEffectiveValue{}}
	for _, name := range scopes.SettingNames() {
		out.Settings = append(out.Settings, APIEffectiveValue{Name: name, Value: eff.Values[name], From: eff.From[name], Refused: eff.Refused[name]})
	}
	return out
}

// Effective reads effective settings the admin JSON API wrote: their
// values, sources and refusals, without the resolved Settings.
func (s APISettings) Effective() scopes.Effective {
	eff := scopes.Effective{Values: map[string]string{}, From: map[string]string{}, Refused: map[string]string{}}
	for _, v := range s.Settings {
		eff.Values[v.Name], eff.From[v.Name] = v.Value, v.From
		if v.Refused != "" {
			eff.Refused[v.Name] = v.Refused
		}
	}
	return eff
}

// appCreateRequest is the body of POST …/apps.
type appCreateRequest struct {
	Name string `json:"name"`
}

// apiAppCreate registers an app and answers its first API key, once:
// 201 {"app","key"}. The directory records app.create.
func (a *Console) apiAppCreate(c echo.Context) error {
	var req appCreateRequest
	if err := readJSON(c, &req, `{"name":"shop"}`); err != nil {
		return apiError(a, c, err)
	}
	key, err := a.Directory.CreateApp(c.Request().Context(), req.Name)
	if scopes.ErrorCode(err) == scopes.EConflict {
		existing := req.Name
		if name, err := a.Directory.AppName(c.Request().Context(), req.Name); err == nil {
			existing = name
		}
		return apiError(a, c, scopes.Errorf(scopes.EConflict, "an app named %s exists already (app names ignore case): choose another name", existing))
	} else if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusCreated, APINewKey{App: req.Name, Key: key})
}

// apiAppDelete deletes an app after ending its live scopes, as the app
// page's Delete does: {"app","ended"}.
func (a *Console) apiAppDelete(c echo.Context) error {
	if a.Engine == nil {
		return apiError(a, c, scopes.Errorf(scopes.EUnsupported, "this server has no engine to end the app's scopes with"))
	}
	app := c.Param("app")
	ended, err := a.Directory.DeleteAppAndScopes(c.Request().Context(), a.Engine, app)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, APIAppDeleted{App: app, Ended: ended})
}

// apiAppSettings answers an app's effective settings and where each comes from.
func (a *Console) apiAppSettings(c echo.Context) error {
	app := c.Param("app")
	eff, err := a.Directory.Effective(c.Request().Context(), app)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, NewAPISettings(app, eff))
}

// apiAppSettingsPatch sets some of an app's settings as an administrator,
// "inherit" putting one back to the server default, and answers the
// effective settings. The directory judges them all before it saves any,
// and records app.settings.
func (a *Console) apiAppSettingsPatch(c echo.Context) error {
	values, err := readSettings(c)
	if err != nil {
		return apiError(a, c, err)
	}
	if err := a.refuseUnreachable(c, values); err != nil {
		return apiError(a, c, err)
	}
	app := c.Param("app")
	eff, err := a.Directory.SetAppSettings(c.Request().Context(), app, values)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, NewAPISettings(app, eff))
}

// settingsExample is a body that PATCH …/settings takes.
const settingsExample = `{"sessionStorage":"file","sessionTimeout":"1h","clientCluster":"inherit"}`

// readSettings reads the body of PATCH …/settings: an object of setting
// names and their values, strings (true, false and numbers are taken as
// they read).
func readSettings(c echo.Context) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := readJSON(c, &raw, settingsExample); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, scopes.Errorf(scopes.EInvalid, "name at least one setting to change: %s", settingsExample)
	}
	values := make(map[string]string, len(raw))
	for name, msg := range raw {
		var v any
		if err := json.Unmarshal(msg, &v); err != nil {
			return nil, scopes.Errorf(scopes.EInvalid, "setting %q: %v", name, err)
		}
		switch v := v.(type) {
		case string:
			values[name] = v
		case bool:
			values[name] = strconv.FormatBool(v)
		case float64:
			values[name] = string(msg)
		default:
			return nil, scopes.Errorf(scopes.EInvalid, "setting %q must be a string, such as \"inherit\": %s", name, settingsExample)
		}
	}
	return values, nil
}
