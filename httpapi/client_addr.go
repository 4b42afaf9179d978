package httpapi

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// ClientAddr returns how both front ends tell a client's address, which
// their per-address limits count (the console's login throttle, the API's
// limit on 401s): the connection's peer, unless that peer is one of the
// trusted proxies, whose X-Forwarded-For (or, without one, X-Real-IP) names
// the client. Echo's default would believe those headers from anyone, and
// whoever rotated them would never be limited.
func ClientAddr(trusted []*net.IPNet) echo.IPExtractor {
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

// LimitKey is the key under which a client address is counted by a
// per-address limit: the IPv4 address itself, or the /64 of an IPv6 address,
// since one IPv6 client commonly holds a whole /64 and could otherwise take a
// fresh address for each attempt.
func LimitKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
