package admin_test

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/admin"
)

// trustLoopback is --trusted-proxies 127.0.0.1,::1: the test's client is the proxy.
func trustLoopback(o *admin.Options) {
	o.TrustedProxies = []*net.IPNet{
		{IP: net.IPv4(127, 0, 0, 1).To4(), Mask: net.CIDRMask(32, 32)},
		{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
	}
}

// loginAs submits the login form as user with password, sending the header
// name: value when name is not empty.
func (tc *testConsole) loginAs(user, password, name, value string) page {
	tc.t.Helper()
	tc.get("/admin/login")
	form := url.Values{"_csrf": {tc.csrf}, "username": {user}, "password": {password}}
	req, _ := http.NewRequest("POST", tc.srv.URL+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if name != "" {
		req.Header.Set(name, value)
	}
	return tc.do(req)
}

func TestLoginThrottleIgnoresForwardedForWithoutTrustedProxy(t *testing.T) {
	tc := newTestConsole(t, false)
	for i := range 5 {
		p := tc.loginAs("admin", "wrong password", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i))
		mustStatus(t, p, http.StatusUnauthorized)
	}
	// A fresh X-Forwarded-For or X-Real-IP is no fresh address: the
	// connection's is counted, and it is locked out, right password or not.
	for _, h := range []string{"X-Forwarded-For", "X-Real-IP"} {
		p := tc.loginAs("admin", testPassword, h, "198.51.100.9")
		mustStatus(t, p, http.StatusTooManyRequests)
		if got := p.testid("error-password"); !strings.Contains(got, "from your address") {
			t.Errorf("%s: the refusal says %q", h, got)
		}
	}
}

func TestLoginThrottleHonoursTrustedProxy(t *testing.T) {
	tc := newTestConsoleOn(t, false, nil, trustLoopback)
	for range 5 {
		mustStatus(t, tc.loginAs("admin", "wrong password", "X-Forwarded-For", "203.0.113.7"), http.StatusUnauthorized)
	}
	mustStatus(t, tc.loginAs("admin", testPassword, "X-Forwarded-For", "203.0.113.7"), http.StatusTooManyRequests)
	mustStatus(t, tc.loginAs("admin", testPassword, "X-Real-IP", "203.0.113.7"), http.StatusTooManyRequests)
	// The proxy's other clients are not locked out, nor the proxy itself.
	mustStatus(t, tc.loginAs("admin", testPassword, "X-Forwarded-For", "203.0.113.8"), http.StatusSeeOther)
	mustStatus(t, tc.loginAs("admin", testPassword, "", ""), http.StatusSeeOther)
}

func TestLoginThrottlePacesUserAcrossAddresses(t *testing.T) {
	tc := newTestConsoleOn(t, false, nil, trustLoopback)
	// The administrator logs in from their usual address (the proxy's own).
	mustStatus(t, tc.loginAs("admin", testPassword, "", ""), http.StatusSeeOther)
	// A guess against "admin" from ten addresses, one attempt each (the
	// per-address limit, five, never trips); the name's case does not help.
	for i := range 10 {
		user := "admin"
		if i%2 == 1 {
			user = "Admin"
		}
		mustStatus(t, tc.loginAs(user, "wrong password", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	// From an eleventh address the user is paced, right password or not.
	p := tc.loginAs("admin", testPassword, "X-Forwarded-For", "203.0.113.100")
	mustStatus(t, p, http.StatusTooManyRequests)
	if got := p.testid("error-password"); !strings.Contains(got, "for this user") || !strings.Contains(got, "seconds") {
		t.Errorf("the refusal says %q", got)
	}
	// Another user name is not affected.
	mustStatus(t, tc.loginAs("operator", "wrong password", "X-Forwarded-For", "203.0.113.100"), http.StatusUnauthorized)
	// The administrator's usual address is not paced: the attack does not
	// lock them out.
	mustStatus(t, tc.loginAs("admin", testPassword, "", ""), http.StatusSeeOther)
}
