package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/scopestore/scopestore/web/client"
)

// readOnlyWarning is the start of the warning a read-only request logs
// when it dropped changes.
const readOnlyWarning = "a request that came with the cookie of a session rotated since is read-only"

// logRecorder keeps the client's log lines, and writes them into the test's output.
type logRecorder struct {
	t   testing.TB
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logRecorder) Write(b []byte) (int, error) {
	l.t.Log(string(bytes.TrimSpace(b)))
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

// count returns how many lines logged so far hold s.
func (l *logRecorder) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// rotationApp is an app whose visitors log in with a rotation, served
// through a Client whose calls are counted and whose log is recorded.
type rotationApp struct {
	url   string
	calls *countingTransport
	log   *logRecorder
	// api reads what is stored, uncounted.
	api *client.Client
}

// newRotationApp serves the rotation tests' pages, and those that extra adds.
func newRotationApp(t *testing.T, ts *testServer, extra func(mux *http.ServeMux)) *rotationApp {
	t.Helper()
	rec := &logRecorder{t: t}
	c, calls := countedClient(t, ts, client.WithLogger(slog.New(slog.NewTextHandler(rec, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Set("cart", 7)
		s.Incr("n", 1)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Set("user", "ann")
		if err := s.Rotate(); errors.Is(err, client.ErrRotated) {
			http.Error(w, "rotated", http.StatusConflict)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, s.ID())
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := client.SessionFrom(r).Invalidate(); errors.Is(err, client.ErrRotated) {
			http.Error(w, "rotated", http.StatusConflict)
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		fmt.Fprint(w, s.ID(), " ", s.ReadOnly())
	})
	mux.HandleFunc("/change", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		_ = s.Get("cart") // loaded first: Set, Incr and Delete apply to the loaded scope
		s.Set("x", 1)
		s.Incr("n", 1)
		s.Delete("cart")
		fmt.Fprintf(w, "%v %v %v %v", s.ReadOnly(), s.Get("x"), s.Get("n"), s.Get("cart"))
	})
	mux.HandleFunc("/bump", func(w http.ResponseWriter, r *http.Request) {
		client.SessionFrom(r).Incr("n", 1) // never read: one PATCH, sent blind
	})
	mux.HandleFunc("/count", counter)
	mux.HandleFunc("/set-blind", func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Set("x", 1) // no Incr: the first read is a GET
		fmt.Fprint(w, s.Get("x"))
	})
	mux.HandleFunc("/show", show)
	if extra != nil {
		extra(mux)
	}
	return &rotationApp{url: appServer(t, c, mux.ServeHTTP), calls: calls, log: rec, api: newClient(t, ts)}
}

// logIn makes a visitor with a session (cart=7, n=1) who then logs in,
// which rotates it: it returns the visitor, the old cfid and the new one.
// The old cfid answers during the grace, a second from now.
func (a *rotationApp) logIn(t *testing.T) (b *browser, old, fresh string) {
	t.Helper()
	b = newBrowser(t)
	b.mustGet(a.url + "/start")
	old = b.cookie(a.url, "CFID")
	p := b.mustGet(a.url + "/login")
	fresh = b.cookie(a.url, "CFID")
	if old == "" || fresh == old || p.body != fresh {
		t.Fatalf("login: the cookie went from %q to %q, the page says %q", old, fresh, p.body)
	}
	return b, old, fresh
}

// stale returns a browser that holds the old cookie, as an attacker who
// planted it in the victim's browser does.
func (a *rotationApp) stale(t *testing.T, old string) *browser {
	s := newBrowser(t)
	s.setCookie(a.url, "CFID", old)
	return s
}

// stored reads what scopestore holds at cfid.
func (a *rotationApp) stored(t *testing.T, cfid string) *client.Record {
	t.Helper()
	rec, err := a.api.Sessions().Get(context.Background(), cfid)
	if err != nil {
		t.Fatalf("the session %s: %v", cfid, err)
	}
	return rec
}

// unchanged fails the test when the new and the old cfid do not hold what
// they held before (the old one still naming the new).
func (a *rotationApp) unchanged(t *testing.T, fresh string, freshBefore *client.Record, old string, oldBefore *client.Record) {
	t.Helper()
	if got := a.stored(t, fresh); got.Version != freshBefore.Version || !reflect.DeepEqual(got.Data, freshBefore.Data) || got.RotatedTo != "" {
		t.Fatalf("the new session changed: %+v, was %+v", got, freshBefore)
	}
	if got := a.stored(t, old); got.RotatedTo != fresh || !reflect.DeepEqual(got.Data, oldBefore.Data) {
		t.Fatalf("the old cfid changed: %+v, was %+v", got, oldBefore)
	}
}

// R1: a request that comes with the old cookie of a rotated session during
// the grace reads the session, but is not handed the new cfid: no cookie,
// and ID names the cfid it came with.
func TestMiddleware_OldCookieIsNotMovedToTheNewCFID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		a := newRotationApp(t, ts, nil)
		_, old, fresh := a.logIn(t)
		stale := a.stale(t, old)
		for _, tc := range []struct{ path, body string }{
			{"/show?k=cart,user,n", "cart=7;user=ann;n=1"},
			{"/id", old + " true"},
			{"/change", "true <nil> 1 7"},
		} {
			p := stale.mustGet(a.url + tc.path)
			if len(p.cookies) != 0 || strings.Contains(p.body, fresh) {
				t.Fatalf("%s with the old cookie: cookies %v, body %q: it must not learn %s", tc.path, p.cookies, p.body, fresh)
			}
			if p.body != tc.body {
				t.Fatalf("%s with the old cookie answered %q, want %q", tc.path, p.body, tc.body)
			}
		}
		if got := stale.cookie(a.url, "CFID"); got != old {
			t.Fatalf("the old cookie became %s", got)
		}
	})
}

