package admin

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// liveEvery is how often the list refreshes itself, as htmx's trigger says it.
const liveEvery = "5s"

// sessionsView is the Sessions page: the query form, the live count, and
// one page of the list.
type sessionsView struct {
	Apps []string
	Form sessionsForm
	// Storage is where the app's scopes of the kind live.
	Storage string
	Count   liveCount
	// Listed is false when the form is invalid and no list was read.
	Listed bool
	Table  sessionsTable
}

// sessionsTable is one page of the list, as the page and its live refresh
// show it.
type sessionsTable struct {
	Form sessionsForm
	Rows []sessionRow
	// Next is the cursor of the next page, "" on the last.
	Next    string
	Partial bool
	Scanned int
	AsOf    time.Time
	// Err is why the list could not be read.
	Err string
	// Unsupported is set, with Err saying why, when the storage cannot
	// list at all (memcached): an answer, not a failure.
	Unsupported bool
}

// sessionRow is one scope in the list.
type sessionRow struct {
	Key       scopes.Key
	Storage   string
	Created   time.Time
	LastVisit time.Time
	Expires   time.Time
	Size      int
	// Hits is the client scope's hit count; sessions have none.
	Hits    *int64
	Version int64
}

func (o *sessionOps) list(c echo.Context) error {
	ctx := c.Request().Context()
	apps, err := o.appNames(ctx)
	if err != nil {
		return err
	}
	f := readSessionsForm(c)
	f.withDefaults(apps)
	m := o.meta(c, "Sessions", "sessions")
	v := sessionsView{Apps: apps, Form: f}
	if len(apps) == 0 {
		return o.render(c, http.StatusOK, sessionsPage(m, v))
	}
	if !v.Form.validate(apps) {
		return o.render(c, http.StatusUnprocessableEntity, sessionsPage(m, v))
	}
	f.App = v.Form.App // validate found the app as created, whatever the case typed
	set, err := o.settingsOf(ctx, f.App)
	if err != nil {
		return err
	}
	v.Storage = set.Of(f.kind()).Storage
	if err := scopes.CheckFilterKey(f.Key, set.SensitiveKeys); err != nil {
		// A filter on a masked key would tell its value: refused beside the field.
		v.Form.Errors["key"] = maskedFilterMessage(f.Key)
		return o.render(c, http.StatusUnprocessableEntity, sessionsPage(m, v))
	}
	if o.Engine != nil {
		cctx, cancel := context.WithTimeout(ctx, countTimeout)
		v.Count = o.count(cctx, set, f.App, f.kind(), nil)
		cancel()
	}
	v.Listed, v.Table = true, o.readTable(ctx, set, f)
	return o.render(c, http.StatusOK, sessionsPage(m, v))
}

// table is the list alone, which htmx fetches every few seconds to refresh
// the page in place. A browser that asks for it without htmx gets the page.
func (o *sessionOps) table(c echo.Context) error {
	f := readSessionsForm(c)
	if !fromHTMX(c) {
		return c.Redirect(http.StatusSeeOther, f.pagePath(f.Cursor))
	}
	ctx := c.Request().Context()
	apps, err := o.appNames(ctx)
	if err != nil {
		return err
	}
	f.withDefaults(apps)
	t := sessionsTable{Form: f, AsOf: o.now()}
	if !f.validate(apps) {
		t.Err = "The query is not valid any more (was the application deleted?): reload the page."
		return o.render(c, http.StatusOK, sessionsTableBox(t))
	}
	set, err := o.settingsOf(ctx, f.App)
	if err != nil {
		t.Err = scopes.ErrorMessage(err)
		return o.render(c, http.StatusOK, sessionsTableBox(t))
	}
	return o.render(c, http.StatusOK, sessionsTableBox(o.readTable(ctx, set, f)))
}

// readTable reads one page of the list. A failure is shown in place of the
// rows, so that the page, and its refresh, go on.
func (o *sessionOps) readTable(ctx context.Context, set scopes.Settings, f sessionsForm) sessionsTable {
	t := sessionsTable{Form: f, AsOf: o.now()}
	eng, err := o.engine()
	if err != nil {
		t.Err = scopes.ErrorMessage(err)
		return t
	}
	page, err := eng.List(ctx, set, f.App, f.kind(), f.query())
	if err != nil {
		if scopes.ErrorCode(err) == scopes.EInternal {
			o.Logger.Error("list scopes", "app", f.App, "kind", f.Kind, "err", err)
		}
		t.Err, t.Unsupported = scopes.ErrorMessage(err), scopes.ErrorCode(err) == scopes.EUnsupported
		return t
	}
	t.Next, t.Partial, t.Scanned = page.Next, page.Partial, page.Scanned
	for _, sc := range page.Scopes {
		key := scopes.Key{App: f.App, Kind: f.kind(), CFID: sc.CFID}
		o.history.observe(key, sc, "list", t.AsOf)
		t.Rows = append(t.Rows, sessionRow{Key: key, Storage: sc.Storage, Created: sc.TimeCreated,
			LastVisit: sc.LastVisit, Expires: sc.Expires, Size: len(sc.Data), Hits: sc.HitCount, Version: sc.Version})
	}
	if f.Order == orderLastVisit {
		// Pages follow cfid order; within the page, the latest visit first.
		slices.SortStableFunc(t.Rows, func(a, b sessionRow) int { return b.LastVisit.Compare(a.LastVisit) })
	}
	return t
}

