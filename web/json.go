package web

import (
	"encoding/json"

	"github.com/labstack/echo/v4"
)

// jsonSerializer writes JSON without HTML escaping, so that a urltoken
// reads CFID=…&CFTOKEN=… rather than \u0026.
type jsonSerializer struct{}

// Serialize writes i as JSON.
func (jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}

// Deserialize reads the request body as JSON into i.
func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	return json.NewDecoder(c.Request().Body).Decode(i)
}
