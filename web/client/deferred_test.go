package client_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/scopestore/scopestore/web/client"
)

// A request whose first use of its session is a change costs one call when
// the change is an increment: the PATCH goes out when the handler first
// reads, and its answer, the whole scope, is what the handler reads. A
// request that only increments costs that PATCH alone; one that sets first
// loads with a GET, so that a Set of the value held still writes nothing.
func TestMiddleware_WriteBeforeReadIsOnePatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c, calls := countedClient(t, ts)
		mux := http.NewServeMux()
		mux.HandleFunc("/count", counter)
		mux.HandleFunc("/bump", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Incr("n", 1) // never read
			fmt.Fprint(w, "ok")
		})
		mux.HandleFunc("/bump-quiet", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Incr("n", 1) // never read, nothing written
		})
		mux.HandleFunc("/count-then-set", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			s.Incr("n", 1)
			s.Set("seen", s.Get("n")) // a change after the read: a second PATCH
			fmt.Fprint(w, s.Get("seen"))
		})
		mux.HandleFunc("/mixed", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			s.Set("lang", "de")
			s.Delete("gone")
			s.Incr("n", 2)
			s.Set("x", 1)
			s.Incr("x", 1) // after a pending set: a set of 2
			fmt.Fprintf(w, "%v %v %v %v", s.Get("n"), s.Get("lang"), s.Get("gone"), s.Get("x"))
		})
		mux.HandleFunc("/set-then-read", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			s.Set("lang", r.URL.Query().Get("lang"))
			fmt.Fprint(w, s.Get("lang"), s.Get("n"))
		})
		mux.HandleFunc("/set-gone", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Set("gone", true)
		})
		mux.HandleFunc("/show", show)
		app := appServer(t, c, mux.ServeHTTP)
		b := newBrowser(t)

		step := func(path, wantBody, wantCalls string) page {
			t.Helper()
			p := b.mustGet(app + path)
			if p.body != wantBody {
				t.Fatalf("%s answered %q, want %q", path, p.body, wantBody)
			}
			if got := methods(calls.take()); got != wantCalls {
				t.Fatalf("%s called %q, want %q", path, got, wantCalls)
			}
			return p
		}
		step("/count", "1", "PUT") // a new visitor: no cookie, nothing to load
		cfid := b.cookie(app, "CFID")
		if p := step("/count", "2", "PATCH"); len(p.cookies) != 0 {
			t.Fatalf("a PATCH of the visitor's own session sent cookies: %v", p.cookies)
		}
		step("/bump", "ok", "PATCH")
		step("/bump-quiet", "", "PATCH")
		step("/count", "5", "PATCH")
		step("/count-then-set", "6", "PATCH PATCH")
		step("/set-gone", "", "GET PATCH")
		step("/mixed", "8 de <nil> 2", "PATCH")
		step("/set-then-read?lang=de", "de8", "GET") // the value it holds: nothing written
		step("/set-then-read?lang=fr", "fr8", "GET PATCH")
		step("/show?k=n,seen,lang,gone,x", "n=8;seen=6;lang=fr;gone=<nil>;x=2", "GET")
		if b.cookie(app, "CFID") != cfid {
			t.Fatal("the cookie moved")
		}
		rec, err := c.Sessions().Get(context.Background(), cfid)
		if err != nil || rec.Data["n"] != 8.0 || rec.Data["lang"] != "fr" {
			t.Fatalf("stored %+v, %v", rec, err)
		}
	})
}

// A cookie whose session is gone (expired, invalidated): the increment's
// PATCH finds nothing (404) and the visitor gets a new session, created as
// a new visitor's is, with a new cfid.
func TestMiddleware_WriteBeforeReadOfAGoneSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c, calls := countedClient(t, ts)
		mux := http.NewServeMux()
		mux.HandleFunc("/count", counter)
		mux.HandleFunc("/bump", func(w http.ResponseWriter, r *http.Request) {
			client.SessionFrom(r).Incr("n", 1)
			fmt.Fprint(w, "ok")
		})
		mux.HandleFunc("/show", show)
		app := appServer(t, c, mux.ServeHTTP)

		for _, path := range []string{"/count", "/bump"} {
			b := newBrowser(t)
			gone := client.NewCFID()
			b.setCookie(app, "CFID", gone)
			calls.take()
			p := b.mustGet(app + path)
			if got := methods(calls.take()); got != "PATCH PUT" {
				t.Fatalf("%s with a gone session called %q, want PATCH PUT", path, got)
			}
			fresh := b.cookie(app, "CFID")
			if fresh == gone || fresh == "" || p.setCookieOf("CFID") == nil {
				t.Fatalf("%s: the cookie is %q (was %q)", path, fresh, gone)
			}
			if got := b.mustGet(app + "/show?k=n").body; got != "n=1" {
				t.Fatalf("%s: the new session holds %s", path, got)
			}
			if _, err := c.Sessions().Get(context.Background(), gone); err == nil {
				t.Fatalf("%s: the gone cfid was created", path)
			}
		}
	})
}

