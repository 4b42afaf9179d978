package connections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// Manager changes connections for the command line and the admin console:
// it validates, refuses what would break an app, keeps the registry current
// and records each change in the audit log.
type Manager struct {
	config    scopes.ConfigStore
	registry  *Registry
	directory *scopes.Directory
	// Auditor, when set, records every change.
	Auditor scopes.Auditor
}

// NewManager returns a Manager over the config store, the registry of open
// stores and the directory that knows which apps use which storage.
func NewManager(config scopes.ConfigStore, registry *Registry, directory *scopes.Directory) *Manager {
	return &Manager{config: config, registry: registry, directory: directory}
}

func configErr(err error) error {
	if err == nil || scopes.ErrorCode(err) != scopes.EInternal {
		return err
	}
	return scopes.Unavailable("the config store", err)
}

func notFound(name string) error {
	return scopes.Errorf(scopes.ENotFound, "There is no connection named %q.", name)
}

// Connections lists the connections by name, their passwords withheld.
func (m *Manager) Connections(ctx context.Context) ([]scopes.Connection, error) {
	conns, err := m.config.Connections(ctx)
	if err != nil {
		return nil, configErr(err)
	}
	sort.Slice(conns, func(i, j int) bool { return strings.ToLower(conns[i].Name) < strings.ToLower(conns[j].Name) })
	for i := range conns {
		conns[i] = withheld(conns[i])
	}
	return conns, nil
}

// Connection returns one connection, its password withheld.
func (m *Manager) Connection(ctx context.Context, name string) (scopes.Connection, error) {
	c, err := m.get(ctx, name)
	return withheld(c), err
}

func (m *Manager) get(ctx context.Context, name string) (scopes.Connection, error) {
	c, found, err := m.config.Connection(ctx, name)
	if err != nil {
		return c, configErr(err)
	}
	if !found {
		return c, notFound(name)
	}
	return c, nil
}

// withheld is a connection as lists and pages show it: no password, not
// even one that an older version left inside its url or dsn.
func withheld(c scopes.Connection) scopes.Connection {
	c, _ = StoredPassword(c)
	c.HasSecret = c.Secret != ""
	c.Secret = ""
	if param := passwordParams[c.Type]; c.Params[param] != "" {
		c.Params = maps.Clone(c.Params)
		c.Params[param] = shownParam(c.Type, param, c.Params[param])
	}
	return c
}

// Check validates a definition as Create and Update do, without storing it,
// so that a form can show every problem at once.
func (m *Manager) Check(c scopes.Connection) error {
	c.Params = maps.Clone(c.Params)
	return Validate(&c)
}

// Redact returns a definition as a page may show it again, say a form with
// its problems: without a password written into its url or dsn.
func (m *Manager) Redact(c scopes.Connection) scopes.Connection {
	return withheld(c)
}

// Create validates and stores a new connection.
func (m *Manager) Create(ctx context.Context, c scopes.Connection) error {
	c.Params = maps.Clone(c.Params) // Validate moves the password out of them
	if err := Validate(&c); err != nil {
		return err
	}
	now := time.Now()
	c.Created, c.Updated = now, now
	if err := m.config.CreateConnection(ctx, c); err != nil {
		return configErr(err)
	}
	m.audit(ctx, "connection.create", c.Name, describe(c))
	return nil
}

// Update replaces a connection's definition (found by c.Name); keepSecret
// keeps the stored password. Removing the Storage flag from a connection
// that holds an app's scopes is refused.
func (m *Manager) Update(ctx context.Context, c scopes.Connection, keepSecret bool) error {
	old, err := m.get(ctx, c.Name)
	if err != nil {
		return err
	}
	c.Name = old.Name
	c.Params = maps.Clone(c.Params) // Validate moves the password out of them
	// The password an older version left in the url or dsn is the old one.
	old, _ = StoredPassword(old)
	given := c.Secret
	if keepSecret {
		given = ""
	}
	c.Secret = given
	if err := Validate(&c); err != nil {
		return err
	}
	if c.Secret != given {
		// The new url or dsn held a password: it replaces the stored one.
		keepSecret = false
	}
	if keepSecret {
		// Written again, so that a password moved out of the old url or
		// dsn is kept, encrypted.
		c.Secret, keepSecret = old.Secret, false
	}
	if old.Storage && !c.Storage {
		if err := m.refuseInUse(ctx, c.Name, "remove the Storage flag of"); err != nil {
			return err
		}
	}
	c.Updated = time.Now()
	if _, err := m.config.UpdateConnection(ctx, c, keepSecret); err != nil {
		return configErr(err)
	}
	if err := m.registry.Forget(c.Name); err != nil {
		slog.WarnContext(ctx, "close the old store of an edited connection", "connection", c.Name, "err", err)
	}
	m.audit(ctx, "connection.edit", c.Name, diff(old, c))
	return nil
}

