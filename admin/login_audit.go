package admin

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// Failed and refused logins go to the audit log, but an attacker must not
// be able to fill it. A failure costs the attacker a password check and is
// already limited by the throttles (five per address per ten minutes); a
// refusal costs nothing, so while the throttle refuses an address one
// entry a minute is recorded for it, however many attempts it makes. And
// whatever the number of addresses, an instance records at most
// loginAuditBudget such entries a minute; the rest are counted, and the
// count is recorded in one entry when the next minute allows one (the
// server's log still has a line for each).
const (
	// refusedAuditEvery is how often a refused address gets an entry.
	refusedAuditEvery = time.Minute
	// loginAuditBudget is how many failed or refused logins an instance
	// records a minute.
	loginAuditBudget = 60
	// maxLoginNameLength is how much of a typed user name an entry keeps.
	maxLoginNameLength = maxUsernameLength
)

// Actions of the console's logins in the audit log; "admin.login" as a
// filter finds them all.
const (
	actionLogin       = "admin.login"
	actionLogout      = "admin.logout"
	actionLoginFailed = "admin.login_failed"
	// actionLoginLocked is a refusal of an address past its failures.
	actionLoginLocked = "admin.login_locked"
	// actionLoginPaced is a refusal of a user name's attempt by the pacing.
	actionLoginPaced = "admin.login_paced"
	// actionLoginUnrecorded counts failures left out of the log by the budget.
	actionLoginUnrecorded = "admin.login_unrecorded"
)

// loginAudit decides which failed logins are recorded.
type loginAudit struct {
	mu sync.Mutex
	// refused maps an address (httpapi.LimitKey) to when its last refusal
	// was recorded; bounded by maxThrottleKeys.
	refused map[string]time.Time
	// minute is when the current budget minute began, used its entries,
	// dropped the entries it left out since the last recorded one.
	minute  time.Time
	used    int
	dropped int
}

func newLoginAudit() *loginAudit { return &loginAudit{refused: map[string]time.Time{}} }

// allow tells whether a failed (refused false) or refused login from addr
// is recorded now, and how many were left out before it, which the caller
// records first.
func (l *loginAudit) allow(addr string, refused bool, now time.Time) (ok bool, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if refused {
		if last, seen := l.refused[addr]; seen && now.Sub(last) < refusedAuditEvery {
			return false, 0
		}
	}
	if now.Sub(l.minute) >= time.Minute {
		l.minute, l.used = now, 0
	}
	if l.used >= loginAuditBudget {
		l.dropped++
		return false, 0
	}
	l.used++
	if refused {
		if len(l.refused) >= maxThrottleKeys {
			for key, at := range l.refused {
				if now.Sub(at) >= refusedAuditEvery {
					delete(l.refused, key)
				}
			}
		}
		if len(l.refused) < maxThrottleKeys {
			l.refused[addr] = now
		}
	}
	dropped, l.dropped = l.dropped, 0
	return true, dropped
}

// auditLogin records a login, a logout, or a failed or refused login, as
// the typed user name ("admin:NAME", clipped, never the password) from the
// client's address. Failed and refused ones pass loginAudit first.
func (a *Console) auditLogin(c echo.Context, action, name, limitKey, detail string) {
	if action != actionLogin && action != actionLogout {
		ok, dropped := a.loginAudit.allow(limitKey, action != actionLoginFailed, time.Now())
		if !ok {
			return
		}
		if dropped > 0 {
			a.writeAudit(c, scopes.AuditEntry{Actor: "scopestore", Action: actionLoginUnrecorded, Target: "admin console",
				Detail: fmt.Sprintf("%d failed or refused logins were not recorded: more than %d a minute on this instance (the server's log has each)", dropped, loginAuditBudget)})
		}
	}
	a.writeAudit(c, scopes.AuditEntry{Actor: "admin:" + loginName(name), Action: action, Target: c.RealIP(), Detail: detail})
}

// writeAudit records e now; a failure is logged, never shown to the user.
func (a *Console) writeAudit(c echo.Context, e scopes.AuditEntry) {
	e.At = time.Now()
	if err := a.Admins.AddAudit(c.Request().Context(), e); err != nil {
		a.Logger.Error("audit log write failed", "action", e.Action, "err", err)
	}
}

// loginName is a typed user name as an entry shows it: control characters
// replaced, so that a name cannot forge a line of the CLI's table, and cut
// to the longest name the setup accepts.
func loginName(name string) string {
	if name == "" {
		return "(no name)"
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	if utf8.RuneCountInString(name) > maxLoginNameLength {
		name = string([]rune(name)[:maxLoginNameLength-1]) + "…"
	}
	return name
}
