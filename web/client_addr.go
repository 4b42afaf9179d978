package web

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// clientAddr returns how the API tells a client's address, which the limit
// on unauthorized requests counts: the connection's peer, unless that peer is
// one of the trusted proxies, whose X-Forwarded-For (or, without one,
// X-Real-IP) names the client. Echo's default would believe those headers
// from anyone, and whoever rotated them would never be limited. The console
// (package admin) follows the same rule; this is its twin because web and
// admin do not import each other and httpapi does not import echo. The
// /api/ fast path in cmd's handler calls this echo instance too, so it
// follows the rule as well.
func clientAddr(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	// Only the listed proxies: echo otherwise trusts every loopback,
	// link-local and private address as a proxy too.
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	xff, realIP := echo.ExtractIPFromXFFHeader(opts...), echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if r.Header.Get(echo.HeaderXForwardedFor) != "" {
			return xff(r)
		}
		return realIP(r)
	}
}
