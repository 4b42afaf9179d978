package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// matchCountTimeout bounds the count of the confirmation page: long enough
// to examine the run's whole bound on a datasource, short enough that a
// slow storage shows a partial count rather than holding the page.
const matchCountTimeout = 20 * time.Second

// progressRefresh is how often the progress page of a run reloads itself
// (the HTTP Refresh header: no JS needed).
const progressRefresh = 2

// keptRuns is how many runs this instance remembers for their progress
// pages; the audit log keeps every finished one.
const keptRuns = 100

// invalidations serves targeted invalidation: every scope of an app's kind
// that the Sessions list's filter keeps, run in the background with a
// progress page, and the rows ticked on the list.
type invalidations struct {
	*sessionOps
	mu   sync.Mutex
	runs map[string]*matchRun
	// order is the runs' ids, oldest first, so that the oldest is forgotten
	// past keptRuns.
	order []string
}

func newInvalidations(o *sessionOps) *invalidations {
	return &invalidations{sessionOps: o, runs: map[string]*matchRun{}}
}

// matchForm is the filter of a targeted invalidation, as the list's query
// string or the confirmation's form sends it.
type matchForm struct {
	App    string
	Kind   scopes.Kind
	Prefix string
	Key    string
	Value  string
	// After starts the run after this cfid: where a run stopped by the scan
	// bound left off.
	After string
}

// readMatchForm reads the filter from the query string (the confirmation
// page) or the form (its submission), and refuses a bad one with 400
// before any scope is read.
func readMatchForm(c echo.Context, set scopes.Settings) (matchForm, error) {
	k, err := parseKind(c.Param("kind"))
	if err != nil {
		return matchForm{}, err
	}
	f := matchForm{App: c.Param("app"), Kind: k, Prefix: strings.ToLower(strings.TrimSpace(c.FormValue("prefix"))),
		Key: strings.TrimSpace(c.FormValue("key")), Value: c.FormValue("value"), After: strings.TrimSpace(c.FormValue("after"))}
	if !validPrefix(f.Prefix) {
		return f, scopes.Errorf(scopes.EInvalid, "A cfid prefix holds only hex digits (0-9, a-f) and '-', up to 36 characters.")
	}
	if !validPrefix(f.After) {
		return f, scopes.Errorf(scopes.EInvalid, "The starting point is not a cfid: start again from the Sessions list.")
	}
	if f.Key != "" && f.Value == "" {
		return f, scopes.Errorf(scopes.EInvalid, `The filter on key “%s” has no value: enter the value the key holds (to find an empty string, enter "").`, clipMessage(f.Key, 60))
	}
	if err := scopes.CheckMatchQuery(f.query()); err != nil {
		return f, scopes.Errorf(scopes.EInvalid, "Targeted invalidation needs a filter: on the Sessions list, give a data key and its value, "+
			"a value in any key, or a cfid prefix. To end every %s of %s, use Invalidate all.", kindNoun(k, false), f.App)
	}
	if err := scopes.CheckFilterKey(f.Key, set.SensitiveKeys); err != nil {
		return f, scopes.Errorf(scopes.EInvalid, "%s", maskedFilterMessage(f.Key))
	}
	return f, nil
}

// query is the engine's query of the filter.
func (f matchForm) query() scopes.ListQuery {
	return scopes.ListQuery{After: f.After, CFIDPrefix: f.Prefix, Key: f.Key, Value: f.Value}
}

// values writes the filter as a query string or hidden fields.
func (f matchForm) values() url.Values {
	v := url.Values{}
	for name, value := range map[string]string{"prefix": f.Prefix, "key": f.Key, "value": f.Value, "after": f.After} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v
}

// hidden are the filter's fields, in a fixed order, for the confirmation's form.
func (f matchForm) hidden() []struct{ Name, Value string } {
	var out []struct{ Name, Value string }
	for _, h := range []struct{ Name, Value string }{{"prefix", f.Prefix}, {"key", f.Key}, {"value", f.Value}, {"after", f.After}} {
		if h.Value != "" {
			out = append(out, h)
		}
	}
	return out
}