// Delete removes a connection that no app uses.
func (m *Manager) Delete(ctx context.Context, name string) error {
	c, err := m.get(ctx, name)
	if err != nil {
		return err
	}
	if err := m.refuseInUse(ctx, c.Name, "delete"); err != nil {
		return err
	}
	if _, err := m.config.DeleteConnection(ctx, c.Name); err != nil {
		return configErr(err)
	}
	if err := m.registry.Forget(c.Name); err != nil {
		slog.WarnContext(ctx, "close the store of a deleted connection", "connection", c.Name, "err", err)
	}
	m.audit(ctx, "connection.delete", c.Name, describe(c))
	return nil
}

// refuseInUse refuses an action on a connection that holds scopes of an app
// or of the server defaults, naming them.
func (m *Manager) refuseInUse(ctx context.Context, name, action string) error {
	use, err := m.directory.StoragesInUse(ctx)
	if err != nil {
		return err
	}
	users := use[strings.ToLower(name)]
	if len(users) == 0 {
		return nil
	}
	who := make([]string, len(users))
	for i, u := range users {
		if u == "" {
			who[i] = "the server defaults"
		} else {
			who[i] = "app " + u
		}
	}
	return scopes.Errorf(scopes.EConflict, "Cannot %s connection %s: it holds the scopes of %s. Change their session and client storage first.",
		action, name, joinAnd(who))
}

// Verify runs a connection's checks on a fresh connection to its server
// and keeps the outcome in the config store, where every instance's console
// shows it. A failure to keep it is logged, not returned: the checks ran.
func (m *Manager) Verify(ctx context.Context, name string) ([]scopes.Health, error) {
	c, err := m.get(ctx, name)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	hs := Verify(ctx, c)
	m.record(ctx, c.Name, scopes.CheckVerify, checkOf(started, hs))
	return hs, nil
}

// KeepVerify keeps, as a connection's last Verify, the checks hs that ran
// on its definition c just before it was created (the CLI's create verifies
// first), so that the console shows it verified rather than run the checks
// again. They are kept as of now: a check is kept only when it is not older
// than the definition, and this one ran on exactly the definition created.
func (m *Manager) KeepVerify(ctx context.Context, c scopes.Connection, hs []scopes.Health) {
	m.record(ctx, c.Name, scopes.CheckVerify, checkOf(time.Now(), hs))
}

// RecordHealth keeps the outcome of a health check of a storage's open
// store, started at at (err nil when it answered), so that the lists of
// caches and datasources show whether it answers now. A storage that is no
// connection (memory, file) has nothing to keep. An outcome like the one
// kept is written again only after healthRewrite, so that a page that checks
// on every load does not write on every load.
func (m *Manager) RecordHealth(ctx context.Context, name string, at time.Time, err error) error {
	c, found, cerr := m.config.Connection(ctx, name)
	if cerr != nil {
		return configErr(cerr)
	}
	if !found {
		return nil
	}
	// "Storage x is unavailable" is what the kept check says already: its
	// cause says why.
	var se *scopes.Error
	if errors.As(err, &se) && se.Code == scopes.EUnavailable && se.Err != nil {
		err = se.Err
	}
	check := checkOf(at, []scopes.Health{{Name: "ping", Err: withoutPassword(err, c.Secret)}})
	if kept := c.Health; !kept.At.IsZero() && kept.OK == check.OK && kept.Message == check.Message &&
		at.Sub(kept.At) < healthRewrite {
		return nil
	}
	if _, err := m.config.RecordCheck(ctx, c.Name, scopes.CheckHealth, check); err != nil {
		return configErr(err)
	}
	return nil
}

// healthRewrite is how long an unchanged health check stays as it was kept.
const healthRewrite = time.Minute

func (m *Manager) record(ctx context.Context, name, kind string, check scopes.ConnectionCheck) {
	if _, err := m.config.RecordCheck(ctx, name, kind, check); err != nil {
		slog.WarnContext(ctx, "keep the outcome of a connection's check", "connection", name, "check", kind, "err", err)
	}
}

// checkOf sums up checks that started at started: passed, or the first
// step that failed and why. Later steps that were skipped because of it
// add nothing. The callers have masked the password (withoutPassword).
func checkOf(started time.Time, hs []scopes.Health) scopes.ConnectionCheck {
	out := scopes.ConnectionCheck{At: started, OK: len(hs) > 0}
	for _, h := range hs {
		if h.Err == nil {
			continue
		}
		out.OK, out.Step, out.Message = false, h.Name, h.Message()
		if r := []rune(out.Message); len(r) > maxCheckMessage {
			out.Message = string(r[:maxCheckMessage-1]) + "…"
		}
		break
	}
	return out
}

