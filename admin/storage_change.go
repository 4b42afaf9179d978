package admin

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// storageChangeView is the page that confirms a change of storage on the
// Scope page or an app's page before it is saved: the apps it moves with
// their live scopes in the old storage, and the new storage's state.
type storageChangeView struct {
	// Title names what changes: "the server defaults" or the app's name.
	Title string
	// Action is where the form posts again; Cancel where Cancel leads.
	Action, Cancel string
	// Fields are the submitted form's values, posted again on confirmation.
	Fields []formField
	// Targets are the changed storages, one per scope kind.
	Targets []storageTarget
	// Moves are the apps whose effective storage changes.
	Moves []storageMove
	// Shared tells that an application or the server scope moves, which
	// the page says is not moved either.
	Shared bool
	// Unreachable tells that a target did not answer the check just made,
	// so that the change needs force.
	Unreachable bool
	// Forced tells that the force box was ticked.
	Forced bool
	// MoveOffer is how many live scopes the change can move to the new
	// storage (those of the Moves that are Movable); Move tells that the
	// box that moves them is ticked.
	MoveOffer int64
	MoveExact bool
	Move      bool
	// Error is why the confirmed change was refused.
	Error string
	// Busy is the job that moves some of the same scopes now, when that
	// is why; the page links to it.
	Busy *scopes.MoveBusyError
	Now  time.Time
}

// formField is one submitted value, as a hidden input.
type formField struct{ Name, Value string }

// storageTarget is the storage a scope kind moves to, with its last Verify
// and a check made for this page.
type storageTarget struct {
	Kind     scopes.Kind
	From, To string
	// Conn tells that the storage is a connection, which has a last Verify.
	Conn     bool
	Verified scopes.ConnectionCheck
	// Reachable is the outcome of the check just made; Message says why not.
	Reachable bool
	Message   string
}

// storageMove is one app whose scopes of one kind would live elsewhere,
// or the server scope, which belongs to no app.
type storageMove struct {
	// App is "" for the server scope.
	App      string
	Kind     scopes.Kind
	From, To string
	// Count is the app's live scopes of the kind in From.
	Count liveCount
	// Movable tells that the live scopes can be moved to To: session or
	// client scopes, counted, in storages that list them (not cookie).
	Movable bool
}

// appLayers is an app's own settings layer before and after a change.
type appLayers struct {
	Name     string
	Old, New scopes.Layer
}

// verifyTimeout bounds the check of a new storage, as healthTimeout bounds
// the overview's.
const verifyTimeout = 5 * time.Second

// withChanges returns a copy of l with the form's changes applied as by:
// scopes.Inherit removes a setting.
func withChanges(l scopes.Layer, changes map[string]string, by string) scopes.Layer {
	out := scopes.Layer{}
	for k, v := range l {
		out[k] = v
	}
	for name, v := range changes {
		if v == scopes.Inherit {
			delete(out, name)
			continue
		}
		out[name] = scopes.Entry{Value: v, By: by}
	}
	return out
}

// storageChange works out what a change of settings does to where scopes
// live: oldLevel and newLevel are the settings of the level the form edits
// (the server defaults or the app) before and after it, apps the apps it
// may move with their own layers. It returns nil when no storage changes,
// or when the settings of the level or of an app would not work afterwards:
// the Directory refuses that change on save, with its own message.
func (a *Console) storageChange(ctx context.Context, oldLevel, newLevel scopes.Effective, oldServer, newServer scopes.Layer,
	apps []appLayers) (*storageChangeView, error) {
	v := &storageChangeView{Now: time.Now()}
	for _, k := range scopes.StoredKinds {
		from, to := oldLevel.Settings.Of(k).Storage, newLevel.Settings.Of(k).Storage
		if from != to {
			v.Targets = append(v.Targets, storageTarget{Kind: k, From: from, To: to})
		}
	}
	if len(v.Targets) == 0 {
		return nil, nil
	}
	valid, err := a.validStorages(ctx)
	if err != nil {
		return nil, err
	}
	validNames := func(k scopes.Kind) []string { return valid[k] }
	if newLevel.Settings.Validate(validNames) != nil {
		return nil, nil
	}
	type moved struct {
		storageMove
		settings scopes.Settings
	}
	var moves []moved
	for _, app := range apps {
		before, after := scopes.Resolve(oldServer, app.Old), scopes.Resolve(newServer, app.New)
		if after.Settings.Validate(validNames) != nil {
			return nil, nil
		}
		for _, k := range []scopes.Kind{scopes.Session, scopes.Client, scopes.Application} {
			if from, to := before.Settings.Of(k).Storage, after.Settings.Of(k).Storage; from != to {
				moves = append(moves, moved{storageMove{App: app.Name, Kind: k, From: from, To: to}, before.Settings})
			}
		}
	}
	// The server scope is the deployment's, not an app's: one move, with
	// the server defaults' settings, which hold its storage.
	if from, to := oldLevel.Settings.Server.Storage, newLevel.Settings.Server.Storage; from != to {
		moves = append(moves, moved{storageMove{Kind: scopes.Server, From: from, To: to}, oldLevel.Settings})
	}
	countCtx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	for _, m := range moves {
		switch {
		case a.Engine == nil:
			m.Count = liveCount{Err: "this console does not count scopes"}
		case m.Kind.Shared():
			m.Count = a.sharedCount(countCtx, m.settings, m.App, m.Kind)
		default:
			m.Count = a.count(countCtx, m.settings, m.App, m.Kind, nil)
		}
		v.Shared = v.Shared || m.Kind.Shared()
		m.Movable = !m.Kind.Shared() && m.Count.Err == "" && !m.Count.Off && m.Count.N > 0 &&
			m.From != scopes.StorageCookie && m.To != scopes.StorageCookie
		v.Moves = append(v.Moves, m.storageMove)
	}
	checked := map[string]storageTarget{}
	for i := range v.Targets {
		t := &v.Targets[i]
		if done, ok := checked[t.To]; ok {
			t.Conn, t.Verified, t.Reachable, t.Message = done.Conn, done.Verified, done.Reachable, done.Message
		} else {
			a.checkTarget(ctx, t)
			checked[t.To] = *t
		}
		v.Unreachable = v.Unreachable || !t.Reachable
	}
	return v, nil
}

