package admin

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// auditPageSize is how many entries a page of the audit log shows.
const auditPageSize = 50

// auditView is one page of the audit log, newest first.
type auditView struct {
	Entries []scopes.AuditEntry
	// Before is the ID this page starts below, 0 for the newest page.
	Before int64
	// Older is the ID to ask for the next, older page; 0 when there is none.
	Older int64
}

func (a *Console) auditList(c echo.Context) error {
	var before int64
	if s := c.QueryParam("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return scopes.Errorf(scopes.EInvalid, "before=%q is not an entry number.", s)
		}
		before = n
	}
	// One entry more than a page tells whether there is an older page.
	entries, err := a.Admins.Audit(c.Request().Context(), before, auditPageSize+1)
	if err != nil {
		return err
	}
	v := auditView{Entries: entries, Before: before}
	if len(entries) > auditPageSize {
		v.Entries = entries[:auditPageSize]
		v.Older = v.Entries[auditPageSize-1].ID
	}
	return a.render(c, http.StatusOK, auditPage(a.meta(c, "Audit log", "audit"), v))
}

// auditPagePath is the URL of the page of entries older than before.
func auditPagePath(before int64) string {
	return Prefix + "/audit?before=" + strconv.FormatInt(before, 10)
}
