package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) putScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := scopeKey(c, k)
		if err != nil {
			return err
		}
		create, err := httpapi.ParseIfNoneMatch(header(c.Request(), ifNoneMatchHeader))
		if err != nil {
			return err
		}
		ifMatch := strings.TrimSpace(header(c.Request(), ifMatchHeader))
		if create && ifMatch != "" && ifMatch != "*" {
			return scopes.Errorf(scopes.EInvalid, "If-Match and If-None-Match contradict each other: send If-None-Match: * to create, If-Match to replace")
		}
		cond, err := writeCond(c)
		if err != nil {
			return err
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		if len(body) == 0 && !create {
			return scopes.Errorf(scopes.EInvalid, "the request body is empty: send a JSON object")
		}
		var data json.RawMessage
		if len(body) > 0 {
			var present bool
			if data, present, err = decodeDataBody(body); err != nil {
				return err
			}
			if !present && !create {
				return scopes.Errorf(scopes.EInvalid, `"data" is required: send {"data":{…}}`)
			}
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, key.App)
		if err != nil {
			return err
		}
		ctx = scopeContext(c, eff.Settings, k)
		if create {
			sc, err := s.engine.CreateFenced(ctx, eff.Settings, key, data, cond.Fence)
			if err != nil {
				return err
			}
			return writeScope(c, http.StatusCreated, sc)
		}
		sc, err := s.engine.SaveIf(ctx, eff.Settings, key, data, cond)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
