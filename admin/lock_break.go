package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// lockBreakView is the page that confirms breaking one named lock: who
// holds it, and what a break does and does not do.
type lockBreakView struct {
	App     string
	Name    string
	Storage string
	// Holders are the lock's live holders: one exclusive, or readonly ones.
	Holders []scopes.HeldLock
	// Confirm holds the message beside the box left unticked.
	Confirm map[string]string
	Now     time.Time
}

// memory tells whether the lock lives in this instance's memory, which a
// break from here reaches and other instances' memory does not.
func (v lockBreakView) memory() bool { return v.Storage == scopes.StorageMemory }

// lockBreakPath is where breaking an app's lock is confirmed. The name
// travels in the query, as a lock name may hold characters (":", "?", "%")
// that a path segment would need escaped twice.
func lockBreakPath(app, name string) string {
	return appPath(app, "/locks/break?lock="+url.QueryEscape(name))
}

// lockBreakAction is where the confirmation form is sent.
func lockBreakAction(app string) string { return appPath(app, "/locks/break") }

func (a *Console) lockBreakForm(c echo.Context) error {
	return a.renderLockBreak(c, http.StatusOK, nil)
}

// lockBreak frees the lock whoever holds it, once the box is ticked; the
// lock service records it in the audit log as lock.break.
func (a *Console) lockBreak(c echo.Context) error {
	if !confirmed(c) {
		return a.renderLockBreak(c, http.StatusUnprocessableEntity, map[string]string{"break": confirmMessage})
	}
	app, name := c.Param("name"), c.FormValue("lock")
	if a.Engine == nil {
		return scopes.Errorf(scopes.EUnsupported, "This console has no engine to break locks with.")
	}
	broken, storage, err := scopes.NewLocks(a.Engine, a.Directory).Break(c.Request().Context(), app, name)
	if scopes.ErrorCode(err) == scopes.ENotFound && storage != "" {
		setFlash(c, "warn", fmt.Sprintf("Lock %q of %s was not held any more: nothing was broken.", name, app))
		return redirect(c, appPath(app, "#locks"))
	} else if err != nil {
		return err
	}
	setFlash(c, "ok", fmt.Sprintf("Lock %q of %s is broken (%s): the next request for it takes it, with a higher fence.",
		name, app, scopes.BrokenDetail(broken, storage)))
	return redirect(c, appPath(app, "#locks"))
}

// renderLockBreak shows the confirmation page of one lock's break, or
// returns to the app's page when nothing holds the lock.
func (a *Console) renderLockBreak(c echo.Context, status int, confirm map[string]string) error {
	app, name := c.Param("name"), c.FormValue("lock")
	if err := scopes.ValidateLockName(name); err != nil {
		return err
	}
	if a.Engine == nil {
		return scopes.Errorf(scopes.EUnsupported, "This console has no engine to read locks with.")
	}
	held, storage, err := scopes.NewLocks(a.Engine, a.Directory).Held(c.Request().Context(), app, scopes.MaxHeldLocks)
	if err != nil {
		return err
	}
	v := lockBreakView{App: app, Name: name, Storage: storage, Confirm: confirm, Now: time.Now()}
	for _, h := range held {
		if h.Name == name {
			v.Holders = append(v.Holders, h)
		}
	}
	if len(v.Holders) == 0 {
		setFlash(c, "ok", fmt.Sprintf("Lock %q of %s is not held now: there is nothing to break.", name, app))
		return redirect(c, appPath(app, "#locks"))
	}
	if v.Confirm == nil {
		v.Confirm = map[string]string{}
	}
	return a.render(c, status, lockBreakPage(a.meta(c, "Break lock "+name+" of "+app, "apps"), v))
}
