// Package web is scopestore's runtime API: JSON over HTTP under /api/v1,
// authenticated by API key, with one error format for every failure.
package web

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// bodySlack is what a request body may hold beyond the scope's data: the
// {"data": …} wrapper, or a patch's key names.
const bodySlack = 64 << 10

// Options are what the runtime API is built from.
type Options struct {
	Engine    *scopes.Engine
	Directory *scopes.Directory
	Logger    *slog.Logger
	// Metrics, when not nil, records every request and is served at GET /metrics.
	Metrics *Metrics
	// MetricsToken, when not empty, is the bearer token GET /metrics requires.
	MetricsToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// X-Real-IP tells the client's address; from anybody else those headers
	// are ignored (httpapi.ClientAddr).
	TrustedProxies []*net.IPNet
	// ReadyChecks are checked by /readyz besides the config store and the
	// storages in use: cmd adds that the data directory can be written.
	ReadyChecks []func(context.Context) scopes.Health
}

// Server holds what the API handlers need.
type Server struct {
	engine       *scopes.Engine
	directory    *scopes.Directory
	logger       *slog.Logger
	metrics      *Metrics
	metricsToken string
	// maxBody bounds every request body, in bytes.
	maxBody int64
	// trustedProxies tell the client's address (httpapi.ClientAddr).
	trustedProxies []*net.IPNet
	// unauthorized limits the 401s per client address; now is its clock,
	// the engine's, which tests move.
	unauthorized *unauthorizedLimit
	now          func() time.Time
	readyChecks  []func(context.Context) scopes.Health
	// bodies bounds the large request bodies in flight.
	bodies bodyBudget
	// locks takes and releases the apps' named locks (lock.go).
	locks *scopes.Locks
}

// New returns the runtime API as an echo instance ready to serve.
func New(o Options) *echo.Echo {
	s := &Server{
		engine:       o.Engine,
		directory:    o.Directory,
		logger:       o.Logger,
		metrics:      o.Metrics,
		metricsToken: o.MetricsToken,
		maxBody:      int64(o.Engine.MaxScopeSize) + bodySlack,

		trustedProxies: o.TrustedProxies,
		readyChecks:    o.ReadyChecks,
		bodies:         newBodyBudget(),
		unauthorized:   newUnauthorizedLimit(),
		now:            o.Engine.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.locks = scopes.NewLocks(o.Engine, o.Directory)
	if o.Metrics != nil {
		s.locks.Observer = o.Metrics
	}
	return s.routes()
}