// matchFilter is the list's filter as the confirmation page's query string.
func (v sessionsView) matchFilter() url.Values {
	f := matchForm{Prefix: v.Form.Prefix, Key: v.Form.Key, Value: v.Form.Value}
	return f.values()
}

// showMatching tells whether the list offers to invalidate every scope the
// filter keeps: with a filter, unless the list found none at all.
func (v sessionsView) showMatching() bool {
	t := v.Table
	complete := t.Form.Cursor == "" && t.Next == "" && !t.Partial
	return v.Form.filtered() && !(complete && len(t.Rows) == 0)
}

// matchingLabel names the link to invalidate every scope the filter keeps,
// with their number when this one page holds them all.
func (v sessionsView) matchingLabel() string {
	t := v.Table
	if t.Form.Cursor == "" && t.Next == "" && !t.Partial {
		n := len(t.Rows)
		return "Invalidate all " + strconv.Itoa(n) + " matching " + kindNoun(v.Form.kind(), n != 1) + "…"
	}
	return "Invalidate all matching " + kindNoun(v.Form.kind(), true) + "…"
}

// describe says the filter in words: `data key “userId” holds 42`.
func (f matchForm) describe() string {
	return describeFilter(f.query())
}

// describeFilter says a query's filter in words, for pages and the audit log.
func describeFilter(q scopes.ListQuery) string {
	var parts []string
	if q.CFIDPrefix != "" {
		parts = append(parts, "cfid starts with "+q.CFIDPrefix)
	}
	switch {
	case q.Key != "":
		parts = append(parts, "data key “"+clipMessage(q.Key, 60)+"” holds "+clipMessage(q.Value, 80))
	case q.Value != "":
		parts = append(parts, "any top-level data key holds "+clipMessage(q.Value, 80))
	}
	return strings.Join(parts, " and ")
}

// listPath is the Sessions list with this filter.
func (f matchForm) listPath() string {
	v := f.values()
	v.Del("after")
	v.Set("app", f.App)
	v.Set("scope", string(f.Kind))
	return sessionsPath + "?" + v.Encode()
}

// matchingPath is the confirmation page of a targeted invalidation.
func matchingPath(app string, k scopes.Kind, filter url.Values) string {
	p := sessionsPath + "/" + url.PathEscape(app) + "/" + string(k) + "/invalidate-matching"
	if len(filter) > 0 {
		p += "?" + filter.Encode()
	}
	return p
}

// runPath is the progress page of a run.
func runPath(app string, k scopes.Kind, id string) string {
	return sessionsPath + "/" + url.PathEscape(app) + "/" + string(k) + "/invalidations/" + id
}

// matchingView is the confirmation page: the filter, how many scopes match
// it now, and what invalidating them does.
type matchingView struct {
	Form    matchForm
	Storage string
	// Webhook is the app's scopeEndWebhook, "" when it has none.
	Webhook string
	Cluster bool
	Count   scopes.MatchRun
	// CountCut is why the count stopped before the end other than the
	// bound (its time ran out); "" when it did not.
	CountCut string
	// Unsupported is set when the storage cannot list its scopes, so that
	// nothing can be found by a filter there.
	Unsupported bool
	// Err is why the count failed.
	Err     string
	Confirm map[string]string
}

func (v matchingView) noun(n int) string { return kindNoun(v.Form.Kind, n != 1) }

// bound is the scan bound of a run, written for a page.
func (matchingView) bound() string { return countText(scopes.MaxMatchScan, true) }

// countNote says how sure the count is.
func (v matchingView) countNote() string {
	switch {
	case v.CountCut != "":
		return "The count stopped after examining " + countText(int64(v.Count.Scanned), true) + " " + v.noun(v.Count.Scanned) +
			" (" + v.CountCut + "), so more may match: the run itself examines up to " + v.bound() + "."
	case !v.Count.Complete:
		return "The count stopped at the bound of " + v.bound() + " " + v.noun(2) + " examined, so more may match after them: " +
			"one run examines up to " + v.bound() + " and then stops, and its result page offers to go on from there."
	}
	return "Counted now by examining all " + countText(int64(v.Count.Scanned), true) + " live " + v.noun(v.Count.Scanned) +
		" of " + v.Form.App + v.fromNote() + "."
}

