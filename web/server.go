// Package web is scopestore's runtime API: JSON over HTTP under /api/v1,
// authenticated by API key, with one error format for every failure.
package web

import (
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/scopestore/scopestore/scopes"
)

// bodySlack is what a request body may hold beyond the scope's data: the
// {"data": …} wrapper, or a patch's key names.
const bodySlack = 64 << 10

// Server holds what the API handlers need.
type Server struct {
	engine    *scopes.Engine
	directory *scopes.Directory
	logger    *slog.Logger
	// maxBody bounds every request body, in bytes.
	maxBody int64
}

// New returns the runtime API as an echo instance ready to serve.
func New(engine *scopes.Engine, directory *scopes.Directory, logger *slog.Logger) *echo.Echo {
	s := &Server{
		engine:    engine,
		directory: directory,
		logger:    logger,
		maxBody:   int64(engine.MaxScopeSize) + bodySlack,
	}
	return s.routes()
}