// An increment of a key that holds no number is refused by the PATCH
// (409); the middleware then loads the scope and drops the increment with
// a warning, as Incr does on a loaded scope, keeping the other changes.
func TestMiddleware_WriteBeforeReadOfANonNumber(t *testing.T) {
	ts := startServer(t, backends[0])
	c, calls := countedClient(t, ts)
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { client.SessionFrom(r).Set("n", "x") })
	mux.HandleFunc("/incr", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Incr("n", 1)
		s.Set("other", true)
		fmt.Fprint(w, s.Get("n"), s.Get("other"))
	})
	app := appServer(t, c, mux.ServeHTTP)
	b := newBrowser(t)
	b.mustGet(app + "/start")
	calls.take()
	if got := b.mustGet(app + "/incr").body; got != "xtrue" {
		t.Fatalf("an increment of a string: %q", got)
	}
	if got := methods(calls.take()); got != "PATCH GET PATCH" {
		t.Fatalf("an increment of a string called %q, want PATCH GET PATCH", got)
	}
	rec, err := c.Sessions().Get(context.Background(), b.cookie(app, "CFID"))
	if err != nil || rec.Data["n"] != "x" || rec.Data["other"] != true {
		t.Fatalf("stored %+v, %v", rec, err)
	}
}

// A change made blind to the old cfid of a rotated session, still in the
// browser during the grace, does not follow the rotation: the PATCH is
// answered 409 rotated, the increment is dropped, the request reads the
// new cfid (read-only), and the cookie stays (see rotation_test.go).
func TestMiddleware_WriteBeforeReadOfARotatedSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c, calls := countedClient(t, ts)
		app := appServer(t, c, counter)
		b := newBrowser(t)
		b.mustGet(app)
		old := b.cookie(app, "CFID")
		rec, err := c.Sessions().Rotate(context.Background(), old, "")
		if err != nil {
			t.Fatal(err)
		}
		calls.take()
		p := b.mustGet(app)
		if p.body != "1" || len(p.cookies) != 0 || b.cookie(app, "CFID") != old {
			t.Fatalf("after a rotation: %q, cookies %v, want 1 and none", p.body, p.cookies)
		}
		if got := methods(calls.take()); got != "PATCH GET" {
			t.Fatalf("after a rotation called %q, want PATCH GET (the old cfid, refused, then a read of the new)", got)
		}
		if got, err := c.Sessions().Get(context.Background(), rec.CFID); err != nil || got.Data["n"] != 1.0 {
			t.Fatalf("the new session: %+v, %v", got, err)
		}
	})
}

// Invalidate drops the changes made before it without sending them, and
// Rotate sends them first.
func TestMiddleware_WriteBeforeInvalidateOrRotate(t *testing.T) {
	ts := startServer(t, backends[0])
	c, calls := countedClient(t, ts)
	mux := http.NewServeMux()
	mux.HandleFunc("/count", counter)
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Incr("n", 1)
		if err := s.Invalidate(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Incr("n", 1)
		if err := s.Rotate(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		fmt.Fprint(w, s.Get("n"))
	})
	app := appServer(t, c, mux.ServeHTTP)
	b := newBrowser(t)
	b.mustGet(app + "/count")
	cfid := b.cookie(app, "CFID")
	calls.take()
	if got := b.mustGet(app + "/login").body; got != "2" || b.cookie(app, "CFID") == cfid {
		t.Fatalf("login: %q, cookie %s (was %s)", got, b.cookie(app, "CFID"), cfid)
	}
	if got := methods(calls.take()); got != "PATCH POST" {
		t.Fatalf("an increment then Rotate called %q, want PATCH POST", got)
	}
	cfid = b.cookie(app, "CFID")
	b.mustGet(app + "/logout")
	if got := methods(calls.take()); got != "GET DELETE" {
		t.Fatalf("an increment then Invalidate called %q, want GET DELETE", got)
	}
	if _, err := c.Sessions().Get(context.Background(), cfid); err == nil || b.cookie(app, "CFID") != "" {
		t.Fatalf("the session outlived Invalidate (cookie %q)", b.cookie(app, "CFID"))
	}
}
