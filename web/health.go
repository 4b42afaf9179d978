package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// healthz answers while the process runs.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

type checkView struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// readyz answers 200 when the config store and every storage in use answer
// and the ReadyChecks pass, 503 with each failing check otherwise.
func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	checks := s.directory.Check(ctx)
	for _, check := range s.readyChecks {
		checks = append(checks, check(ctx))
	}
	status, views := http.StatusOK, make([]checkView, 0, len(checks))
	for _, h := range checks {
		v := checkView{Name: h.Name, OK: h.Err == nil}
		if h.Err != nil {
			status = http.StatusServiceUnavailable
			v.Detail = scopes.ErrorMessage(h.Err)
			s.logger.Warn("not ready", "check", h.Name, "err", h.Err)
		}
		views = append(views, v)
	}
	if status != http.StatusOK {
		c.Response().Header().Set("Retry-After", httpapi.RetryAfter)
	}
	return c.JSON(status, map[string]any{"ready": status == http.StatusOK, "checks": views})
}