// maxCheckMessage bounds the message kept of a failed check.
const maxCheckMessage = 500

// datasource opens a fresh store on a datasource connection; close it after.
func (m *Manager) datasource(ctx context.Context, name string) (*sqlstore.Store, error) {
	c, err := m.get(ctx, name)
	if err != nil {
		return nil, err
	}
	if KindOf(c.Type) != KindDatasource || !StorageType(c.Type) {
		return nil, scopes.Errorf(scopes.EInvalid, "connection %s is a %s %s: only datasources have scope tables", c.Name, c.Type, KindOf(c.Type))
	}
	st, err := sqlstore.OpenConnection(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("connections: open %s: %w", c.Name, err)
	}
	return st, nil
}

// Tables reports the state of a datasource's scope tables (cf_session_data,
// cf_client_data, cf_application_data and cf_server_data).
func (m *Manager) Tables(ctx context.Context, name string) ([]scopes.TableStatus, error) {
	st, err := m.datasource(ctx, name)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tables, err := st.Tables(ctx)
	if err != nil {
		return nil, scopes.Unavailable("connection "+name, err)
	}
	out := make([]scopes.TableStatus, len(tables))
	for i, t := range tables {
		out[i] = scopes.TableStatus{Table: t.Table, Exists: t.Exists, PrimaryKey: t.PrimaryKey, DataType: t.DataType,
			ExpiresIndex: t.ExpiresIndex, NameIndex: t.NameIndex, Rows: t.Rows, Expired: t.Expired,
			Duplicates: t.Duplicates, Undecodable: t.Undecodable}
	}
	return out, nil
}

// Migrate plans the migration of a datasource's scope tables and, unless
// dryRun, runs it; it returns the steps planned or taken.
func (m *Manager) Migrate(ctx context.Context, name string, dryRun bool) ([]scopes.MigrationStep, error) {
	st, err := m.datasource(ctx, name)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var steps []sqlstore.Step
	if dryRun {
		steps, err = st.Plan(ctx)
	} else {
		steps, err = st.Migrate(ctx, false)
	}
	out := make([]scopes.MigrationStep, len(steps))
	for i, s := range steps {
		out[i] = scopes.MigrationStep{Table: s.Table, Action: s.Action, SQL: s.SQL, Rows: s.Rows}
	}
	if !dryRun && len(steps) > 0 {
		parts := make([]string, len(out))
		for i, s := range out {
			parts[i] = s.Table + ": " + s.Action
		}
		m.audit(ctx, "connection.migrate", name, strings.Join(parts, "; "))
	}
	if err != nil {
		return out, scopes.Unavailable("connection "+name, err)
	}
	return out, nil
}

func (m *Manager) audit(ctx context.Context, action, target, detail string) {
	if m.Auditor == nil {
		return
	}
	e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(ctx), Action: action, Target: target, Detail: detail}
	if err := m.Auditor.AddAudit(ctx, e); err != nil {
		slog.ErrorContext(ctx, "audit log write failed", "action", action, "target", target, "err", err)
	}
}

// describe tells a connection's definition for the audit log, password masked.
func describe(c scopes.Connection) string {
	parts := []string{"type " + c.Type, fmt.Sprintf("storage %t", c.Storage)}
	for _, k := range sortedKeys(c.Params) {
		parts = append(parts, k+" "+shownParam(c.Type, k, c.Params[k]))
	}
	if c.Secret != "" || c.HasSecret {
		parts = append(parts, "password ********")
	}
	return strings.Join(parts, ", ")
}

// diff tells what an edit changed, the password only as "changed".
func diff(old, c scopes.Connection) string {
	var parts []string
	if old.Storage != c.Storage {
		parts = append(parts, fmt.Sprintf("storage: %t → %t", old.Storage, c.Storage))
	}
	keys := sortedKeys(old.Params)
	for _, k := range sortedKeys(c.Params) {
		if _, ok := old.Params[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if old.Params[k] != c.Params[k] {
			parts = append(parts, fmt.Sprintf("%s: %s → %s", k, orNoneValue(shownParam(old.Type, k, old.Params[k])), orNoneValue(shownParam(c.Type, k, c.Params[k]))))
		}
	}
	if old.Secret != c.Secret {
		parts = append(parts, "password: changed (masked)")
	}
	if len(parts) == 0 {
		return "nothing changed"
	}
	return strings.Join(parts, "; ")
}

// joinAnd lists names as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orNoneValue(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
