package httpapi

import "net"

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