// appNames lists the apps' names in order.
func (o *sessionOps) appNames(ctx context.Context) ([]string, error) {
	apps, err := o.Directory.Apps(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	return names, nil
}

// clockTime writes a time of the list: the time of day for today (UTC),
// with the date before it otherwise.
func clockTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

// untilText says how long until t: "in 29m50s", "expired".
func untilText(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "expired"
	}
	if d < time.Second {
		return "in <1s"
	}
	if d >= time.Hour {
		d = d.Truncate(time.Minute)
	}
	return "in " + scopes.FormatTimeout(d.Truncate(time.Second))
}

// sizeText writes a size in bytes: "312 B", "12.4 KB", "1.0 MB".
func sizeText(n int) string {
	switch {
	case n < 1000:
		return strconv.Itoa(n) + " B"
	case n < 1000*1000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1000/1000, 'f', 1, 64) + " MB"
}

// pageNote says what the page shows and in which order: sorting by last
// visit sorts this page only, so with more than one page it says that the
// newest may be on another.
func (t sessionsTable) pageNote() string {
	n := len(t.Rows)
	what := strconv.Itoa(n) + " " + kindNoun(t.Form.kind(), n != 1) + " on this page"
	if storage, ok := t.oneStorage(); ok {
		what += ", all in storage " + storage
	}
	if t.Form.Order != orderLastVisit {
		return what + ", in cfid order, as pages are"
	}
	what += ", sorted by last visit within this page (newest first); pages follow cfid order"
	if t.Next != "" || t.Form.Cursor != "" {
		what += ", so the newest may be on another page"
	}
	return what
}

// oneStorage returns the storage of the page's rows when they all have the
// same one, as they do when one storage answered the page: the page then
// says it once rather than in a column that repeats it on every row.
func (t sessionsTable) oneStorage() (string, bool) {
	if len(t.Rows) == 0 {
		return "", false
	}
	for _, r := range t.Rows[1:] {
		if r.Storage != t.Rows[0].Storage {
			return "", false
		}
	}
	return t.Rows[0].Storage, true
}

// storageColumn tells whether the rows need a Storage column: only when
// they are not all in one storage.
func (t sessionsTable) storageColumn() bool {
	_, one := t.oneStorage()
	return !one
}

// partialNote says that the scan bound cut the page short.
func (t sessionsTable) partialNote() string {
	return "The filter looked at " + countText(int64(t.Scanned), true) + " " + kindNoun(t.Form.kind(), true) +
		" without filling the page, and stopped there so that the page answers quickly. More may match further on: " +
		"Next page goes on from where it stopped."
}

// emptyNote says why the list has no rows.
func (t sessionsTable) emptyNote() string {
	noun := kindNoun(t.Form.kind(), true)
	switch {
	case t.Partial:
		return "None of the " + noun + " looked at so far match."
	case t.Form.Cursor != "" && !t.Form.filtered():
		return "No more live " + noun + " after this point."
	case t.Form.filtered():
		return "No live " + noun + " of " + t.Form.App + " match the filter" + afterCursor(t.Form.Cursor) + "."
	}
	return t.Form.App + " has no live " + noun + "."
}

func afterCursor(cursor string) string {
	if cursor == "" {
		return ""
	}
	return " after this point"
}

// kindOptions are the choices of the scope kind select.
var kindOptions = []struct{ Value, Label string }{{"session", "Sessions"}, {"client", "Client scopes"}}

// countLabel names the live count of the page, which counts them all,
// filters or not: "All live sessions".
func (v sessionsView) countLabel() string {
	return "All live " + kindNoun(v.Form.kind(), true)
}

// title capitalises a kind noun for a heading.
func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// maskedFilterMessage says why a filter on a masked key is refused, and
// what to do instead.
func maskedFilterMessage(key string) string {
	return "“" + clipMessage(key, 40) + "” is a masked key, so filtering on its value is refused: the filter would tell what the masked values are. " +
		"Filter on another key or by cfid prefix, and open a scope to see its data, masked."
}
