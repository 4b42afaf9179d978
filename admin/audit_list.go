package admin

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// auditPageSize is how many entries a page of the audit log shows.
const auditPageSize = 50

// auditView is one page of the audit log, newest first.
type auditView struct {
	Form    auditForm
	Entries []scopes.AuditEntry
	// Older and Newer are the cursors of the links to the next pages, ""
	// when there is none that way.
	Older, Newer string
	// ScannedTo, when not zero, is how far back (or forward) a filtered page
	// looked without filling itself: the scan's bound, not the log's end.
	ScannedTo time.Time
	// Retention is --audit-retention: 0 keeps every entry.
	Retention time.Duration
}

func (a *Console) auditList(c echo.Context) error {
	ctx := c.Request().Context()
	f := readAuditForm(c)
	if n, err := strconv.ParseInt(f.Before, 10, 64); err == nil && n > 0 {
		// An entry's number, as older links wrote (auditPagePath): the page
		// that starts with the entry before it.
		f.Before = ""
		if older, err := a.Admins.Audit(ctx, n, 1); err != nil {
			return err
		} else if len(older) == 1 {
			f.Before = atOrOlder(scopes.PosOf(older[0])).String()
		}
	}
	v := auditView{Form: f, Retention: a.AuditRetention}
	if !v.Form.validate() {
		if msg := v.Form.Errors["page"]; msg != "" {
			return scopes.Errorf(scopes.EInvalid, "%s", msg)
		}
		return a.render(c, http.StatusUnprocessableEntity, auditPage(a.meta(c, "Audit log", "audit"), v))
	}
	q := scopes.AuditQuery{AuditFilter: v.Form.filter, Before: v.Form.before, After: v.Form.after, Limit: auditPageSize + 1}
	page, err := a.Admins.AuditQuery(ctx, q)
	if err != nil {
		return err
	}
	if !q.After.IsZero() && len(page.Entries) <= auditPageSize && page.Stop.IsZero() {
		// Nothing newer beyond these: the newest page, full, rather than a short one.
		q.After, v.Form.After = scopes.AuditPos{}, ""
		if page, err = a.Admins.AuditQuery(ctx, q); err != nil {
			return err
		}
	}
	v.page(q, page)
	return a.render(c, http.StatusOK, auditPage(a.meta(c, "Audit log", "audit"), v))
}

// page fills the entries and the links from what the query found. The query
// asked for one entry more than a page, which tells whether there is more.
func (v *auditView) page(q scopes.AuditQuery, p scopes.AuditPage) {
	e := p.Entries
	more := len(e) > auditPageSize
	newer := !q.After.IsZero()
	switch {
	case more && newer:
		// Read upwards: the page is the entries nearest the cursor.
		e = e[len(e)-auditPageSize:]
	case more:
		e = e[:auditPageSize]
	}
	v.Entries = e
	if !more && !p.Stop.IsZero() {
		v.ScannedTo = p.Stop.At
	}
	if newer {
		switch {
		case more:
			v.Newer = scopes.PosOf(e[0]).String()
		case !p.Stop.IsZero():
			v.Newer = p.Stop.String()
		}
		if len(e) > 0 {
			v.Older = scopes.PosOf(e[len(e)-1]).String()
		} else {
			v.Older = atOrOlder(q.After).String()
		}
		return
	}
	switch {
	case more:
		v.Older = scopes.PosOf(e[len(e)-1]).String()
	case !p.Stop.IsZero():
		v.Older = p.Stop.String()
	}
	if !q.Before.IsZero() {
		if len(e) > 0 {
			v.Newer = scopes.PosOf(e[0]).String()
		} else {
			v.Newer = atOrNewer(q.Before).String()
		}
	}
}

// atOrOlder is the cursor whose older entries begin with the entry at p:
// positions order by time and then ID, and no ID lies between p's and the next.
func atOrOlder(p scopes.AuditPos) scopes.AuditPos { return scopes.AuditPos{At: p.At, ID: p.ID + 1} }

// atOrNewer is the cursor whose newer entries begin with the entry at p.
func atOrNewer(p scopes.AuditPos) scopes.AuditPos { return scopes.AuditPos{At: p.At, ID: p.ID - 1} }

// auditPagePath is the page of the audit log that starts with the entry
// before the one numbered before (a migration's result links its entries so).
func auditPagePath(before int64) string {
	return Prefix + "/audit?before=" + strconv.FormatInt(before, 10)
}

// rangeNote says what the page holds: how many entries, from when back to when.
func (v auditView) rangeNote() string {
	if len(v.Entries) == 0 {
		return ""
	}
	n, first, last := len(v.Entries), v.Entries[0].At.UTC(), v.Entries[len(v.Entries)-1].At.UTC()
	if n == 1 {
		return "1 entry, " + first.Format("2006-01-02 15:04") + " UTC"
	}
	if first.Format("2006-01-02 15:04") == last.Format("2006-01-02 15:04") {
		return strconv.Itoa(n) + " entries, newest first, " + first.Format("2006-01-02 15:04") + " UTC"
	}
	return strconv.Itoa(n) + " entries, newest first: " + first.Format("2006-01-02 15:04") + " back to " + last.Format("2006-01-02 15:04") + " UTC"
}

// durationWords writes a retention in days when it is whole days, as
// operators think of it (8760h is "365 days").
func durationWords(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if days := int(d / (24 * time.Hour)); days == 1 {
			return "1 day"
		} else {
			return strconv.Itoa(days) + " days"
		}
	}
	return d.String()
}

// scannedNote says where a filtered page stopped looking.
func (v auditView) scannedNote() string {
	dir, link := "back to", "“Older →” looks further back."
	if v.Form.After != "" {
		dir, link = "forward to", "“← Newer” looks further on."
	}
	return "This page looked through " + countText(int64(scopes.DefaultAuditScan), true) + " entries, " + dir + " " +
		v.ScannedTo.UTC().Format("2006-01-02 15:04:05") + " UTC, and found " + countText(int64(len(v.Entries)), true) +
		" that match. " + link + " A narrower date range finds old entries faster."
}

// auditActionHints are offered as the action filter is typed: the prefixes
// of the actions scopestore records.
var auditActionHints = []string{
	"admin.login", actionLoginFailed, actionLoginLocked, actionLoginPaced, actionLogout, "admin.setup",
	"app.", "app.key.", "connection.", "server.settings", "session.", "client.", "audit.export",
}

// detailShown is how many characters of a detail the table shows before
// offering the rest.
const detailShown = 400

// detailHead is the start of a detail the table shows.
func detailHead(s string) string {
	if !detailCut(s) {
		return s
	}
	return string([]rune(s)[:detailShown]) + "…"
}

// detailCut tells whether the table shows only the start of a detail.
func detailCut(s string) bool { return utf8.RuneCountInString(s) > detailShown }
