package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// maxAuditExport bounds one export: the newest this many entries that the
// filters select. A narrower date range reaches older ones.
const maxAuditExport = 100000

// auditExportBatch is how many entries the export reads per query.
const auditExportBatch = scopes.MaxAuditLimit

// auditExport downloads the entries the page's filters select as JSON lines,
// newest first: one AuditEntry's JSON a line. It streams a batch at a time,
// so that memory stays flat whatever the count, and records itself.
func (a *Console) auditExport(c echo.Context) error {
	ctx := c.Request().Context()
	f := readAuditForm(c)
	if !f.validate() {
		return scopes.Errorf(scopes.EInvalid, "The filters are not valid: %s", firstError(f.Errors))
	}
	q := scopes.AuditQuery{AuditFilter: f.filter, Limit: auditExportBatch}
	// The first batch before any byte is sent: a failing store is an
	// error page, not an empty file.
	page, err := a.Admins.AuditQuery(ctx, q)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/x-ndjson; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="scopestore-audit-%s.jsonl"`, time.Now().UTC().Format("20060102T150405Z")))
	c.Response().WriteHeader(http.StatusOK)
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	n := 0
	for {
		written, ok := encodeAll(enc, page.Entries[:min(len(page.Entries), maxAuditExport-n)])
		if n += written; !ok {
			// The client went away; nothing more to tell it.
			return nil
		}
		c.Response().Flush()
		switch {
		case n >= maxAuditExport:
		case len(page.Entries) == q.Limit:
			q.Before = scopes.PosOf(page.Entries[len(page.Entries)-1])
		case !page.Stop.IsZero():
			q.Before = page.Stop
		default:
			q.Before = scopes.AuditPos{}
		}
		if n >= maxAuditExport || q.Before.IsZero() {
			break
		}
		if page, err = a.Admins.AuditQuery(ctx, q); err != nil {
			// Too late for an error page: the file ends short, and the log says why.
			a.Logger.Error("audit export stopped", "entries", n, "err", err)
			return nil
		}
	}
	detail := fmt.Sprintf("%d entries exported as JSON lines; %s", n, f.filter.Describe())
	if n >= maxAuditExport {
		detail += fmt.Sprintf(" (stopped at the limit of %d)", maxAuditExport)
	}
	a.audit(c, "audit.export", "audit log", detail)
	return nil
}

// firstError returns one of a form's messages, for an answer that has no form to show them beside.
func firstError(errs map[string]string) string {
	for _, name := range []string{"actor", "action", "target", "from", "to", "page"} {
		if msg, ok := errs[name]; ok {
			return name + ": " + msg
		}
	}
	return ""
}

// encodeAll writes entries a line each, and tells how many it wrote and
// whether it wrote them all.
func encodeAll(enc *json.Encoder, entries []scopes.AuditEntry) (int, bool) {
	for i, e := range entries {
		if enc.Encode(e) != nil {
			return i, false
		}
	}
	return len(entries), true
}
