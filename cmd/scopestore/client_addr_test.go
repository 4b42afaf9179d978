package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestParseTrustedProxies(t *testing.T) {
	cases := []struct {
		in   string
		want []string // the ranges, as net.IPNet writes them
		bad  bool
	}{
		{in: "", want: nil},
		{in: "10.0.0.5", want: []string{"10.0.0.5/32"}},
		{in: " 10.0.0.0/8 , ::1,192.168.1.7/24", want: []string{"10.0.0.0/8", "::1/128", "192.168.1.0/24"}},
		{in: "10.0.0.300", bad: true},
		{in: "10.0.0.0/33", bad: true},
		{in: "proxy.internal", bad: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseTrustedProxies(c.in)
			if c.bad {
				if err == nil {
					t.Fatalf("%q accepted as %v", c.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, n := range got {
				s = append(s, n.String())
			}
			if strings.Join(s, " ") != strings.Join(c.want, " ") {
				t.Errorf("%q → %v, want %v", c.in, s, c.want)
			}
		})
	}
}

func TestConfig_TrustedProxiesValidated(t *testing.T) {
	cfg := defaultConfig()
	cfg.TrustedProxies = "10.0.0.1,not-an-ip"
	err := cfg.validate()
	if err == nil || !strings.Contains(err.Error(), "--trusted-proxies (SCOPESTORE_TRUSTED_PROXIES)") || !strings.Contains(err.Error(), `"not-an-ip"`) {
		t.Errorf("validate: %v; want a message naming the flag, its variable and the bad item", err)
	}
}

// TestServe_TrustedProxies checks the wiring of handler: X-Forwarded-For
// names the client of the runtime API (through handler's /api/ fast path)
// only when --trusted-proxies covers the peer; admin's tests check the
// console's side.
func TestServe_TrustedProxies(t *testing.T) {
	for _, c := range []struct {
		trusted string
		want    int // the status of a valid key from a fresh X-Forwarded-For after 20 401s
	}{{"", http.StatusTooManyRequests}, {"127.0.0.1,::1", http.StatusOK}} {
		t.Run("trusted="+c.trusted, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.DataDir = t.TempDir()
			cfg.TrustedProxies = c.trusted
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			svc, err := open(context.Background(), &cfg, logger)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(handler(svc, &cfg, logger))
			t.Cleanup(func() { srv.Close(); _ = svc.Close() })
			key, err := svc.directory.CreateApp(context.Background(), "shop")
			if err != nil {
				t.Fatal(err)
			}
			get := func(bearer, xff string) int {
				t.Helper()
				req, _ := http.NewRequest("GET", srv.URL+"/api/v1/apps/shop/sessions/count", nil)
				req.Header.Set("Authorization", "Bearer "+bearer)
				req.Header.Set("X-Forwarded-For", xff)
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = res.Body.Close()
				return res.StatusCode
			}
			for range 20 {
				if got := get("ss_wrong", "203.0.113.1"); got != http.StatusUnauthorized {
					t.Fatalf("a wrong key: %d", got)
				}
			}
			if got := get(key, "203.0.113.2"); got != c.want {
				t.Errorf("a valid key from another forwarded address: %d, want %d", got, c.want)
			}
		})
	}
}

// adminUsers is an AdminStore that holds users and nothing else.
type adminUsers struct {
	scopes.AdminStore
	users []scopes.AdminUser
}

func (a adminUsers) AdminUsers(context.Context) ([]scopes.AdminUser, error) { return a.users, nil }

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true, "127.0.0.2:80": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "192.0.2.10:8080": false, "example.com:8080": false,
		"garbage": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestSetupToken(t *testing.T) {
	admin := []scopes.AdminUser{{Name: "admin"}}
	cases := []struct {
		name, addr, password string
		users                []scopes.AdminUser
		want                 bool
	}{
		{"every address, no administrator", ":8080", "", nil, true},
		{"an external IP", "192.0.2.10:8080", "", nil, true},
		{"loopback", "127.0.0.1:8080", "", nil, false},
		{"an administrator exists", "0.0.0.0:8080", "", admin, false},
		{"SCOPESTORE_ADMIN_PASSWORD", "0.0.0.0:8080", "a password of the admin", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log bytes.Buffer
			cfg := defaultConfig()
			cfg.Addr, cfg.AdminPassword = c.addr, c.password
			token := setupToken(context.Background(), &cfg, adminUsers{users: c.users}, slog.New(slog.NewTextHandler(&log, nil)))
			if !c.want {
				if token != "" || log.Len() != 0 {
					t.Errorf("token %q, log %q; want neither", token, log.String())
				}
				return
			}
			if len(token) != 32 {
				t.Fatalf("token %q, want 32 hex digits", token)
			}
			if l := log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "setup_token="+token) || !strings.Contains(l, "/admin/setup") {
				t.Errorf("the log does not tell the token and where to enter it: %s", l)
			}
		})
	}
}
