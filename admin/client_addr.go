package admin

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// clientAddr returns how the console tells a client's address, which the
// login throttle counts: the connection's peer, unless that peer is one of
// the trusted proxies, whose X-Forwarded-For (or, without one, X-Real-IP)
// names the client. Echo's default would believe those headers from anyone,
// and whoever rotated them would get unlimited password guesses. The runtime
// API (package web) follows the same rule with the same echo extractors.
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