// R2: a request whose load found its cfid rotated is read-only: its Set,
// Incr and Delete are saved nowhere, neither at the new cfid nor at the
// old; Rotate refuses with ErrRotated; one warning is logged for each
// request that dropped changes. (Invalidate: see R2b.)
func TestMiddleware_OldCookieIsReadOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		a := newRotationApp(t, ts, nil)
		_, old, fresh := a.logIn(t)
		freshBefore, oldBefore := a.stored(t, fresh), a.stored(t, old)
		stale := a.stale(t, old)
		for i, tc := range []struct {
			path   string
			status int
			body   string
			// warnings is how many warnings were logged after the request.
			warnings int
		}{
			{"/change", http.StatusOK, "true <nil> 1 7", 1},
			{"/login", http.StatusConflict, "rotated\n", 2}, // its Set is dropped, and Rotate refused
		} {
			a.calls.take()
			p, err := stale.get(a.url + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.status != tc.status || p.body != tc.body || len(p.cookies) != 0 {
				t.Fatalf("%s with the old cookie: %d %q, cookies %v; want %d %q, none", tc.path, p.status, p.body, p.cookies, tc.status, tc.body)
			}
			if got := methods(a.calls.take()); got != "GET GET" {
				t.Fatalf("%s with the old cookie called %q, want GET GET (the old cfid, then the new; no write)", tc.path, got)
			}
			if got := a.log.count(readOnlyWarning); got != tc.warnings {
				t.Fatalf("after request %d (%s), %d warnings, want %d", i+1, tc.path, got, tc.warnings)
			}
			a.unchanged(t, fresh, freshBefore, old, oldBefore)
		}
	})
}

