package main

import (
	"fmt"
	"net"
	"strings"
)

// parseTrustedProxies reads --trusted-proxies: a comma-separated list of IPs
// and CIDRs. A bare IP is a range of one address, so that "10.0.0.5" and
// "10.0.0.0/24" can be mixed.
func parseTrustedProxies(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			_, n, err := net.ParseCIDR(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP or a CIDR like 10.0.0.0/8", item)
			}
			out = append(out, n)
			continue
		}
		ip := net.ParseIP(item)
		if ip == nil {
			return nil, fmt.Errorf("%q is not an IP or a CIDR like 10.0.0.0/8", item)
		}
		bits := 8 * net.IPv6len
		if v4 := ip.To4(); v4 != nil {
			ip, bits = v4, 8*net.IPv4len
		}
		out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return out, nil
}
