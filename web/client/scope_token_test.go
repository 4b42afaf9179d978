package client_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/cookie"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
	"github.com/scopestore/scopestore/web/client"
)

// startCookieServer serves the API with the app shop's client scope in
// cookie storage and its sessions in memory.
func startCookieServer(t testing.TB) *testServer {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	cs, err := configstore.Open(ctx, "", dataDir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := connections.NewRegistry(dataDir, cs)
	ring, err := cookie.NewRing(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg.UseCookieKeys(ring)
	dir := scopes.NewDirectory(cs, reg)
	eng := scopes.NewEngine(reg)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng.Logger = logger
	t.Cleanup(func() {
		_ = reg.Close()
		_ = cs.Close()
	})
	key, err := dir.CreateApp(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.SetAppSettings(ctx, "shop", map[string]string{"clientStorage": "cookie"}); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.New(web.Options{Engine: eng, Directory: dir, Logger: logger}))
	return &testServer{URL: srv.URL, Key: key, engine: eng, dir: dir}
}

// The middleware keeps a cookie-stored client scope's token in a cookie of
// its own and sends it back: the scope lives in the browser alone.
func TestMiddleware_ClientScopeInCookie(t *testing.T) {
	ts := startCookieServer(t)
	c := newClient(t, ts)
	app := appServer(t, c, func(w http.ResponseWriter, r *http.Request) {
		cs := client.ClientScopeFrom(r)
		cs.Incr("visits", 1)
		fmt.Fprintf(w, "%v", cs.Get("visits"))
	})
	b := newBrowser(t)
	p := b.mustGet(app)
	tok := p.setCookieOf("CFCLIENTTOKEN")
	if p.body != "1" || p.setCookieOf("CFCLIENT") == nil || tok == nil || tok.Value == "" || !tok.HttpOnly {
		t.Fatalf("first visit: %s, cookies %v", p.body, p.cookies)
	}
	for want := 2; want <= 3; want++ {
		p = b.mustGet(app)
		if p.body != fmt.Sprint(want) || p.setCookieOf("CFCLIENTTOKEN") == nil {
			t.Fatalf("visit %d: %s, cookies %v", want, p.body, p.cookies)
		}
	}

	// The low-level API: a Record's token, sent back with WithScopeToken.
	cfid := p.setCookieOf("CFCLIENT").Value
	if _, err := c.Clients().Get(context.Background(), cfid); err == nil {
		t.Fatal("a cookie-stored client scope loaded without its token")
	}
	rec, err := c.Clients().Get(client.WithScopeToken(context.Background(), p.setCookieOf("CFCLIENTTOKEN").Value), cfid)
	if err != nil || rec.Data["visits"] != 3.0 || rec.Token == "" || rec.Storage != "cookie" {
		t.Fatalf("Get with the token: %+v, %v", rec, err)
	}

	// Without the token cookie the visitor starts afresh.
	b.setCookie(app, "CFCLIENTTOKEN", "")
	if got := b.mustGet(app).body; got != "1" {
		t.Fatalf("without the token: %s", got)
	}
}