func (v matchingView) fromNote() string {
	switch {
	case v.Form.After != "":
		return " after cfid " + shortCFID(v.Form.After)
	case v.Form.Prefix != "":
		return " with that prefix"
	}
	return ""
}

func (o *invalidations) matchingForm(c echo.Context) error {
	return o.renderMatching(c, http.StatusOK, nil)
}

// renderMatching counts the matching scopes and shows the confirmation.
func (o *invalidations) renderMatching(c echo.Context, status int, confirm map[string]string) error {
	ctx := c.Request().Context()
	app, k, set, err := o.appKind(ctx, c)
	if err != nil {
		return err
	}
	f, err := readMatchForm(c, set)
	if err != nil {
		return err
	}
	eng, err := o.engine()
	if err != nil {
		return err
	}
	if confirm == nil {
		confirm = map[string]string{}
	}
	ss := set.Of(k)
	v := matchingView{Form: f, Storage: ss.Storage, Webhook: set.EndWebhook, Cluster: ss.Cluster, Confirm: confirm}
	cctx, cancel := context.WithTimeout(ctx, matchCountTimeout)
	defer cancel()
	v.Count, err = eng.CountMatching(cctx, set, app, k, f.query(), 0)
	switch {
	case err == nil:
	case scopes.ErrorCode(err) == scopes.EUnsupported:
		v.Unsupported = true
		status = http.StatusNotImplemented
	case cctx.Err() != nil && ctx.Err() == nil:
		v.CountCut = "its " + scopes.FormatTimeout(matchCountTimeout) + " ran out"
	default:
		if scopes.ErrorCode(err) == scopes.EInternal {
			o.Logger.Error("count matching scopes", "app", app, "kind", k, "err", err)
		}
		v.Err = scopes.ErrorMessage(err)
		status = httpapi.StatusOf(err)
	}
	title := "Invalidate the matching " + kindNoun(k, true) + " of " + app
	return o.render(c, status, invalidateMatchingPage(o.meta(c, title, "sessions"), v))
}

// startMatching starts a run that invalidates the matching scopes, once
// the box is ticked, and shows its progress page.
func (o *invalidations) startMatching(c echo.Context) error {
	ctx := c.Request().Context()
	app, k, set, err := o.appKind(ctx, c)
	if err != nil {
		return err
	}
	f, err := readMatchForm(c, set)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		return o.renderMatching(c, http.StatusUnprocessableEntity, map[string]string{"invalidate-matching": confirmMessage})
	}
	eng, err := o.engine()
	if err != nil {
		return err
	}
	counted, _ := strconv.Atoi(c.FormValue("counted"))
	run := &matchRun{ID: newRunID(), Form: f, Storage: set.Of(k).Storage, Counted: counted, Started: o.now()}
	o.remember(run)
	// The run outlives the request (closing the tab must not stop it
	// halfway) and keeps its actor for the audit log.
	go o.runMatching(context.WithoutCancel(ctx), eng, set, run)
	return redirect(c, runPath(app, k, run.ID))
}

// runMatching invalidates the matching scopes, updating run as it goes,
// and records the whole run as one audit entry.
func (o *invalidations) runMatching(ctx context.Context, eng *scopes.Engine, set scopes.Settings, run *matchRun) {
	f := run.Form
	// Stop is read between two deletes, so that no delete is cut off
	// halfway.
	res, err := eng.InvalidateMatching(ctx, set, f.App, f.Kind, f.query(), 0, func(r scopes.MatchRun) bool {
		run.mu.Lock()
		defer run.mu.Unlock()
		run.Progress = r
		return !run.Stopped
	})
	run.mu.Lock()
	stopped := run.Stopped
	run.mu.Unlock()
	if stopped && err == nil && !res.Complete {
		// The operator's Stop, not a failure: what was not reached stays.
		err = errStopped
	} else if err != nil {
		o.Logger.Error("invalidate matching scopes", "app", f.App, "kind", f.Kind, "invalidated", res.Invalidated, "err", err)
	}
	// Audited before the page says done, so that the audit log holds the
	// run by the time its page sends the reader there.
	o.audit(ctx, string(f.Kind)+".invalidate_matching", f.App,
		matchAuditDetail("in the console", f.query(), run.Storage, res, run.Counted, err))
	run.mu.Lock()
	defer run.mu.Unlock()
	run.Progress, run.Done, run.Finished = res, true, o.now()
	run.Stopped = errors.Is(err, errStopped)
	if err != nil && !run.Stopped {
		run.Err = scopes.ErrorMessage(err)
	}
}

