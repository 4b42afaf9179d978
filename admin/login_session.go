package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Context keys for what the middleware hands the handlers.
const (
	userKey = "admin_user"
	csrfKey = "csrf"
)

const (
	sessionCookie = "scopestore_admin"
	flashCookie   = "scopestore_flash"
	// sessionLifetime bounds a login; the session cookie itself ends with the browser.
	sessionLifetime = 12 * time.Hour
)

// secure tells whether the request came over TLS, directly or through a
// proxy that says so, so that cookies are marked Secure behind TLS.
func secure(c echo.Context) bool {
	return c.Request().TLS != nil || strings.EqualFold(c.Request().Header.Get("X-Forwarded-Proto"), "https")
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// startSession logs user in: a random id in an HttpOnly, SameSite=Lax cookie,
// only its hash in the config store, and a new CSRF token.
func (a *Console) startSession(c echo.Context, user string) error {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	if err := a.Admins.CreateAdminSession(c.Request().Context(), hashID(id), user, time.Now().Add(sessionLifetime)); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(c)})
	dropCSRFToken(c)
	return nil
}

// endSession logs out: the session is deleted, the cookie and the CSRF
// token cleared.
func (a *Console) endSession(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := a.Admins.DeleteAdminSession(c.Request().Context(), hashID(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(c)})
	dropCSRFToken(c)
	return nil
}

// requireAdmin lets signed-in users through, whatever their role
// (requireRole checks that), and sends anybody else to the login page.
func (a *Console) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ok, err := a.signIn(c)
		if err != nil {
			return err
		}
		if ok {
			return next(c)
		}
		if c.Request().Header.Get("HX-Request") == "true" {
			c.Response().Header().Set("HX-Redirect", Prefix+"/login")
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, Prefix+"/login")
	}
}

// signIn finds the user of the request's session cookie and hands the
// handlers its name, role and duty to change its password (userKey,
// roleKey, mustChangeKey, and the request's context:
// the actor of its changes, the role the views read). A session whose user
// was deleted meanwhile signs nobody in.
func (a *Console) signIn(c echo.Context) (bool, error) {
	// No cookie (http.ErrNoCookie is its only error): nobody to sign in,
	// which is no failure.
	ck, cerr := c.Cookie(sessionCookie)
	if cerr != nil {
		return false, nil //nolint:nilerr // a missing cookie is an answer
	}
	if ck.Value == "" {
		return false, nil
	}
	ctx := c.Request().Context()
	name, found, err := a.Admins.AdminSession(ctx, hashID(ck.Value), time.Now())
	if err != nil || !found {
		return false, err
	}
	u, found, err := a.Admins.AdminUser(ctx, name)
	if err != nil || !found {
		return false, err
	}
	c.Set(userKey, u.Name)
	c.Set(roleKey, u.Role)
	c.Set(mustChangeKey, u.MustChangePassword)
	c.SetRequest(c.Request().WithContext(withRole(withActor(ctx, u.Name), u.Role)))
	return true, nil
}

// sessionIDHash is the id hash of the request's console session, "" when
// it has none: the session a password change keeps.
func sessionIDHash(c echo.Context) string {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		return hashID(ck.Value)
	}
	return ""
}

// setFlash keeps a message for the next page the browser shows.
func setFlash(c echo.Context, kind, message string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: url.QueryEscape(kind + "|" + message), Path: Prefix,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(c)})
}

// takeFlash reads and clears the message setFlash kept.
func takeFlash(c echo.Context) Flash {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return Flash{}
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(c)})
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return Flash{}
	}
	kind, msg, ok := strings.Cut(v, "|")
	if !ok || (kind != "ok" && kind != "bad" && kind != "warn") {
		return Flash{}
	}
	return Flash{Kind: kind, Message: msg}
}
