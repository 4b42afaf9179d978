// Package admin is scopestore's admin console: server-rendered pages (echo
// and templ, htmx only as an enhancement) where administrators configure
// connections, scope storage and applications.
package admin

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/static"
)

// Prefix is where the console is mounted.
const Prefix = "/admin"

// Connections manages named connections; cmd hands in connections.Manager.
type Connections interface {
	Connections(ctx context.Context) ([]scopes.Connection, error)
	Connection(ctx context.Context, name string) (scopes.Connection, error)
	Create(ctx context.Context, c scopes.Connection) error
	Update(ctx context.Context, c scopes.Connection, keepSecret bool) error
	Delete(ctx context.Context, name string) error
	Verify(ctx context.Context, name string) ([]scopes.Health, error)
	Tables(ctx context.Context, name string) ([]scopes.TableStatus, error)
	Migrate(ctx context.Context, name string, dryRun bool) ([]scopes.MigrationStep, error)
	// Check judges a definition without storing it, so that a form shows
	// every problem at once rather than the first.
	Check(c scopes.Connection) error
	// Redact returns a definition as a page may show it again: without a
	// password written into its url or dsn, so that a form shown again
	// with its problems does not hold one.
	Redact(c scopes.Connection) scopes.Connection
	// RecordHealth keeps the outcome of a storage's health check that
	// started at at, for the lists of every instance.
	RecordHealth(ctx context.Context, name string, at time.Time, err error) error
}

// Options is what the console needs, wired by cmd.
type Options struct {
	Directory   *scopes.Directory
	Connections Connections
	Admins      scopes.AdminStore
	// Engine counts the live scopes on the overview and lists its recent
	// storage failures; without it the overview shows neither.
	Engine *scopes.Engine
	// History is this instance's last hour of operations per storage, which
	// the overview draws as charts (and where it keeps the live scopes it
	// counts); without it the overview has no charts.
	History *scopes.History
	// InitialPassword, from SCOPESTORE_ADMIN_PASSWORD, replaces the setup
	// step: user "admin" logs in with it.
	InitialPassword string
	// SetupToken, when not empty, must be typed into the setup form before
	// the first administrator is created: cmd makes one, and logs it, when
	// the console listens beyond loopback, so that whoever reaches the
	// setup page first cannot take the console.
	SetupToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// X-Real-IP tells the client's address; from anybody else those headers
	// are ignored (httpapi.ClientAddr).
	TrustedProxies []*net.IPNet
	// AuditRetention is --audit-retention, which the audit page names: how
	// long an entry is kept (0: for ever). cmd deletes the older ones.
	AuditRetention time.Duration
	// Instance names this instance among those that share the config
	// store ("web-1:8080"), as the runner of the move jobs it runs; empty,
	// the host name and process id stand in.
	Instance string
	// Now is the clock of the move jobs' heartbeats; nil is time.Now.
	// Tests move it to see a runner as gone.
	Now         func() time.Time
	Version     string
	ConfigStore string
	Started     time.Time
	Logger      *slog.Logger
}

// Console serves the admin pages.
type Console struct {
	Options
	assets *static.Assets
	// addrThrottle and userThrottle limit failed logins per client address
	// and per user name; known spares a user's usual addresses the latter
	// (throttle.go).
	addrThrottle *throttle
	userThrottle *throttle
	known        *knownAddrs
	// loginAudit bounds the failed logins recorded in the audit log.
	loginAudit *loginAudit
}

// New returns the console as an echo instance to mount under Prefix.
func New(o Options) *echo.Echo {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Started.IsZero() {
		o.Started = time.Now()
	}
	a := &Console{Options: o, assets: static.New(Prefix + "/static/"),
		addrThrottle: newThrottle(addrMaxFailures, failureWindow, 0),
		userThrottle: newThrottle(userFreeFailures, failureWindow, userSpacing),
		known:        newKnownAddrs(),
		loginAudit:   newLoginAudit()}
	return a.routes()
}