// errStopped is how a run that the operator stopped ends, as the audit log
// words it.
var errStopped = scopes.Errorf(scopes.EConflict, "stopped by the operator; the matching scopes not reached yet are left")

// stop stops a run between two deletes: the scopes it has not reached
// stay.
func (o *invalidations) stop(c echo.Context) error {
	k, err := parseKind(c.Param("kind"))
	if err != nil {
		return err
	}
	o.mu.Lock()
	run, ok := o.runs[c.Param("id")]
	o.mu.Unlock()
	if !ok || run.Form.App != c.Param("app") || run.Form.Kind != k {
		return newRunGone(c.Param("app"), k)
	}
	run.mu.Lock()
	if !run.Done {
		run.Stopped = true
	}
	run.mu.Unlock()
	return redirect(c, runPath(run.Form.App, k, run.ID))
}

// matchAuditDetail writes a run for its one audit entry: the filter, the
// counts, and where and why it stopped.
func matchAuditDetail(where string, q scopes.ListQuery, storage string, res scopes.MatchRun, counted int, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s invalidated %s matching %s (storage %s): %d matched of %d examined",
		res.Invalidated, pluralScopes(res.Invalidated), where, describeFilter(q), storage, res.Matched, res.Scanned)
	if q.After != "" {
		fmt.Fprintf(&b, " after cfid %s", q.After)
	}
	if counted >= 0 {
		fmt.Fprintf(&b, "; %d counted when confirmed", counted)
	}
	switch {
	case errors.Is(err, errStopped):
		fmt.Fprintf(&b, "; %s", scopes.ErrorMessage(err))
	case err != nil:
		fmt.Fprintf(&b, "; then it stopped: %s", scopes.ErrorMessage(err))
	case !res.Complete:
		fmt.Fprintf(&b, "; stopped at the bound of %d examined, more may match after cfid %s", scopes.MaxMatchScan, res.Next)
	}
	return b.String()
}

func pluralScopes(n int) string {
	if n == 1 {
		return "scope"
	}
	return "scopes"
}

// matchRun is one run of a targeted invalidation, as its progress page
// shows it. Only this instance knows it; the audit log keeps its result.
type matchRun struct {
	ID      string
	Form    matchForm
	Storage string
	// Counted is how many matched on the confirmation page.
	Counted int
	Started time.Time

	mu       sync.Mutex
	Progress scopes.MatchRun
	Done     bool
	// Stopped is set when the operator stopped the run.
	Stopped  bool
	Finished time.Time
	Err      string
}

// runView is a copy of a run for its page, read under its lock.
type runView struct {
	ID       string
	Form     matchForm
	Storage  string
	Counted  int
	Started  time.Time
	Progress scopes.MatchRun
	Done     bool
	Stopped  bool
	Finished time.Time
	Err      string
	Now      time.Time
}

func (r *matchRun) view(now time.Time) runView {
	r.mu.Lock()
	defer r.mu.Unlock()
	return runView{ID: r.ID, Form: r.Form, Storage: r.Storage, Counted: r.Counted, Started: r.Started,
		Progress: r.Progress, Done: r.Done, Stopped: r.Stopped, Finished: r.Finished, Err: r.Err, Now: now}
}

// newRunID names a run: random, so that one run's page cannot be guessed
// from another's.
func newRunID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// remember keeps a run for its progress page, forgetting the oldest past
// keptRuns.
func (o *invalidations) remember(r *matchRun) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs[r.ID] = r
	o.order = append(o.order, r.ID)
	for len(o.order) > keptRuns {
		delete(o.runs, o.order[0])
		o.order = o.order[1:]
	}
}

