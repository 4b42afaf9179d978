package admin

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// Orders of the rows within a page of the Sessions list.
const (
	orderLastVisit = "lastvisit"
	orderCFID      = "cfid"
)

// sessionsForm is the Sessions page's query as the browser sent it: which
// app and kind, the filters, the cursor of the page, and how to show it.
type sessionsForm struct {
	App    string
	Kind   string
	Prefix string
	Key    string
	Value  string
	Cursor string
	// Order sorts the rows within the page: orderLastVisit or orderCFID.
	Order string
	// Live refreshes the list every few seconds (with JS).
	Live   bool
	Errors map[string]string
}

func readSessionsForm(c echo.Context) sessionsForm {
	q := c.QueryParams()
	get := func(name string) string { return strings.TrimSpace(q.Get(name)) }
	return sessionsForm{
		App:    get("app"),
		Kind:   strings.ToLower(get("scope")),
		Prefix: strings.ToLower(get("prefix")),
		Key:    get("key"),
		// A value is looked for as typed: its spaces may matter.
		Value:  q.Get("value"),
		Cursor: get("cursor"),
		Order:  get("order"),
		Live:   get("live") != "off",
		Errors: map[string]string{},
	}
}

// withDefaults picks the first app and the session scope when the browser
// named none, so that the page shows a list at once.
func (f *sessionsForm) withDefaults(apps []string) {
	if f.App == "" && len(apps) > 0 {
		f.App = apps[0]
	}
	if f.Kind == "" {
		f.Kind = string(scopes.Session)
	}
	if f.Order == "" {
		f.Order = orderLastVisit
	}
}

// validate checks each field, one message per field.
func (f *sessionsForm) validate(apps []string) bool {
	if app, ok := appIn(apps, f.App); ok {
		f.App = app
	} else {
		f.Errors["app"] = "Choose one of the applications."
	}
	if _, err := parseKind(f.Kind); err != nil {
		f.Errors["scope"] = "Choose session or client."
	}
	if !validPrefix(f.Prefix) {
		f.Errors["prefix"] = "A cfid prefix holds only hex digits (0-9, a-f) and '-', up to 36 characters."
	}
	if f.Key != "" && f.Value == "" {
		f.Errors["value"] = `Enter the value the key holds (to find an empty string, enter "").`
	}
	if f.Order != orderLastVisit && f.Order != orderCFID {
		f.Errors["order"] = "Choose last visit or cfid."
	}
	return len(f.Errors) == 0
}

func validPrefix(p string) bool {
	if len(p) > 36 {
		return false
	}
	for _, c := range p {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// kind is the form's scope kind, once validated.
func (f sessionsForm) kind() scopes.Kind { return scopes.Kind(f.Kind) }

// filtered tells whether a filter is set.
func (f sessionsForm) filtered() bool { return f.Prefix != "" || f.Value != "" }

// query is the engine's query for the form's page.
func (f sessionsForm) query() scopes.ListQuery {
	return scopes.ListQuery{After: f.Cursor, CFIDPrefix: f.Prefix, Key: f.Key, Value: f.Value}
}

// values writes the form as a query string, with the cursor given and the
// live refresh on or off.
func (f sessionsForm) values(cursor string, live bool) url.Values {
	v := url.Values{"app": {f.App}, "scope": {f.Kind}}
	for name, value := range map[string]string{"prefix": f.Prefix, "key": f.Key, "value": f.Value, "cursor": cursor} {
		if value != "" {
			v.Set(name, value)
		}
	}
	if f.Order != "" && f.Order != orderLastVisit {
		v.Set("order", f.Order)
	}
	if !live {
		v.Set("live", "off")
	}
	return v
}

// pagePath is the Sessions page at cursor.
func (f sessionsForm) pagePath(cursor string) string {
	return sessionsPath + "?" + f.values(cursor, f.Live).Encode()
}

// livePath is this page with the live refresh turned on or off.
func (f sessionsForm) livePath(live bool) string {
	return sessionsPath + "?" + f.values(f.Cursor, live).Encode()
}

// tablePath is the list fragment that htmx fetches to refresh the page.
func (f sessionsForm) tablePath() string {
	return sessionsPath + "/table?" + f.values(f.Cursor, true).Encode()
}

// clearPath is the first page of the app's kind without filters.
func (f sessionsForm) clearPath() string {
	return sessionsListPath(f.App, f.kind())
}
