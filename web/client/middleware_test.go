package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

// Two app servers behind a round-robin balancer share the visitor's
// session through scopestore: a counter alternating between them is exact,
// and each request costs one PATCH, whose answer is the session the handler
// reads after its increment (the first, a new visitor's, one create).
func TestMiddleware_CounterAcrossTwoAppServers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c1, calls1 := countedClient(t, ts)
		c2, calls2 := countedClient(t, ts)
		apps := []string{appServer(t, c1, counter), appServer(t, c2, counter)}
		calls := []*countingTransport{calls1, calls2}
		b := newBrowser(t)
		const n = 20
		for i := 1; i <= n; i++ {
			p := b.mustGet(apps[i%2])
			if p.body != strconv.Itoa(i) {
				t.Fatalf("request %d answered %q", i, p.body)
			}
			want := "PATCH"
			if i == 1 {
				want = "PUT" // a new visitor: created with its cfid, no GET
			}
			if got := methods(calls[i%2].take()); got != want {
				t.Fatalf("request %d called %q, want %q", i, got, want)
			}
		}
		cfid := b.cookie(apps[0], "CFID")
		rec, err := c1.Sessions().Get(context.Background(), cfid)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Data["n"] != float64(n) || rec.Version != n {
			t.Fatalf("stored n = %v at version %d, want %d at version %d", rec.Data["n"], rec.Version, n, n)
		}
	})
}

// Two concurrent requests of one visitor that change different keys (and
// increment the same one) both survive: each sends only its own changes.
func TestMiddleware_ConcurrentRequestsKeepBothChanges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		var loaded atomic.Int64
		bothLoaded := make(chan struct{})
		mux := http.NewServeMux()
		mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Set("start", true)
		})
		mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			_ = s.Get("start") // loaded: both requests now hold the same version
			if loaded.Add(1) == 2 {
				close(bothLoaded)
			}
			select {
			case <-bothLoaded:
			case <-time.After(5 * time.Second):
				http.Error(w, "the other request never came", http.StatusGatewayTimeout)
				return
			}
			s.Set(r.URL.Query().Get("k"), r.URL.Query().Get("k"))
			s.Incr("hits", 1)
		})
		mux.HandleFunc("/show", show)
		app := appServer(t, c, mux.ServeHTTP)
		b := newBrowser(t)
		b.mustGet(app + "/start")
		var wg sync.WaitGroup
		for _, k := range []string{"a", "b"} {
			wg.Go(func() {
				if p, err := b.get(app + "/set?k=" + k); err != nil || p.status != http.StatusOK {
					t.Errorf("set %s: %+v %v", k, p, err)
				}
			})
		}
		wg.Wait()
		if got := b.mustGet(app + "/show?k=a,b,hits,start").body; got != "a=a;b=b;hits=2;start=true" {
			t.Fatalf("after two concurrent requests: %s", got)
		}
	})
}

// A request that only reads writes nothing: the GET recorded the visit,
// the version stays, and no cookie is sent. A request that does not use
// the session does not even load it.
func TestMiddleware_ReadOnlyWritesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c, calls := countedClient(t, ts)
		mux := http.NewServeMux()
		mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Set("user", "ann")
		})
		mux.HandleFunc("/show", show)
		mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Set("user", "ann") // the value it holds
		})
		mux.HandleFunc("/none", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "static") })
		app := appServer(t, c, mux.ServeHTTP)
		b := newBrowser(t)
		b.mustGet(app + "/set")
		cfid := b.cookie(app, "CFID")
		version := func() int64 {
			p, err := c.Sessions().List(context.Background(), 500, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Scopes {
				if r.CFID == cfid {
					return r.Version
				}
			}
			t.Fatalf("session %s not listed", cfid)
			return 0
		}
		before := version()
		calls.take()
		for _, path := range []string{"/show?k=user", "/show?k=user", "/same"} {
			p := b.mustGet(app + path)
			if len(p.cookies) != 0 {
				t.Fatalf("%s sent cookies: %v", path, p.cookies)
			}
			if got := methods(calls.take()); got != "GET" {
				t.Fatalf("%s called %q, want one GET", path, got)
			}
		}
		b.mustGet(app + "/none")
		if got := calls.take(); len(got) != 0 {
			t.Fatalf("a page that does not use the session called %v", got)
		}
		if after := version(); after != before {
			t.Fatalf("version %d after reads, was %d", after, before)
		}
	})
}