// progress shows a run: how many of the counted scopes it invalidated so
// far, reloading itself every few seconds until it ends.
func (o *invalidations) progress(c echo.Context) error {
	k, err := parseKind(c.Param("kind"))
	if err != nil {
		return err
	}
	o.mu.Lock()
	run, ok := o.runs[c.Param("id")]
	o.mu.Unlock()
	if !ok || run.Form.App != c.Param("app") || run.Form.Kind != k {
		return newRunGone(c.Param("app"), k)
	}
	v := run.view(o.now())
	if !v.Done {
		c.Response().Header().Set("Refresh", strconv.Itoa(progressRefresh))
	}
	title := "Invalidating the matching " + kindNoun(k, true) + " of " + v.Form.App
	if v.Done {
		title = "Invalidated the matching " + kindNoun(k, true) + " of " + v.Form.App
	}
	return o.render(c, http.StatusOK, invalidateRunPage(o.meta(c, title, "sessions"), v))
}

func (v runView) noun(n int) string { return kindNoun(v.Form.Kind, n != 1) }

// total is the number the progress counts towards: the count confirmed, or
// what the run matched when more match now.
func (v runView) total() int { return max(v.Counted, v.Progress.Matched) }

// percent is how far the run is, for the progress bar.
func (v runView) percent() int {
	if v.Done {
		return 100
	}
	if v.total() == 0 {
		return 0
	}
	return min(99, v.Progress.Invalidated*100/v.total())
}

// headline says the run's state in one line: "3 of 42 sessions invalidated".
func (v runView) headline() string {
	n := v.Progress.Invalidated
	if v.Done {
		return countText(int64(n), true) + " " + v.noun(n) + " invalidated"
	}
	return countText(int64(n), true) + " of " + countText(int64(v.total()), true) + " " + v.noun(v.total()) + " invalidated so far"
}

// elapsed is how long the run took, or has taken so far.
func (v runView) elapsed() string {
	end := v.Now
	if v.Done {
		end = v.Finished
	}
	return scopes.FormatTimeout(max(end.Sub(v.Started).Truncate(time.Second), time.Second))
}

// gone is how many matched but had ended before the run reached them;
// while the run goes on, the difference is the matches not deleted yet.
func (v runView) gone() int {
	if !v.Done {
		return 0
	}
	return v.Progress.Matched - v.Progress.Invalidated
}

// differs says why the final count is not the confirmed one, when it is not.
func (v runView) differs() string {
	if !v.Done || v.Err != "" || v.Stopped || v.Progress.Matched == v.Counted {
		return ""
	}
	return countText(int64(v.Counted), true) + " matched when you confirmed and " + countText(int64(v.Progress.Matched), true) +
		" when the run read them: scopes were created, changed or ended meanwhile, and each was checked against the filter as the run reached it."
}

// recountPath counts again what is left after a stopped run.
func (v runView) recountPath() string {
	f := v.Form
	f.After = ""
	return matchingPath(f.App, f.Kind, f.values())
}

// stopPath is where the Stop button posts.
func (v runView) stopPath() string { return runPath(v.Form.App, v.Form.Kind, v.ID) + "/stop" }

// continuePath goes on after a run that the scan bound stopped.
func (v runView) continuePath() string {
	f := v.Form
	f.After = v.Progress.Next
	return matchingPath(f.App, f.Kind, f.values())
}

// runGone is the page of a run this instance does not know: it ran on
// another instance, or this one restarted.
type runGone struct {
	app  string
	kind scopes.Kind
	err  *scopes.Error
}

func newRunGone(app string, k scopes.Kind) *runGone {
	return &runGone{app: app, kind: k, err: scopes.Errorf(scopes.ENotFound,
		"This instance of scopestore has no record of that run: it ran on another instance, or this one restarted since. "+
			"Every finished run is recorded in the audit log, as %s.invalidate_matching.", k)}
}

func (g *runGone) Error() string { return g.err.Error() }

// Unwrap lets the error page read the code (404) and the message.
func (g *runGone) Unwrap() error { return g.err }

// guide keeps the page inside the console and leads back to the list and
// to the audit log, where the run's result is.
func (g *runGone) guide(v errorView) errorView {
	v.Heading, v.Title = "Run not found", "Run not found"
	v.Section = "sessions"
	v.Links = []errorLink{{sessionsListPath(g.app, g.kind), "All " + kindNoun(g.kind, true) + " of " + g.app}, {Prefix + "/audit", "Audit log"}}
	return v
}
