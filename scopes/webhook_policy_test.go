package scopes_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// Every internal address is refused at connect time, in each of its forms,
// unless a network the administrator allowed holds it.
func TestWebhookPolicy_CheckAddr(t *testing.T) {
	strict := scopes.WebhookPolicy{}
	refused := map[string]string{
		"127.0.0.1":              "loopback",
		"127.255.0.9":            "loopback",
		"::1":                    "loopback",
		"169.254.169.254":        "link-local",
		"fe80::1":                "link-local",
		"fe80::1%eth0":           "link-local",
		"10.0.0.5":               "private",
		"172.16.3.4":             "private",
		"172.31.255.255":         "private",
		"192.168.1.1":            "private",
		"fc00::1":                "private",
		"fd12:3456::1":           "private",
		"0.0.0.0":                "unspecified",
		"::":                     "unspecified",
		"224.0.0.1":              "multicast",
		"ff02::1":                "multicast",
		"100.64.0.1":             "carrier-grade NAT",
		"100.127.255.254":        "carrier-grade NAT",
		"255.255.255.255":        "broadcast",
		"::ffff:127.0.0.1":       "loopback",
		"::ffff:169.254.169.254": "link-local",
		"::ffff:10.1.2.3":        "private",
		"64:ff9b::7f00:1":        "loopback",
		"::7f00:1":               "IPv4-compatible",
	}
	for addr, why := range refused {
		err := strict.CheckAddr(netip.MustParseAddr(addr))
		if err == nil || !strings.Contains(scopes.ErrorMessage(err), why) || !strings.Contains(scopes.ErrorMessage(err), "--webhook-allow-networks") {
			t.Errorf("CheckAddr(%s) = %v; want a refusal saying %q and naming the flag", addr, err, why)
		}
	}
	for _, addr := range []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "172.32.0.1", "100.128.0.1", "::ffff:93.184.215.14"} {
		if err := strict.CheckAddr(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("CheckAddr(%s) = %v; want it allowed", addr, err)
		}
	}
	open := scopes.WebhookPolicy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16")}}
	for _, addr := range []string{"127.0.0.1", "::ffff:127.0.0.1", "10.1.2.3"} {
		if err := open.CheckAddr(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("allowed networks: CheckAddr(%s) = %v; want it allowed", addr, err)
		}
	}
	for _, addr := range []string{"::1", "10.2.0.1", "169.254.169.254"} {
		if err := open.CheckAddr(netip.MustParseAddr(addr)); err == nil {
			t.Errorf("allowed networks: CheckAddr(%s) allowed; it is outside them", addr)
		}
	}
}

// A URL is refused when set for what can be known without DNS: plain http
// without the opt-in, an internal literal address, localhost, and the odd
// spellings of an address that resolvers read as 127.0.0.1.
func TestWebhookPolicy_CheckURL(t *testing.T) {
	strict := scopes.WebhookPolicy{}
	for url, why := range map[string]string{
		"http://hooks.example.com/end":        "--webhook-allow-http",
		"https://127.0.0.1/end":               "loopback",
		"https://[::1]:8443/end":              "loopback",
		"https://[::ffff:7f00:1]/end":         "loopback",
		"https://169.254.169.254/latest/meta": "link-local",
		"https://[fe80::1%25eth0]/end":        "link-local",
		"https://10.0.0.5/end":                "private",
		"https://localhost:8443/end":          "loopback",
		"https://hooks.localhost/end":         "loopback",
		"https://0x7f000001/end":              "spells an IP address",
		"https://0X7F000001/end":              "spells an IP address",
		"https://2130706433/end":              "spells an IP address",
		"https://127.1/end":                   "spells an IP address",
		"https://127.0.0.01/end":              "spells an IP address",
		"https://017700000001/end":            "spells an IP address",
		"https://127.0.0.1./end":              "loopback",
	} {
		err := strict.CheckURL(url)
		if err == nil || !strings.Contains(scopes.ErrorMessage(err), why) {
			t.Errorf("CheckURL(%s) = %v; want a refusal saying %q", url, err, why)
		}
	}
	for _, url := range []string{"https://hooks.example.com/end?k=1", "https://93.184.215.14/end", "https://a1.example/x", "https://hooks.example.com:8443/"} {
		if err := strict.CheckURL(url); err != nil {
			t.Errorf("CheckURL(%s) = %v; want it allowed", url, err)
		}
	}
	open := scopes.WebhookPolicy{AllowHTTP: true, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	for _, url := range []string{"http://hooks.example.com/end", "http://127.0.0.1:8080/end", "http://localhost:8080/end"} {
		if err := open.CheckURL(url); err != nil {
			t.Errorf("with the opt-ins, CheckURL(%s) = %v; want it allowed", url, err)
		}
	}
	if err := open.CheckURL("http://0x7f000001/end"); err == nil {
		t.Error("with the opt-ins, an odd spelling of 127.0.0.1 was allowed; it is refused whatever the networks")
	}
}