// checkTarget reads the last Verify of the storage a change moves to, and
// runs Verify on it now. memory, file and cookie are built in: they always answer.
func (a *Console) checkTarget(ctx context.Context, t *storageTarget) {
	t.Reachable = true
	if scopes.BuiltInStorage(t.To) || a.Connections == nil {
		return
	}
	t.Conn = true
	conn, err := a.Connections.Connection(ctx, t.To)
	if err != nil {
		t.Reachable, t.Message = false, scopes.ErrorMessage(err)
		return
	}
	t.Verified = conn.Verified
	verifyCtx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	hs, err := a.Connections.Verify(verifyCtx, t.To)
	if err != nil {
		a.Logger.Warn("verify a new storage", "storage", t.To, "err", err)
		t.Reachable, t.Message = false, scopes.ErrorMessage(err)
		return
	}
	checks := verifyChecks(hs)
	if checksPassed(checks) {
		return
	}
	t.Reachable = false
	for _, ch := range checks {
		if !ch.OK {
			t.Message = ch.Name + ": " + ch.Message
			break
		}
	}
}

// confirmStorage shows the confirmation of a storage change until the form
// comes back with confirm=yes, and refuses a confirmed change to a storage
// that does not answer unless force is ticked. It tells whether it answered
// the request; when not, the change is to be saved.
func (a *Console) confirmStorage(c echo.Context, title, section string, v *storageChangeView) (bool, error) {
	params, err := c.FormParams()
	if err != nil {
		return true, err
	}
	names := make([]string, 0, len(params))
	for name := range params {
		if name != "_csrf" && name != "confirm" && name != "force" && name != "move" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, value := range params[name] {
			v.Fields = append(v.Fields, formField{Name: name, Value: value})
		}
	}
	v.Forced = c.FormValue("force") == "yes"
	moves, _ := c.Get(storageMovesKey).(*storageMoves)
	if moves != nil {
		v.offerMove()
	}
	if c.FormValue("confirm") != "yes" {
		// Moving is the default where there is something to move and the
		// new storage answers.
		v.Move = v.MoveOffer > 0 && !v.Unreachable
		return true, a.render(c, http.StatusOK, storageChangePage(a.meta(c, title, section), *v))
	}
	v.Move = v.MoveOffer > 0 && c.FormValue("move") == "yes"
	if v.Unreachable && !v.Forced {
		var down []string
		for _, t := range v.Targets {
			if !t.Reachable && !slices.Contains(down, t.To) {
				down = append(down, t.To)
			}
		}
		v.Error = "Nothing was changed: storage " + strings.Join(down, " and ") + " does not answer now, so every " +
			"application moved to it would answer 503. Tick the box below to change the storage anyway, or Cancel."
		return true, a.render(c, http.StatusUnprocessableEntity, storageChangePage(a.meta(c, title, section), *v))
	}
	if v.Move {
		plan := v.movePlan()
		// One job at a time moves an app's scopes of one kind: refused
		// before anything is saved (the config store refuses it again, if
		// another instance started one since, when the job starts).
		busy, err := moves.busyMove(c.Request().Context(), plan.Parts)
		if err != nil {
			return true, err
		}
		if busy != nil {
			v.Busy = busy
			v.Error = "Nothing was changed: " + scopes.ErrorMessage(busy) + " Wait until it ends, or untick the box below to " +
				"change the storage without moving the live scopes."
			return true, a.render(c, http.StatusConflict, storageChangePage(a.meta(c, title, section), *v))
		}
		// The move starts once the handler has saved the change (offerMoves).
		c.Set(movePlanKey, plan)
	}
	return false, nil
}

