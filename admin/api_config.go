package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APIApp is an app as the admin JSON API writes it: GET …/apps.
type APIApp struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Keys counts the app's active API keys.
	Keys int `json:"keys"`
	// Settings are those set for the app, by canonical name; the others
	// are inherited from the server defaults.
	Settings map[string]APISetting `json:"settings"`
}

// APISetting is one setting of a layer: its value and who set it.
type APISetting struct {
	Value string `json:"value"`
	By    string `json:"by"`
}

// APIConnection is a connection as the admin JSON API writes it, without
// its password: GET …/connections.
type APIConnection struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	Type        string            `json:"type"`
	Storage     bool              `json:"storage"`
	Params      map[string]string `json:"params"`
	HasPassword bool              `json:"has_password"`
	// Verified is the last Verify, Health the last health check; their
	// "at" is absent when there was none.
	Verified APICheck `json:"verified"`
	Health   APICheck `json:"health"`
}

// APICheck is a connection's last check of one kind.
type APICheck struct {
	At      *time.Time `json:"at,omitempty"`
	OK      bool       `json:"ok"`
	Step    string     `json:"step,omitempty"`
	Message string     `json:"message,omitempty"`
}

// NewAPIApp writes an app for the admin JSON API.
func NewAPIApp(app scopes.App) APIApp {
	set := make(map[string]APISetting, len(app.Layer))
	for name, e := range app.Layer {
		set[name] = APISetting{Value: e.Value, By: e.By}
	}
	return APIApp{Name: app.Name, Created: app.Created.UTC(), Keys: app.Keys, Settings: set}
}

// App reads an app the admin JSON API wrote.
func (a APIApp) App() scopes.App {
	layer := make(scopes.Layer, len(a.Settings))
	for name, s := range a.Settings {
		layer[name] = scopes.Entry{Value: s.Value, By: s.By}
	}
	return scopes.App{Name: a.Name, Created: a.Created, Keys: a.Keys, Layer: layer}
}

// NewAPIConnection writes a connection for the admin JSON API, never with
// its password.
func NewAPIConnection(c scopes.Connection) APIConnection {
	return APIConnection{Name: c.Name, Kind: c.Kind, Type: c.Type, Storage: c.Storage, Params: c.Params,
		HasPassword: c.HasSecret || c.Secret != "", Verified: newAPICheck(c.Verified), Health: newAPICheck(c.Health)}
}

// Connection reads a connection the admin JSON API wrote.
func (c APIConnection) Connection() scopes.Connection {
	return scopes.Connection{Name: c.Name, Kind: c.Kind, Type: c.Type, Storage: c.Storage, Params: c.Params,
		HasSecret: c.HasPassword, Verified: c.Verified.check(), Health: c.Health.check()}
}

func newAPICheck(k scopes.ConnectionCheck) APICheck {
	c := APICheck{OK: k.OK, Step: k.Step, Message: k.Message}
	if !k.At.IsZero() {
		at := k.At.UTC()
		c.At = &at
	}
	return c
}

func (c APICheck) check() scopes.ConnectionCheck {
	k := scopes.ConnectionCheck{OK: c.OK, Step: c.Step, Message: c.Message}
	if c.At != nil {
		k.At = *c.At
	}
	return k
}

// apiApps answers every app: {"apps":[…]}.
func (a *Console) apiApps(c echo.Context) error {
	apps, err := a.Directory.Apps(c.Request().Context())
	if err != nil {
		return apiError(a, c, err)
	}
	out := make([]APIApp, len(apps))
	for i, app := range apps {
		out[i] = NewAPIApp(app)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, struct {
		Apps []APIApp `json:"apps"`
	}{out})
}

// apiConnections answers every connection, without passwords:
// {"connections":[…]}.
func (a *Console) apiConnections(c echo.Context) error {
	conns, err := a.Connections.Connections(c.Request().Context())
	if err != nil {
		return apiError(a, c, err)
	}
	out := make([]APIConnection, len(conns))
	for i, conn := range conns {
		out[i] = NewAPIConnection(conn)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, struct {
		Connections []APIConnection `json:"connections"`
	}{out})
}
