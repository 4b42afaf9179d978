package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APILock is one holder of a named lock, as the admin JSON API writes it:
// never its token.
type APILock struct {
	Name    string    `json:"name"`
	Type    string    `json:"type"`
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires"`
}

// APILocks is GET …/apps/{app}/locks: the app's locks held now, read from
// its lock storage. With storage memory they are this instance's only.
type APILocks struct {
	App     string    `json:"app"`
	Storage string    `json:"storage"`
	Locks   []APILock `json:"locks"`
}

// APILockBroken is what DELETE …/apps/{app}/locks/{name} did.
type APILockBroken struct {
	App     string    `json:"app"`
	Lock    string    `json:"lock"`
	Storage string    `json:"storage"`
	Broken  []APILock `json:"broken"`
	// Detail says what was broken, as the audit entry does.
	Detail string `json:"detail"`
}

func newAPILocks(held []scopes.HeldLock) []APILock {
	out := make([]APILock, len(held))
	for i, h := range held {
		out[i] = APILock{Name: h.Name, Type: string(h.Type), Since: h.Since.UTC(), Expires: h.Expires.UTC()}
	}
	return out
}

// HeldLocks reads the holders the admin JSON API wrote.
func HeldLocks(locks []APILock) []scopes.HeldLock {
	out := make([]scopes.HeldLock, len(locks))
	for i, l := range locks {
		out[i] = scopes.HeldLock{Name: l.Name, Type: scopes.LockType(l.Type), Since: l.Since, Expires: l.Expires}
	}
	return out
}

// apiLocks answers the locks of an app held now: ?limit= holders at most
// (scopes.MaxHeldLocks, the default).
func (a *Console) apiLocks(c echo.Context) error {
	limit := scopes.MaxHeldLocks
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > scopes.MaxHeldLocks {
			return apiError(a, c, scopes.Errorf(scopes.EInvalid, "limit=%q: give a number from 1 to %d", clipMessage(s, 40), scopes.MaxHeldLocks))
		}
		limit = n
	}
	if a.Engine == nil {
		return apiError(a, c, scopes.Errorf(scopes.EUnsupported, "this server has no engine to read locks with"))
	}
	app := c.Param("app")
	held, storage, err := scopes.NewLocks(a.Engine, a.Directory).Held(c.Request().Context(), app, limit)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, APILocks{App: app, Storage: storage, Locks: newAPILocks(held)})
}

// apiLockBreak frees a lock whoever holds it, as the console's Break does;
// the lock service records lock.break. A lock not held is 404.
func (a *Console) apiLockBreak(c echo.Context) error {
	name, err := apiLockName(c)
	if err != nil {
		return apiError(a, c, err)
	}
	if a.Engine == nil {
		return apiError(a, c, scopes.Errorf(scopes.EUnsupported, "this server has no engine to break locks with"))
	}
	app := c.Param("app")
	broken, storage, err := scopes.NewLocks(a.Engine, a.Directory).Break(c.Request().Context(), app, name)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, APILockBroken{App: app, Lock: name, Storage: storage,
		Broken: newAPILocks(broken), Detail: scopes.BrokenDetail(broken, storage)})
}

// apiLockName returns the lock name of the path, unescaped, as the runtime
// API reads it: the router hands a parameter over as sent when the client
// escaped the path otherwise than Go would, and unescaped otherwise.
func apiLockName(c echo.Context) (string, error) {
	name := c.Param("name")
	if c.Request().URL.RawPath != "" {
		var err error
		if name, err = url.PathUnescape(name); err != nil {
			return "", scopes.Errorf(scopes.EInvalid, "the lock name in the path is not escaped properly: %v", err)
		}
	}
	return name, scopes.ValidateLockName(name)
}
