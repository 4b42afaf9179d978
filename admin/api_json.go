package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// readJSON decodes the body of a POST or PATCH to the admin API into v.
// It takes JSON only (Content-Type: application/json): a form of another
// site cannot send that without the browser asking first (CORS), which
// keeps the console's cookie from being used against the API. Unknown
// fields and anything after the object are refused; an empty body is {}.
// example is a body that would do, for the message.
func readJSON(c echo.Context, v any, example string) error {
	if mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type")); mt != "application/json" {
		return scopes.Errorf(scopes.EInvalid, "send the body as JSON, with Content-Type: application/json: %s", example)
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return scopes.Errorf(scopes.EInvalid, "the body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return scopes.Errorf(scopes.EInvalid, "the body is not the JSON this endpoint takes (%s): send %s", jsonProblem(err), example)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return scopes.Errorf(scopes.EInvalid, "the body holds more than one JSON value: send one object, as %s", example)
	}
	return nil
}

// jsonProblem says what is wrong with a body in words, without Go's type
// names where a person would not know them.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return "it is not a JSON object"
		}
		return "field " + field + " must be a JSON " + jsonTypeName(te.Type.Kind().String())
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonTypeName names a Go kind as JSON calls it.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean (true or false)"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	}
	return "number"
}