// R2b: Invalidate in a request that came with the old cookie of a rotated
// session ends only what that cookie names: the old cfid is deleted and the
// cookie cleared, but the session at its new cfid — the victim's, logged in,
// when the old cookie was planted — is left as it was, and its cfid is never
// named. A change after it starts a new session with a cfid of its own.
func TestMiddleware_OldCookieInvalidateEndsOnlyTheOldCFID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		a := newRotationApp(t, ts, func(mux *http.ServeMux) {
			mux.HandleFunc("/logout-flash", func(w http.ResponseWriter, r *http.Request) {
				s := client.SessionFrom(r)
				if err := s.Invalidate(); err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				s.Set("flash", "bye")
				fmt.Fprint(w, s.ReadOnly())
			})
		})
		for _, path := range []string{"/logout", "/logout-flash"} {
			victim, old, fresh := a.logIn(t)
			freshBefore := a.stored(t, fresh)
			stale := a.stale(t, old)
			a.calls.take()
			p, err := stale.get(a.url + path)
			if err != nil {
				t.Fatal(err)
			}
			if p.status != http.StatusOK {
				t.Fatalf("%s with the old cookie: %d %q, want 200 (Invalidate returns nil)", path, p.status, p.body)
			}
			calls := a.calls.take()
			if len(calls) < 3 || methods(calls[:3]) != "GET GET DELETE" || calls[2] != "DELETE /api/v1/apps/shop/sessions/"+old {
				t.Fatalf("%s with the old cookie called %q, want a GET of the old cfid and of the new, then a DELETE of the old", path, calls)
			}
			for _, c := range calls {
				if strings.HasPrefix(c, "DELETE ") && c != "DELETE /api/v1/apps/shop/sessions/"+old {
					t.Fatalf("%s with the old cookie deleted %q: only the old cfid may end", path, c)
				}
			}
			if _, err := a.api.Sessions().Get(context.Background(), old); !errors.Is(err, client.ErrNotFound) {
				t.Fatalf("%s: the old cfid %s: %v, want it gone (404)", path, old, err)
			}
			if got := a.stored(t, fresh); got.Version != freshBefore.Version || !reflect.DeepEqual(got.Data, freshBefore.Data) || got.RotatedTo != "" {
				t.Fatalf("%s with the old cookie changed the new session: %+v, was %+v", path, got, freshBefore)
			}
			for _, v := range p.header.Values("Set-Cookie") {
				if strings.Contains(v, fresh) {
					t.Fatalf("%s with the old cookie was told the new cfid: %q", path, v)
				}
			}
			if strings.Contains(p.body, fresh) {
				t.Fatalf("%s with the old cookie was told the new cfid: %q", path, p.body)
			}
			switch path {
			case "/logout":
				for _, name := range []string{"CFID", "CFTOKEN"} {
					if ck := p.setCookieOf(name); ck == nil || ck.MaxAge >= 0 || ck.Value != "" {
						t.Fatalf("/logout with the old cookie did not delete %s: %v", name, p.cookies)
					}
				}
				if got := stale.cookie(a.url, "CFID"); got != "" {
					t.Fatalf("after /logout the browser still holds the cookie %s", got)
				}
			case "/logout-flash":
				// Not read-only any more: the flash starts a session of its own.
				next := stale.cookie(a.url, "CFID")
				if p.body != "false" || next == "" || next == old || next == fresh {
					t.Fatalf("/logout-flash with the old cookie: %q, cookie %q (old %s, new %s); want \"false\" and a cfid of its own", p.body, next, old, fresh)
				}
				if got := a.stored(t, next).Data; got["flash"] != "bye" || got["user"] != nil {
					t.Fatalf("the session after /logout-flash holds %v", got)
				}
			}
			// The victim is still logged in, at the cfid of its login.
			if q := victim.mustGet(a.url + "/show?k=user"); q.body != "user=ann" || victim.cookie(a.url, "CFID") != fresh {
				t.Fatalf("after %s with the old cookie, the victim sees %q with cookie %s, want user=ann at %s", path, q.body, victim.cookie(a.url, "CFID"), fresh)
			}
		}
		if got := a.log.count(readOnlyWarning); got != 0 {
			t.Fatalf("%d read-only warnings, want none: nothing was dropped", got)
		}
	})
}

// R3: a request that loaded the session before another request (the same
// visitor's login) rotated it is in flight, not a planted cookie: its
// changes follow the 409 rotated to the new cfid. The cookie moved with
// the login's answer, not with this one's.
func TestMiddleware_RequestInFlightDuringRotationFollows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		loaded, rotated := make(chan struct{}), make(chan struct{})
		a := newRotationApp(t, ts, func(mux *http.ServeMux) {
			mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
				s := client.SessionFrom(r)
				_ = s.Get("cart")
				close(loaded)
				<-rotated
				s.Set("late", true)
				s.Incr("n", 1)
				fmt.Fprint(w, s.ReadOnly())
			})
		})
		b := newBrowser(t)
		b.mustGet(a.url + "/start")
		old := b.cookie(a.url, "CFID")
		done := make(chan page, 1)
		go func() {
			p, err := b.get(a.url + "/slow")
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		<-loaded
		p := b.mustGet(a.url + "/login")
		fresh := b.cookie(a.url, "CFID")
		if fresh == old || p.body != fresh {
			t.Fatalf("login: cookie %s (was %s), page %q", fresh, old, p.body)
		}
		a.calls.take()
		close(rotated)
		p = <-done
		if p.status != http.StatusOK || p.body != "false" || len(p.cookies) != 0 {
			t.Fatalf("/slow: %d %q, cookies %v; want 200 \"false\", none", p.status, p.body, p.cookies)
		}
		calls := a.calls.take()
		if len(calls) != 2 || calls[0] != "PATCH /api/v1/apps/shop/sessions/"+old || calls[1] != "PATCH /api/v1/apps/shop/sessions/"+fresh {
			t.Fatalf("/slow called %q, want a PATCH of the old cfid, then of the new", calls)
		}
		if got := b.cookie(a.url, "CFID"); got != fresh {
			t.Fatalf("the cookie is %s, want the login's %s", got, fresh)
		}
		if got := a.stored(t, fresh).Data; got["late"] != true || got["n"] != 2.0 || got["user"] != "ann" || got["cart"] != 7.0 {
			t.Fatalf("the new session holds %v", got)
		}
		if got := a.stored(t, old); got.RotatedTo != fresh || got.Data["late"] != nil {
			t.Fatalf("the old cfid holds %+v", got)
		}
		if got := a.log.count(readOnlyWarning); got != 0 {
			t.Fatalf("%d read-only warnings for a request in flight", got)
		}
	})
}

