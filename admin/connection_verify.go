package admin

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// verifyCheckView is one check of Verify as a page shows it.
type verifyCheckView struct {
	Name    string
	OK      bool
	Skipped bool
	Message string
}

// maxCheckMessage bounds a check's message in a page and in a flash.
const maxCheckMessage = 300

// verifyChecks turns Verify's report into what a page shows, worded as the
// admin JSON API words it (scopes.Health.Message; the connection manager
// has masked the password).
func verifyChecks(hs []scopes.Health) []verifyCheckView {
	out := make([]verifyCheckView, len(hs))
	for i, h := range hs {
		out[i] = verifyCheckView{Name: h.Name, OK: h.Err == nil, Skipped: h.Skipped(), Message: clipMessage(h.Message(), maxCheckMessage)}
	}
	return out
}

// clipMessage cuts s to n characters, so that a driver's long message
// neither floods a page nor overflows the flash cookie.
func clipMessage(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// checksPassed tells whether every check passed.
func checksPassed(checks []verifyCheckView) bool {
	for _, ch := range checks {
		if !ch.OK {
			return false
		}
	}
	return len(checks) > 0
}

// verifySummary is the flash after a save that ran Verify: ok when every
// check passed, warn naming what failed otherwise.
func verifySummary(saved string, checks []verifyCheckView) Flash {
	if checksPassed(checks) {
		names := make([]string, len(checks))
		for i, ch := range checks {
			names[i] = ch.Name
		}
		return Flash{Kind: "ok", Message: fmt.Sprintf("%s Verify passed every check: %s.", saved, strings.Join(names, ", "))}
	}
	var failed []string
	skipped := 0
	for _, ch := range checks {
		switch {
		case ch.OK:
		case ch.Skipped:
			skipped++
		default:
			failed = append(failed, ch.Name+": "+ch.Message)
		}
	}
	msg := fmt.Sprintf("%s But Verify failed — %s", saved, strings.Join(failed, "; "))
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d later checks skipped)", skipped)
	}
	msg += ". Scopes cannot be kept in it until this is fixed: correct the settings and save again, or use Verify once the server is back."
	return Flash{Kind: "warn", Message: clipMessage(msg, 1500)}
}

// afterConnectionSave sets the flash of a saved connection, verifying it first when
// the form asks for it. A failing check never undoes the save.
func (a *Console) afterConnectionSave(c echo.Context, f connectionForm, verb string) {
	saved := fmt.Sprintf("%s %s %s.", connKindTitle(f.Kind), f.Name, verb)
	if !f.Verify {
		setFlash(c, "ok", saved+" It was not verified: use Verify to check it.")
		return
	}
	hs, err := a.Connections.Verify(c.Request().Context(), f.Name)
	if err != nil {
		a.Logger.Warn("verify after save", "connection", f.Name, "err", err)
		setFlash(c, "warn", saved+" But it could not be verified: "+scopes.ErrorMessage(err))
		return
	}
	fl := verifySummary(saved, verifyChecks(hs))
	setFlash(c, fl.Kind, fl.Message)
}

// fromHTMX tells whether htmx sent the request, which wants a fragment.
func fromHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// fragmentCSRF is the token a fragment's forms carry, read without taking the
// page's flash as meta does.
func fragmentCSRF(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// connectionVerify runs a connection's checks: htmx gets the result in
// place of the button, a browser without JS a page with it.
func (a *Console) connectionVerify(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		conn, err := a.connectionOf(c, kind)
		if err != nil {
			return err
		}
		started := time.Now()
		hs, err := a.Connections.Verify(c.Request().Context(), conn.Name)
		if err != nil && !fromHTMX(c) {
			return err
		}
		checks := verifyChecks(hs)
		if err != nil {
			// htmx swaps only a 2xx answer: the failure goes in the box.
			a.Logger.Warn("verify", "connection", conn.Name, "err", err)
			checks = []verifyCheckView{{Name: "verify", Message: scopes.ErrorMessage(err)}}
		}
		st := justVerified(started, checks)
		if fromHTMX(c) {
			return a.render(c, http.StatusOK, verifyBox(kind, conn.Name, fragmentCSRF(c), st))
		}
		m := a.meta(c, "Verify "+conn.Name, connSection(kind))
		return a.render(c, http.StatusOK, verifyPage(m, kind, conn, st))
	}
}
