package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

// The client scope has a cookie of its own, kept for the app's client
// timeout, and is there only while the app's settings turn it on.
func TestMiddleware_ClientScope(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		app := appServer(t, c, func(w http.ResponseWriter, r *http.Request) {
			cs := client.ClientScopeFrom(r)
			if cs == nil {
				fmt.Fprint(w, "off")
				return
			}
			cs.Incr("visits", 1)
			client.SessionFrom(r).Incr("n", 1)
			fmt.Fprintf(w, "%v/%v", cs.Get("visits"), client.SessionFrom(r).Get("n"))
		})
		b := newBrowser(t)
		p := b.mustGet(app)
		clientCk, sessionCk := p.setCookieOf("CFCLIENT"), p.setCookieOf("CFID")
		if p.body != "1/1" || clientCk == nil || sessionCk == nil || p.setCookieOf("CFTOKEN") == nil {
			t.Fatalf("first visit: %s, cookies %v", p.body, p.cookies)
		}
		if clientCk.Value == sessionCk.Value || clientCk.MaxAge != int((90*24*time.Hour)/time.Second) || sessionCk.MaxAge != 0 {
			t.Fatalf("CFCLIENT %v (Max-Age %d), CFID %v (Max-Age %d)", clientCk.Value, clientCk.MaxAge, sessionCk.Value, sessionCk.MaxAge)
		}

		// A new session, the same client scope.
		b.setCookie(app, "CFID", "")
		if got := b.mustGet(app).body; got != "2/1" {
			t.Fatalf("second visit in a new session: %s", got)
		}
		rec, err := c.Clients().Get(context.Background(), clientCk.Value)
		if err != nil || rec.Data["visits"] != 2.0 || rec.HitCount < 2 {
			t.Fatalf("the client scope: %+v, %v", rec, err)
		}

		if _, err := c.PutSettings(context.Background(), map[string]any{"clientManagement": false}); err != nil {
			t.Fatal(err)
		}
		off := newClient(t, ts)
		if got := b.mustGet(appServer(t, off, func(w http.ResponseWriter, r *http.Request) {
			if client.ClientScopeFrom(r) == nil {
				fmt.Fprint(w, "off")
			}
		})).body; got != "off" {
			t.Fatalf("with client management off: %s", got)
		}
	})
}

// The cookies are HttpOnly and SameSite=Lax, Secure over TLS or behind a
// trusted proxy that says https, with the names, path and domain chosen.
func TestMiddleware_CookieAttributes(t *testing.T) {
	ts := startServer(t, backends[0])
	set := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { client.SessionFrom(r).Set("a", 1) })
	tests := []struct {
		name       string
		opts       []client.Option
		tls, proxy bool
		secure     bool
	}{
		{"plain http", nil, false, false, false},
		{"tls", nil, true, false, true},
		{"untrusted proxy", nil, false, true, false},
		{"trusted proxy", []client.Option{client.WithTrustForwardedProto(true)}, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]client.Option{client.WithCookies(client.Cookies{CFID: "SID", CFToken: "STOK", Path: "/shop", Domain: "example.com"})}, tt.opts...)
			c := newClient(t, ts, opts...)
			req := httptest.NewRequest(http.MethodGet, "http://example.com/shop/", nil)
			if !tt.tls {
				req.TLS = nil
			} else if req.TLS == nil {
				req = httptest.NewRequest(http.MethodGet, "https://example.com/shop/", nil)
			}
			if tt.proxy {
				req.Header.Set("X-Forwarded-Proto", "https")
			}
			rec := httptest.NewRecorder()
			c.Middleware(set).ServeHTTP(rec, req)
			cookies := map[string]*http.Cookie{}
			for _, ck := range rec.Result().Cookies() {
				cookies[ck.Name] = ck
			}
			if len(cookies) != 2 || cookies["SID"] == nil || cookies["STOK"] == nil {
				t.Fatalf("cookies %v", rec.Result().Cookies())
			}
			for _, ck := range cookies {
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/shop" || ck.Domain != "example.com" || ck.Secure != tt.secure {
					t.Errorf("cookie %s", ck.String())
				}
			}
		})
	}
}
