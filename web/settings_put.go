package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// parseSettings turns a settings object, whose values are booleans, strings,
// numbers (a timeout in seconds) or arrays of strings (a list such as
// sensitiveKeys, also accepted as "a,b"), into setting values as text.
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
		case []any:
			list, err := listSetting(name, x)
			if err != nil {
				return nil, err
			}
			values[name] = list
		default:
			return nil, scopes.Errorf(scopes.EInvalid, "setting %q must be a boolean, a string, a number or an array of strings; leave it out to inherit it", name)
		}
	}
	return values, nil
}

// listSetting joins an array of strings into the comma-separated text that
// the setting's canonical form reads; a comma inside one string would split
// it into two names, so it is refused.
func listSetting(name string, items []any) (string, error) {
	if !scopes.ListSetting(name) {
		if _, _, err := scopes.CanonicalSetting(name, ""); scopes.ErrorCode(err) == scopes.EInvalid {
			return "", err // an unknown setting, named as such
		}
		return "", scopes.Errorf(scopes.EInvalid, "setting %q is not a list: give a boolean, a string or a number", name)
	}
	parts := make([]string, len(items))
	for i, item := range items {
		str, ok := item.(string)
		if !ok {
			return "", scopes.Errorf(scopes.EInvalid, "setting %q: an array holds strings only", name)
		}
		if strings.Contains(str, ",") {
			return "", scopes.Errorf(scopes.EInvalid, "setting %q: %q holds a comma; give each name as its own string", name, str)
		}
		parts[i] = str
	}
	return strings.Join(parts, ","), nil
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