// R4: a change sent blind (without a load before it) to the old cfid of a
// rotated session cannot show that its request began before the rotation:
// the 409 rotated is not followed with a write. The change is dropped with
// a warning, and the request reads the new session, read-only, with one
// GET of the new cfid; should the session have ended since, it has none.
func TestMiddleware_BlindChangeToARotatedSessionIsDropped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		a := newRotationApp(t, ts, nil)
		for i, tc := range []struct {
			path, body, calls string
		}{
			{"/bump", "", "PATCH GET"},             // an Incr never read: its PATCH, refused, then the new cfid
			{"/count", "1", "PATCH GET"},           // Incr, then Get: the stored count, unchanged
			{"/set-blind", "<nil>", "GET GET"},     // a Set first: loaded with GET, as R2
			{"/bump?ended", "", "PATCH GET"},       // the new session ended after the rotation: no session
			{"/count?ended", "<nil>", "PATCH GET"}, // nothing revived, nothing created
		} {
			_, old, fresh := a.logIn(t)
			ended := strings.HasSuffix(tc.path, "?ended")
			var freshBefore *client.Record
			if ended {
				if err := a.api.Sessions().Delete(context.Background(), fresh); err != nil {
					t.Fatal(err)
				}
			} else {
				freshBefore = a.stored(t, fresh)
			}
			oldBefore := a.stored(t, old)
			a.calls.take()
			p := a.stale(t, old).mustGet(a.url + tc.path)
			if p.body != tc.body || len(p.cookies) != 0 {
				t.Fatalf("%s with the old cookie: %q, cookies %v; want %q, none", tc.path, p.body, p.cookies, tc.body)
			}
			calls := a.calls.take()
			if got := methods(calls); got != tc.calls {
				t.Fatalf("%s with the old cookie called %q, want %q", tc.path, calls, tc.calls)
			}
			if strings.HasPrefix(calls[0], "PATCH ") && calls[0] != "PATCH /api/v1/apps/shop/sessions/"+old {
				t.Fatalf("%s sent %q, want a PATCH of the old cfid only", tc.path, calls[0])
			}
			if got := a.log.count(readOnlyWarning); got != i+1 {
				t.Fatalf("after %s, %d warnings, want %d", tc.path, got, i+1)
			}
			if ended {
				if _, err := a.api.Sessions().Get(context.Background(), fresh); !errors.Is(err, client.ErrNotFound) {
					t.Fatalf("%s revived the ended session %s: %v", tc.path, fresh, err)
				}
				if got := a.stored(t, old); got.RotatedTo != fresh || !reflect.DeepEqual(got.Data, oldBefore.Data) {
					t.Fatalf("the old cfid changed: %+v", got)
				}
				continue
			}
			a.unchanged(t, fresh, freshBefore, old, oldBefore)
		}
	})
}

// Rotate of a session that another request rotated since this one loaded
// it did not rotate anything itself: it returns ErrRotated, the cookie
// stays, and the session is not rotated again.
func TestMiddleware_RotateAfterAnotherRotationKeepsTheCookie(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		loaded, rotated := make(chan struct{}), make(chan struct{})
		a := newRotationApp(t, ts, func(mux *http.ServeMux) {
			mux.HandleFunc("/slow-login", func(w http.ResponseWriter, r *http.Request) {
				s := client.SessionFrom(r)
				_ = s.Get("cart")
				close(loaded)
				<-rotated
				if err := s.Rotate(); errors.Is(err, client.ErrRotated) {
					http.Error(w, "rotated", http.StatusConflict)
					return
				} else if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				fmt.Fprint(w, s.ID())
			})
		})
		b := newBrowser(t)
		b.mustGet(a.url + "/start")
		old := b.cookie(a.url, "CFID")
		done := make(chan page, 1)
		go func() {
			p, err := a.stale(t, old).get(a.url + "/slow-login")
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		<-loaded
		b.mustGet(a.url + "/login")
		fresh := b.cookie(a.url, "CFID")
		close(rotated)
		p := <-done
		if p.status != http.StatusConflict || len(p.cookies) != 0 || strings.Contains(p.body, fresh) {
			t.Fatalf("Rotate after another request's: %d %q, cookies %v; want 409, none", p.status, p.body, p.cookies)
		}
		if got := a.stored(t, fresh); got.RotatedTo != "" || got.Data["user"] != "ann" {
			t.Fatalf("the login's session: %+v", got)
		}
		if got := a.stored(t, old); got.RotatedTo != fresh {
			t.Fatalf("the old cfid: %+v", got)
		}
	})
}
