package scopes

import (
	"net/netip"
	"net/url"
	"strings"
)

// WebhookPolicy is where end-of-scope webhooks may point. Its zero value is
// the safe default: https only, and no loopback, private, link-local or
// other internal address, so that a webhook URL cannot make scopestore
// reach inside the network it runs in (SSRF). cmd fills it from
// --webhook-allow-http and --webhook-allow-networks.
type WebhookPolicy struct {
	// AllowHTTP lets webhooks use plain http as well as https.
	AllowHTTP bool
	// AllowNetworks are internal networks that webhooks may reach anyway,
	// such as a receiver on the same host or in the same private network.
	AllowNetworks []netip.Prefix
}

// blockedNetwork is a range of addresses that a webhook must not reach,
// with the words a refusal uses.
type blockedNetwork struct {
	prefix netip.Prefix
	what   string
}

// blockedNetworks are refused unless AllowNetworks holds the address. The
// specific ones come first, so that a refusal names the narrowest range.
var blockedNetworks = func() []blockedNetwork {
	list := []struct{ cidr, what string }{
		{"0.0.0.0/8", "an unspecified (this-network) address"},
		{"127.0.0.0/8", "a loopback address"},
		{"10.0.0.0/8", "a private address"},
		{"172.16.0.0/12", "a private address"},
		{"192.168.0.0/16", "a private address"},
		{"100.64.0.0/10", "a shared (carrier-grade NAT) address"},
		{"169.254.0.0/16", "a link-local address (where cloud metadata services answer)"},
		{"224.0.0.0/4", "a multicast address"},
		{"240.0.0.0/4", "a reserved or broadcast address"},
		{"::/128", "an unspecified address"},
		{"::1/128", "a loopback address"},
		{"::/96", "an IPv4-compatible address"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"fc00::/7", "a private (unique local) address"},
		{"ff00::/8", "a multicast address"},
	}
	out := make([]blockedNetwork, len(list))
	for i, b := range list {
		out[i] = blockedNetwork{netip.MustParsePrefix(b.cidr), b.what}
	}
	return out
}()

// nat64 is the well-known NAT64 prefix: its addresses carry an IPv4 address
// in their last 32 bits, which a NAT64 gateway reaches.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// CheckAddr tells whether a webhook may connect to addr, the address a host
// name resolved to: it is called at connect time, so that a name that
// resolves to an internal address, once or after a change (DNS rebinding),
// is refused as a literal one is. IPv4-mapped and NAT64 forms are judged by
// the IPv4 address they carry.
func (p WebhookPolicy) CheckAddr(addr netip.Addr) error {
	addr = addr.WithZone("")
	candidates := []netip.Addr{addr}
	if addr.Is4In6() {
		candidates = append(candidates, addr.Unmap())
	}
	if nat64.Contains(addr) {
		b := addr.As16()
		candidates = append(candidates, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, a := range candidates {
		for _, allowed := range p.AllowNetworks {
			if allowed.Contains(a) {
				return nil
			}
		}
	}
	for _, a := range candidates {
		for _, b := range blockedNetworks {
			if b.prefix.Contains(a) {
				return Errorf(EInvalidSettings, "%s is %s, which webhooks may not reach: use a public address, or allow its network with --webhook-allow-networks",
					addr, b.what)
			}
		}
	}
	return nil
}

// CheckURL tells whether a webhook URL that CanonicalWebhook accepted may be
// used under the policy: its scheme, and its host when that is an address
// (or localhost). A host name is judged again at connect time, by
// CheckAddr, on the address it resolves to.
func (p WebhookPolicy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return Errorf(EInvalidSettings, "%q is not a URL", raw)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && p.AllowHTTP) {
		return Errorf(EInvalidSettings, "%s is not https: use an https URL, or start scopestore with --webhook-allow-http to allow plain http", raw)
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if addr, err := netip.ParseAddr(host); err == nil {
		return p.CheckAddr(addr)
	}
	if numericHost(host) {
		// Resolvers that follow inet_aton read 127.1, 2130706433 and
		// 0x7f000001 as 127.0.0.1; Go's own parser does not: refuse what
		// the two would read differently.
		return Errorf(EInvalidSettings, "%q spells an IP address in a form that resolvers read differently: write an IPv4 address as four decimal numbers (192.0.2.10), an IPv6 one in brackets, or use a host name", host)
	}
	if lower := strings.ToLower(host); lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return p.CheckAddr(netip.AddrFrom4([4]byte{127, 0, 0, 1}))
	}
	return nil
}

// numericHost tells whether a host name ends in a number, as the URL
// standard says an IPv4 address does: its last label is decimal, or 0x and
// hex. No real domain ends so.
func numericHost(host string) bool {
	label := host[strings.LastIndexByte(host, '.')+1:]
	if label == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(strings.ToLower(label), "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return strings.Trim(label, "0123456789") == ""
}