// Rotate moves the session to a new cfid and the cookie with it; the old
// cookie reads the new session during the grace, read-only and without
// being handed the new cfid (see rotation_test.go), and reaches nothing after.
func TestMiddleware_Rotate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		mux := http.NewServeMux()
		mux.HandleFunc("/cart", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Set("cart", 7)
		})
		mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			s.Set("user", "ann")
			if err := s.Rotate(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			s.Incr("logins", 1) // after the rotation: goes to the new cfid
			fmt.Fprint(w, s.ID())
		})
		mux.HandleFunc("/show", show)
		app := appServer(t, c, mux.ServeHTTP)
		b := newBrowser(t)
		b.mustGet(app + "/cart")
		old := b.cookie(app, "CFID")
		p := b.mustGet(app + "/login")
		fresh := b.cookie(app, "CFID")
		if fresh == old || p.body != fresh || p.setCookieOf("CFID") == nil {
			t.Fatalf("after login the cookie is %s (was %s), the page says %s", fresh, old, p.body)
		}
		if got := b.mustGet(app + "/show?k=cart,user,logins").body; got != "cart=7;user=ann;logins=1" {
			t.Fatalf("the new cookie reaches %s", got)
		}

		// The old cookie during the grace: reads the new session, but the
		// cookie does not move (it may be an attacker's who planted it).
		stale := newBrowser(t)
		stale.setCookie(app, "CFID", old)
		p = stale.mustGet(app + "/show?k=cart,user")
		if p.body != "cart=7;user=ann" || len(p.cookies) != 0 || stale.cookie(app, "CFID") != old {
			t.Fatalf("the old cookie during the grace: %s, cookies %v, cookie now %s", p.body, p.cookies, stale.cookie(app, "CFID"))
		}

		// After the grace the old cfid reaches nothing.
		time.Sleep(rotateGrace + 1500*time.Millisecond)
		late := newBrowser(t)
		late.setCookie(app, "CFID", old)
		if got := late.mustGet(app + "/show?k=cart,user").body; got != "cart=<nil>;user=<nil>" {
			t.Fatalf("the old cookie after the grace reaches %s", got)
		}
		if got := b.mustGet(app + "/show?k=cart,user").body; got != "cart=7;user=ann" {
			t.Fatalf("the new cookie after the grace reaches %s", got)
		}
	})
}

// A change saved while another request rotated the session is answered
// 409 rotated; the middleware sends it again to the new cfid, since the
// request loaded the session before the rotation, but the cookie stays:
// only the answer of the request that rotated hands out the new cfid.
func TestMiddleware_SaveFollowsRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		loaded, rotated := make(chan struct{}), make(chan struct{})
		mux := http.NewServeMux()
		mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { client.SessionFrom(r).Set("a", 1) })
		mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			_ = s.Get("a")
			close(loaded)
			<-rotated
			s.Set("late", true)
		})
		mux.HandleFunc("/show", show)
		app := appServer(t, c, mux.ServeHTTP)
		b := newBrowser(t)
		b.mustGet(app + "/start")
		old := b.cookie(app, "CFID")
		done := make(chan page)
		go func() {
			p, err := b.get(app + "/slow")
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		<-loaded
		rec, err := c.Sessions().Rotate(context.Background(), old, "")
		if err != nil {
			t.Fatal(err)
		}
		close(rotated)
		p := <-done
		if p.status != http.StatusOK {
			t.Fatalf("/slow: %d %s", p.status, p.body)
		}
		if len(p.cookies) != 0 || b.cookie(app, "CFID") != old {
			t.Fatalf("/slow moved the cookie (to %s): %v", rec.CFID, p.cookies)
		}
		got, err := c.Sessions().Get(context.Background(), rec.CFID)
		if err != nil || got.Data["late"] != true || got.Data["a"] != 1.0 {
			t.Fatalf("the rotated session: %+v, %v", got, err)
		}
	})
}

