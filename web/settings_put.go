package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/scopestore/scopestore/scopes"
)

// parseSettings turns a settings object, whose values are booleans, strings
// or numbers (a timeout in seconds), into setting values as text.
func parseSettings(raw map[string]json.RawMessage) (map[string]string, error) {
	values := map[string]string{}
	for name, v := range raw {
		var v2 any
		dec := json.NewDecoder(strings.NewReader(string(v)))
		dec.UseNumber()
		if err := dec.Decode(&v2); err != nil {
			return nil, scopes.Errorf(scopes.EInvalid, "setting %q: %v", name, err)
		}
		switch x := v2.(type) {
		case bool:
			if x {
				values[name] = "true"
			} else {
				values[name] = "false"
			}
		case string:
			values[name] = x
		case json.Number:
			values[name] = x.String()
		default:
			return nil, scopes.Errorf(scopes.EInvalid, "setting %q must be a boolean, a string or a number; leave it out to inherit it", name)
		}
	}
	return values, nil
}

func (s *Server) putSettings(c echo.Context) error {
	var raw map[string]json.RawMessage
	if err := decodeJSON(c, &raw); err != nil {
		return err
	}
	values, err := parseSettings(raw)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	app := c.Param("app")
	eff, err := s.directory.DeclareSettings(ctx, app, values)
	if err != nil {
		return err
	}
	v, err := s.settingsView(ctx, app, eff)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
