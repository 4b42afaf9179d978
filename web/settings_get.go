package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// settingsView is an app's effective settings, where each comes from, and
// the storages its scopes may use.
type settingsView struct {
	App      string                   `json:"app"`
	Settings map[string]any           `json:"settings"`
	Sources  map[string]string        `json:"sources"`
	Storages map[scopes.Kind][]string `json:"storages"`
	// Refused says why a setting shown is not applied: a scopeEndWebhook
	// the app declared that allowedWebhooks does not list.
	Refused map[string]string `json:"refused,omitempty"`
}

func (s *Server) settingsView(ctx context.Context, app string, eff scopes.Effective) (settingsView, error) {
	v := settingsView{App: app, Settings: map[string]any{}, Sources: eff.From, Storages: map[scopes.Kind][]string{}, Refused: eff.Refused}
	for name, value := range eff.Values {
		if name == scopes.SensitiveKeys || name == scopes.AllowedWebhooks {
			// A list, even of one key named "true", is an array.
			keys := eff.Settings.SensitiveKeys
			if name == scopes.AllowedWebhooks {
				keys = eff.Settings.AllowedWebhooks
			}
			if keys == nil {
				keys = []string{}
			}
			v.Settings[name] = keys
			continue
		}
		switch value {
		case "true":
			v.Settings[name] = true
		case "false":
			v.Settings[name] = false
		default:
			v.Settings[name] = value
		}
	}
	// The server scope's storage is no app's to set: not listed.
	for _, k := range []scopes.Kind{scopes.Session, scopes.Client, scopes.Application} {
		names, err := s.directory.StorageNames(ctx, k)
		if err != nil {
			return v, err
		}
		v.Storages[k] = names
	}
	return v, nil
}

func (s *Server) getSettings(c echo.Context) error {
	ctx := c.Request().Context()
	app := c.Param("app")
	eff, err := s.directory.Effective(ctx, app)
	if err != nil {
		return err
	}
	v, err := s.settingsView(ctx, app, eff)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
