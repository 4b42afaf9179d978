package web

import (
	"encoding/json"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
)

// jsonSerializer writes JSON as httpapi does, without HTML escaping.
type jsonSerializer struct{}

// Serialize writes i as JSON.
func (jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	return httpapi.Encode(c.Response(), i, indent)
}

// Deserialize reads the request body as JSON into i.
func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	return json.NewDecoder(c.Request().Body).Decode(i)
}