// offerMove counts the live scopes the change can move.
func (v *storageChangeView) offerMove() {
	v.MoveExact = true
	for _, m := range v.Moves {
		if m.Movable {
			v.MoveOffer += m.Count.N
			v.MoveExact = v.MoveExact && m.Count.Exact
		}
	}
}

// movePlan is what the ticked move box asks for: the Movable moves.
func (v *storageChangeView) movePlan() *movePlan {
	p := &movePlan{Title: v.Title, Back: v.Cancel}
	for _, m := range v.Moves {
		if m.Movable {
			p.Parts = append(p.Parts, scopes.StorageMovePart{Move: scopes.Move{App: m.App, Kind: m.Kind, From: m.From, To: m.To}, Counted: m.Count.N})
		}
	}
	return p
}

// movesMemory tells that the move reads the memory storage, which holds
// this instance's scopes only.
func (v storageChangeView) movesMemory() bool {
	for _, m := range v.Moves {
		if m.Movable && m.From == scopes.StorageMemory {
			return true
		}
	}
	return false
}

// moveNoun names the scopes the move box moves: "12 live scopes".
func (v storageChangeView) moveNoun() string {
	noun := " live scopes"
	if v.MoveOffer == 1 {
		noun = " live scope"
	}
	return countText(v.MoveOffer, v.MoveExact) + noun
}

// serverStorageChange is storageChange for the server defaults: every app
// that inherits a changed storage moves.
func (a *Console) serverStorageChange(ctx context.Context, current scopes.Effective, changes map[string]string) (*storageChangeView, error) {
	if !changesStorage(changes) {
		return nil, nil
	}
	all, err := a.Directory.Apps(ctx)
	if err != nil {
		return nil, err
	}
	apps := make([]appLayers, len(all))
	for i, app := range all {
		apps[i] = appLayers{Name: app.Name, Old: app.Layer, New: app.Layer}
	}
	old := serverLayer(current)
	changed := withChanges(old, changes, scopes.FromAdmin)
	v, err := a.storageChange(ctx, current, scopes.Resolve(changed, nil), old, changed, apps)
	if v != nil {
		v.Title, v.Action, v.Cancel = "the server defaults", scopePath, scopePath
	}
	return v, err
}

// appStorageChange is storageChange for one app's settings.
func (a *Console) appStorageChange(ctx context.Context, name string, server scopes.Effective, changes map[string]string) (*storageChangeView, error) {
	if !changesStorage(changes) {
		return nil, nil
	}
	all, err := a.Directory.Apps(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(app scopes.App) bool { return app.Name == name })
	if i < 0 {
		// The Directory says so on save.
		return nil, nil
	}
	app := appLayers{Name: name, Old: all[i].Layer, New: withChanges(all[i].Layer, changes, scopes.FromAdmin)}
	layer := serverLayer(server)
	v, err := a.storageChange(ctx, scopes.Resolve(layer, app.Old), scopes.Resolve(layer, app.New), layer, layer,
		[]appLayers{app})
	if v != nil {
		v.Title, v.Action, v.Cancel = name, appPath(name, "/settings"), appPath(name, "")
	}
	return v, err
}

// changesStorage tells whether changes set the storage of a scope kind.
func changesStorage(changes map[string]string) bool {
	for _, k := range scopes.StoredKinds {
		if _, ok := changes[string(k)+"Storage"]; ok {
			return true
		}
	}
	return false
}

// movesVisitors tells whether the change moves session or client scopes.
func (v storageChangeView) movesVisitors() bool {
	for _, t := range v.Targets {
		if !t.Kind.Shared() {
			return true
		}
	}
	return false
}

// sharedNotMoved says what becomes of the shared scopes that the change
// moves: they are not moved either.
func (v storageChangeView) sharedNotMoved() string {
	var names []string
	for _, t := range v.Targets {
		if t.Kind.Shared() {
			names = append(names, string(t.Kind))
		}
	}
	verb, each := "scope is not moved", "it starts"
	if len(names) > 1 {
		verb, each = "scopes are not moved", "each starts"
	}
	if v.movesVisitors() {
		verb += " either"
	}
	return "The " + strings.Join(names, " and ") + " " + verb + ": " + each + " empty in the new storage on its next use, " +
		"and the old storage keeps the old data until it expires there (or until the next restart, when that is memory)."
}
