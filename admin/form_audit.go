package admin

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// auditForm is the audit page's filter form, read from the query string: a
// GET form, so that a filtered view has an address to bookmark and share.
type auditForm struct {
	Actor  string
	Action string
	Target string
	// From and To are dates (YYYY-MM-DD, UTC), To included.
	From string
	To   string
	// Before and After are the page's cursor (scopes.AuditPos.String).
	Before string
	After  string
	Errors map[string]string

	filter        scopes.AuditFilter
	before, after scopes.AuditPos
}

// maxAuditFilterLength bounds each text filter: no actor, action or target is longer.
const maxAuditFilterLength = 255

func readAuditForm(c echo.Context) auditForm {
	trim := func(name string) string { return strings.TrimSpace(c.QueryParam(name)) }
	return auditForm{Actor: trim("actor"), Action: trim("action"), Target: trim("target"), From: trim("from"), To: trim("to"),
		Before: trim("before"), After: trim("after"), Errors: map[string]string{}}
}

// validate checks every field at once and keeps what they mean for query.
func (f *auditForm) validate() bool {
	for _, t := range []struct{ name, value string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target}} {
		if utf8.RuneCountInString(t.value) > maxAuditFilterLength {
			f.Errors[t.name] = "Use up to 255 characters."
		}
	}
	f.filter = scopes.AuditFilter{Actor: f.Actor, Action: f.Action, Target: f.Target}
	var err error
	if f.filter.Since, err = parseAuditDate(f.From, false); err != nil {
		f.Errors["from"] = "Pick a date, or write it as YYYY-MM-DD."
	}
	if f.filter.Until, err = parseAuditDate(f.To, true); err != nil {
		f.Errors["to"] = "Pick a date, or write it as YYYY-MM-DD."
	}
	if f.Errors["from"] == "" && f.Errors["to"] == "" && !f.filter.Since.IsZero() && !f.filter.Until.IsZero() &&
		!f.filter.Until.After(f.filter.Since) {
		f.Errors["to"] = "Pick a day on or after the first day."
	}
	if f.before, err = scopes.ParseAuditPos(f.Before); err != nil {
		f.Errors["page"] = "This page's link is damaged: start again from the newest entries."
	}
	if f.after, err = scopes.ParseAuditPos(f.After); err != nil {
		f.Errors["page"] = "This page's link is damaged: start again from the newest entries."
	}
	if !f.before.IsZero() && !f.after.IsZero() {
		f.Errors["page"] = "This page's link is damaged: start again from the newest entries."
	}
	return len(f.Errors) == 0
}

// parseAuditDate reads a date field: a day, as the browser's date input
// sends it. The console's fields are days; the CLI also takes times.
func parseAuditDate(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return time.Time{}, err
	}
	return scopes.ParseAuditTime(s, end)
}

// filtered tells whether any filter is set, for the Clear link.
func (f auditForm) filtered() bool {
	return f.Actor != "" || f.Action != "" || f.Target != "" || f.From != "" || f.To != ""
}

// values are the filters as a query string, with the cursor given.
func (f auditForm) values(before, after string) url.Values {
	v := url.Values{}
	for _, p := range []struct{ name, value string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target},
		{"from", f.From}, {"to", f.To}, {"before", before}, {"after", after}} {
		if p.value != "" {
			v.Set(p.name, p.value)
		}
	}
	return v
}

// pagePath is the audit page with these filters, from the cursor given
// (both empty: the newest entries).
func (f auditForm) pagePath(before, after string) string {
	if q := f.values(before, after).Encode(); q != "" {
		return Prefix + "/audit?" + q
	}
	return Prefix + "/audit"
}

// exportPath downloads every entry these filters select, whatever the page.
func (f auditForm) exportPath() string {
	if q := f.values("", "").Encode(); q != "" {
		return Prefix + "/audit/export?" + q
	}
	return Prefix + "/audit/export"
}

// filterPath is the audit page filtered by one more field, for the links
// in the table's cells.
func (f auditForm) filterPath(name, value string) string {
	v := f.values("", "")
	v.Set(name, value)
	return Prefix + "/audit?" + v.Encode()
}