// Invalidate ends the session and deletes the cookie; a change after it
// starts a new session.
func TestMiddleware_Invalidate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		mux := http.NewServeMux()
		mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { client.SessionFrom(r).Set("user", "ann") })
		mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
			if err := client.SessionFrom(r).Invalidate(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		})
		mux.HandleFunc("/logout-flash", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			if err := s.Invalidate(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
			s.Set("flash", "bye")
		})
		mux.HandleFunc("/show", show)
		app := appServer(t, c, mux.ServeHTTP)
		b := newBrowser(t)
		b.mustGet(app + "/login")
		cfid := b.cookie(app, "CFID")
		p := b.mustGet(app + "/logout")
		if ck := p.setCookieOf("CFID"); ck == nil || ck.MaxAge >= 0 {
			t.Fatalf("logout did not delete the cookie: %v", p.cookies)
		}
		if b.cookie(app, "CFID") != "" {
			t.Fatal("the browser still holds CFID")
		}
		if _, err := c.Sessions().Get(context.Background(), cfid); err == nil {
			t.Fatal("the session outlived Invalidate")
		}

		b.mustGet(app + "/login")
		first := b.cookie(app, "CFID")
		b.mustGet(app + "/logout-flash")
		second := b.cookie(app, "CFID")
		if second == "" || second == first {
			t.Fatalf("a change after Invalidate: cookie %q (was %q)", second, first)
		}
		if got := b.mustGet(app + "/show?k=user,flash").body; got != "user=<nil>;flash=bye" {
			t.Fatalf("the new session holds %s", got)
		}
	})
}

// Changes made after the response started are saved when the handler
// returns; a new visitor's session is not created then (its cookie could
// not be sent), and a handler that writes nothing still saves.
func TestMiddleware_ChangesAfterTheResponseStarted(t *testing.T) {
	ts := startServer(t, backends[0])
	c, calls := countedClient(t, ts)
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { client.SessionFrom(r).Set("a", 1) })
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Set("early", true)
		fmt.Fprint(w, "written")
		s.Set("late", true)
		if err := s.Rotate(); !errors.Is(err, client.ErrResponseCommitted) {
			t.Errorf("Rotate after the response started: %v", err)
		}
	})
	mux.HandleFunc("/lateonly", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "written")
		client.SessionFrom(r).Set("late", true)
	})
	mux.HandleFunc("/quiet", func(w http.ResponseWriter, r *http.Request) { client.SessionFrom(r).Set("quiet", true) })
	mux.HandleFunc("/show", show)
	app := appServer(t, c, mux.ServeHTTP)

	b := newBrowser(t)
	b.mustGet(app + "/start")
	calls.take()
	b.mustGet(app + "/late")
	if got := methods(calls.take()); got != "GET PATCH PATCH" {
		t.Fatalf("changes before and after the response started: %q, want GET PATCH PATCH", got)
	}
	if got := b.mustGet(app + "/show?k=early,late").body; got != "early=true;late=true" {
		t.Fatalf("saved %s", got)
	}

	newcomer := newBrowser(t)
	calls.take()
	p := newcomer.mustGet(app + "/late")
	if p.setCookieOf("CFID") == nil || methods(calls.take()) != "PUT PATCH" {
		t.Fatalf("a new visitor's first change before the response: cookies %v", p.cookies)
	}

	// A new visitor changed only after the response started: nothing to
	// create, since the cookie could not go out.
	late := newBrowser(t)
	p = late.mustGet(app + "/lateonly")
	if len(p.cookies) != 0 || len(calls.take()) != 0 {
		t.Fatalf("a session created without a cookie: %v", p.cookies)
	}

	// A handler that writes nothing: saved before net/http answers, cookie included.
	quiet := newBrowser(t)
	p = quiet.mustGet(app + "/quiet")
	if p.setCookieOf("CFID") == nil || methods(calls.take()) != "PUT" {
		t.Fatalf("a handler that wrote nothing: cookies %v", p.cookies)
	}
	if got := quiet.mustGet(app + "/show?k=quiet").body; got != "quiet=true" {
		t.Fatalf("saved %s", got)
	}
}
