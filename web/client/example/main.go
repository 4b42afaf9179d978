// Command example is a small web app whose visitors' sessions live in
// scopestore: a counter, a login that rotates the session, and a logout.
//
//	SCOPESTORE_URL=http://127.0.0.1:8080 SCOPESTORE_KEY=… go run ./web/client/example
package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	key := os.Getenv("SCOPESTORE_KEY")
	if key == "" {
		return errors.New("set SCOPESTORE_KEY to the app's API key (scopestore app create shop prints one)")
	}
	c, err := client.New(env("SCOPESTORE_URL", "http://127.0.0.1:8080"), env("SCOPESTORE_APP", "shop"), key)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", counter)
	mux.HandleFunc("POST /login", login)
	mux.HandleFunc("POST /logout", logout)

	addr := env("ADDR", "127.0.0.1:8081")
	srv := &http.Server{Addr: addr, Handler: c.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("example app on http://%s/ (sessions in %s)", addr, env("SCOPESTORE_URL", "http://127.0.0.1:8080"))
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// counter counts the visitor's page views in the session (and, when the
// app has client management on, across sessions in the client scope).
func counter(w http.ResponseWriter, r *http.Request) {
	s := client.SessionFrom(r)
	s.Incr("views", 1)
	visits := "off"
	if cs := client.ClientScopeFrom(r); cs != nil {
		cs.Incr("views", 1)
		visits = fmt.Sprint(cs.Get("views"))
	}
	user, _ := s.Get("user").(string)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>scopestore example</title>
<p>Views in this session: <b>%v</b> · views from this browser (client scope): <b>%s</b></p>
<p>Session %s%s</p>
<form method=post action=/login><input name=user placeholder=name> <button>Log in</button></form>
<form method=post action=/logout><button>Log out</button></form>
`, s.Get("views"), visits, html.EscapeString(s.ID()), loggedIn(user))
}

func loggedIn(user string) string {
	if user == "" {
		return ""
	}
	return ", logged in as " + html.EscapeString(user)
}

// login records the user and rotates the session, so that a cfid known
// before the login does not reach the logged-in session.
func login(w http.ResponseWriter, r *http.Request) {
	s := client.SessionFrom(r)
	s.Set("user", r.FormValue("user"))
	if err := s.Rotate(); errors.Is(err, client.ErrRotated) {
		// The cookie names a session rotated since (by a login in another
		// tab, or planted by someone else): this request changes nothing.
		http.Error(w, "this session was just renewed: reload the page and log in again", http.StatusConflict)
		return
	} else if err != nil {
		http.Error(w, "could not rotate the session: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session and deletes its cookie.
func logout(w http.ResponseWriter, r *http.Request) {
	if err := client.SessionFrom(r).Invalidate(); err != nil {
		http.Error(w, "could not end the session: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
