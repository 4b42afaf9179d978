package admin

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// connStatus is a connection's Status as a page shows it: the last Verify
// and health check that the config store keeps, and the checks of a Verify
// that ran for this very request.
type connStatus struct {
	Verified scopes.ConnectionCheck
	Health   scopes.ConnectionCheck
	// Checks are the steps of the Verify that just ran; Ran tells that it did.
	Checks []verifyCheckView
	Ran    bool
	// Now is when the page was made, from which "5 min ago" is told.
	Now time.Time
}

// statusOf is the kept status of a connection.
func statusOf(conn scopes.Connection) connStatus {
	return connStatus{Verified: conn.Verified, Health: conn.Health, Now: time.Now()}
}

// justVerified is the status after a Verify that started at started.
func justVerified(started time.Time, checks []verifyCheckView) connStatus {
	return connStatus{Verified: scopes.ConnectionCheck{At: started, OK: checksPassed(checks)},
		Checks: checks, Ran: true, Now: time.Now()}
}

// healthNews tells whether a health check came after the last Verify, and
// so says something Verify's result does not.
func (s connStatus) healthNews() bool {
	return !s.Health.At.IsZero() && s.Health.At.After(s.Verified.At)
}

// checkTime says when a check ran as people say it ("just now", "5 min
// ago"), the date and time in UTC past a day.
func checkTime(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return utcTime(t)
}

// connAddress is where a connection's server is, as its list shows it:
// its URL or DSN, or user@host:port/database, the file of an SQLite
// database; never a password, nor a query string, which may hold one.
func connAddress(conn scopes.Connection) string {
	p := conn.Params
	if raw := p["url"]; raw != "" {
		if !strings.Contains(raw, "://") {
			return raw // PostgreSQL's keyword/value form
		}
		if u, err := url.Parse(raw); err == nil {
			u.RawQuery, u.Fragment = "", ""
			return u.String()
		}
		shown, _, _ := strings.Cut(raw, "?")
		return shown
	}
	if dsn := p["dsn"]; dsn != "" {
		shown, _, _ := strings.Cut(dsn, "?")
		return shown
	}
	switch conn.Type {
	case "sqlite":
		return p["file"]
	case "memcached":
		return p["servers"]
	}
	host := p["host"]
	if host == "" {
		return ""
	}
	addr := host
	if port := p["port"]; port != "" {
		if strings.Contains(host, ",") {
			addr = strings.ReplaceAll(host, ",", ", ") + " (port " + port + ")"
		} else {
			addr = net.JoinHostPort(host, port)
		}
	}
	if user := p["username"]; user != "" {
		addr = user + "@" + addr
	}
	if db := p["database"]; db != "" && conn.Type != "redis" {
		addr += "/" + db
	}
	return addr
}

// connTypeText is a connection's type as its list shows it, with the mode
// of a Redis Sentinel or Cluster.
func connTypeText(conn scopes.Connection) string {
	switch conn.Params["mode"] {
	case "sentinel":
		return connTypeLabel(conn.Type) + " · Sentinel"
	case "cluster":
		return connTypeLabel(conn.Type) + " · Cluster"
	}
	return connTypeLabel(conn.Type)
}

// checkConnection adds the connection manager's judgement of a form's
// definition to the form's own.
func (a *Console) checkConnection(f *connectionForm, conn scopes.Connection) bool {
	f.validate()
	f.invalid(a.Connections.Check(conn))
	shown := a.Connections.Redact(conn).Params
	for p, v := range f.Params {
		if shown[p] != v {
			f.URLPassword = true
		}
	}
	f.Params = shown
	return len(f.Errors) == 0
}

// recordHealth keeps the outcome of the health check of a storage that
// started at at. Not keeping it costs only a stale Status: it is logged.
func (a *Console) recordHealth(ctx context.Context, name string, at time.Time, err error) {
	if scopes.BuiltInStorage(name) {
		return
	}
	if rerr := a.Connections.RecordHealth(ctx, name, at, err); rerr != nil {
		a.Logger.Warn("keep the outcome of a storage's health check", "storage", name, "err", rerr)
	}
}
