package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// recentUse is how recent a key's last use must be for the revocation page
// to warn that something still sends it.
const recentUse = 15 * time.Minute

// keyRevokeView is the page that confirms the revocation of one API key.
type keyRevokeView struct {
	App string
	Key scopes.APIKey
	// Others are the app's other active keys; none means Key is the last.
	Others []scopes.APIKey
	// Confirm holds the message beside the last key's box left unticked.
	Confirm map[string]string
	Now     time.Time
}

// last tells whether the key is the app's last active one.
func (v keyRevokeView) last() bool { return len(v.Others) == 0 }

// othersText names the active keys the app keeps, each with its last use.
func (v keyRevokeView) othersText() string {
	parts := make([]string, len(v.Others))
	for i, k := range v.Others {
		parts[i] = fmt.Sprintf("%q (last used %s)", k.Label, keyTime(k.LastUsed, v.Now))
	}
	what := "its other active key"
	if len(v.Others) > 1 {
		what = fmt.Sprintf("its %d other active keys", len(v.Others))
	}
	return fmt.Sprintf("%s keeps %s: %s.", v.App, what, strings.Join(parts, ", "))
}

// usedRecently tells whether the key was used so lately that an
// application probably still sends it.
func (v keyRevokeView) usedRecently() bool {
	return !v.Key.LastUsed.IsZero() && v.Now.Sub(v.Key.LastUsed) < recentUse
}

// keyRevokePath is where the revocation of an app's key is confirmed.
func keyRevokePath(app string, id int64) string {
	return appPath(app, "/keys/"+strconv.FormatInt(id, 10)+"/revoke")
}

func (a *Console) appKeyRevokeForm(c echo.Context) error {
	return a.renderKeyRevoke(c, http.StatusOK, nil)
}

// appKeyRevoke revokes one key. The last active key needs its box ticked
// as well: without it the app gets 401 on every call.
func (a *Console) appKeyRevoke(c echo.Context) error {
	name := c.Param("name")
	id, err := keyID(c)
	if err != nil {
		return err
	}
	force := confirmed(c)
	k, left, err := a.Directory.RevokeKey(c.Request().Context(), name, id, force)
	if errors.Is(err, scopes.ErrLastKey) {
		return a.renderKeyRevoke(c, http.StatusUnprocessableEntity, map[string]string{"revoke-key": "This is the last active key of " + name +
			": tick the box to confirm that " + name + " gets 401 on every call until a new key is added, or add a new key first."})
	} else if err != nil {
		return err
	}
	msg := fmt.Sprintf("API key %q of %s is revoked: calls with it get 401 (other instances of scopestore may accept it for up to their --cache-ttl, 5 s by default).", k.Label, name)
	if left == 0 {
		setFlash(c, "warn", msg+" "+name+" has no active key left: add one to let it call scopestore again.")
	} else {
		setFlash(c, "ok", msg)
	}
	return redirect(c, appPath(name, ""))
}

// renderKeyRevoke shows the confirmation page of one key's revocation.
func (a *Console) renderKeyRevoke(c echo.Context, status int, confirm map[string]string) error {
	name := c.Param("name")
	id, err := keyID(c)
	if err != nil {
		return err
	}
	keys, err := a.Directory.Keys(c.Request().Context(), name)
	if err != nil {
		return err
	}
	v := keyRevokeView{App: name, Confirm: confirm, Now: time.Now()}
	found := false
	for _, k := range keys {
		switch {
		case k.ID == id:
			v.Key, found = k, true
		case k.Active():
			v.Others = append(v.Others, k)
		}
	}
	if !found {
		return scopes.Errorf(scopes.ENotFound, "Application %s has no API key %d.", name, id)
	}
	if !v.Key.Active() {
		setFlash(c, "ok", fmt.Sprintf("API key %q of %s was revoked already, at %s.", v.Key.Label, name, utcTime(v.Key.Revoked)))
		return redirect(c, appPath(name, "#keys"))
	}
	if v.Confirm == nil {
		v.Confirm = map[string]string{}
	}
	return a.render(c, status, keyRevokePage(a.meta(c, "Revoke an API key of "+name, "apps"), v))
}

// keyID reads the key's id from the path.
func keyID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, scopes.Errorf(scopes.ENotFound, "There is no API key %q.", c.Param("id"))
	}
	return id, nil
}

// keyTime says when a key was created or used as people say it ("3 min
// ago"), "never" when it was not.
func keyTime(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return checkTime(t, now)
}
