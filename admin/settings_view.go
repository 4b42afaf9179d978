package admin

import (
	"context"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// settingsView is the scope settings form of the Scope page or of an app's
// page, with what the form needs besides the submitted values.
type settingsView struct {
	// Action is where the form posts.
	Action string
	Form   settingsForm
	// Current are the effective settings now, with the source of each.
	Current scopes.Effective
	// Inherited are the settings that "inherit" gives: the built-in defaults
	// on the Scope page, the server defaults on an app's page.
	Inherited scopes.Effective
	// ForApp words the sources and choices for an app's page.
	ForApp   bool
	Storages map[scopes.Kind][]storageGroup
}

// storageGroup is an <optgroup> of the storage select.
type storageGroup struct {
	Label string
	Names []string
}

// storageGroups lists the storages a scope of each kind may use, grouped as
// built-in, cache and datasource connections. Only connections with the
// Storage flag are valid storages: the Directory says which.
func (a *Console) storageGroups(ctx context.Context) (map[scopes.Kind][]storageGroup, error) {
	kinds := map[string]string{}
	if a.Connections != nil {
		conns, err := a.Connections.Connections(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range conns {
			kinds[strings.ToLower(c.Name)] = c.Kind
		}
	}
	out := map[scopes.Kind][]storageGroup{}
	for _, k := range scopes.StoredKinds {
		names, err := a.Directory.StorageNames(ctx, k)
		if err != nil {
			return nil, err
		}
		groups := []storageGroup{{Label: "Built-in"}, {Label: "Cache"}, {Label: "Datasource"}, {Label: "Connections"}}
		for _, n := range names {
			i := 3
			switch {
			case scopes.BuiltInStorage(n):
				i = 0
			case kinds[n] == kindCache:
				i = 1
			case kinds[n] == kindDatasource:
				i = 2
			}
			groups[i].Names = append(groups[i].Names, n)
		}
		for _, g := range groups {
			if len(g.Names) > 0 {
				out[k] = append(out[k], g)
			}
		}
	}
	if err := a.addLockStorages(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// judgeSettings checks a submitted settings form whole: its own values,
// then how they fit together over inherited, so that every setting's
// message shows at once.
func (a *Console) judgeSettings(ctx context.Context, f *settingsForm, inherited scopes.Effective) (bool, error) {
	f.validate()
	valid, err := a.validStorages(ctx)
	if err != nil {
		return false, err
	}
	return f.checkTogether(inherited, valid), nil
}

// validStorages lists the storages each stored kind may use, as the
// Directory's validation reads them.
func (a *Console) validStorages(ctx context.Context) (map[scopes.Kind][]string, error) {
	valid := map[scopes.Kind][]string{}
	for _, k := range scopes.StoredKinds {
		names, err := a.Directory.StorageNames(ctx, k)
		if err != nil {
			return nil, err
		}
		valid[k] = names
	}
	return valid, nil
}

// storageListed tells whether a storage is among the groups' names.
func storageListed(groups []storageGroup, name string) bool {
	for _, g := range groups {
		for _, n := range g.Names {
			if n == name {
				return true
			}
		}
	}
	return false
}

// settingLabels name each setting as the pages show it.
var settingLabels = map[string]string{
	scopes.SessionManagement: "Session management",
	scopes.SessionType:       "Session type",
	scopes.SessionStorage:    "Session storage",
	scopes.SessionCluster:    "Session cluster",
	scopes.SessionTimeout:    "Session timeout",
	scopes.ClientManagement:  "Client management",
	scopes.ClientStorage:     "Client storage",
	scopes.ClientCluster:     "Client cluster",
	scopes.ClientTimeout:     "Client timeout",
	scopes.ScopeEndWebhook:   "End-of-scope webhook",
	scopes.AllowedWebhooks:   "Webhooks the app may choose",
	scopes.SensitiveKeys:     "Sensitive keys",
	scopes.MaxScopes:         "Live scopes, each kind",
	scopes.MaxMemory:         "Memory storage",
	scopes.MaxCreateRate:     "Creates a second",
	scopes.LockStorage:       "Lock storage",
	// The shared scopes (form_shared.go).
	scopes.ApplicationStorage: "Application scope storage",
	scopes.ApplicationTimeout: "Application scope timeout",
	scopes.ServerScopeWrite:   "May write the server scope",
	scopes.ServerStorage:      "Server scope storage",
}

// limitHints explain each limit under its field.
var limitHints = map[string]string{
	scopes.MaxScopes: "Live sessions, and live client scopes, that an application may hold in any storage. " +
		"A create over it is refused with 507 naming this setting. 0 is no limit.",
	scopes.MaxMemory: "What an application's sessions and client scopes may take in the memory storage, e.g. 256MiB or 1GiB " +
		"(data plus about 700 bytes a scope). A write that would grow it further is refused with 507; one that shrinks a scope goes through. 0 is no limit.",
	scopes.MaxCreateRate: "Scopes an application may create a second on each instance, in bursts of as many. " +
		"Over it a create is refused with 429 and Retry-After. 0 is no limit.",
}

// sourceLabel says where a setting's value comes from, in the words of the
// page: on the Scope page a server setting is "set here", on an app's page
// it is inherited.
func sourceLabel(from string, forApp bool) string {
	switch from {
	case scopes.FromDefault:
		return "built-in default"
	case scopes.FromServer:
		if forApp {
			return "inherited from server defaults"
		}
		return "set here"
	case scopes.FromApp:
		return "declared by the application"
	case scopes.FromAdmin:
		return "set by an administrator"
	}
	return from
}

// sourceBadge is the badge class of a source: settings made at the level
// shown stand out, inherited ones are muted.
func sourceBadge(from string, forApp bool) string {
	switch {
	case from == scopes.FromApp:
		return "badge warn"
	case from == scopes.FromAdmin, from == scopes.FromServer && !forApp:
		return "badge ok"
	}
	return "badge muted"
}

// settingValue shows a setting's value the way people read it.
func settingValue(name, value string) string {
	switch name {
	case scopes.SessionManagement, scopes.ClientManagement:
		if value == "true" {
			return "enabled"
		}
		return "disabled"
	case scopes.ServerScopeWrite:
		if value == "true" {
			return "yes"
		}
		return "no"
	case scopes.ScopeEndWebhook:
		if value == "" {
			return "off"
		}
	case scopes.MaxScopes, scopes.MaxMemory, scopes.MaxCreateRate:
		if value == "0" {
			return "no limit"
		}
	case scopes.SensitiveKeys, scopes.AllowedWebhooks:
		if value == "" {
			return "none"
		}
		return strings.ReplaceAll(value, ",", ", ")
	}
	return value
}

// explicitOnServer tells whether a setting is set in the server defaults.
func explicitOnServer(from string) bool { return from == scopes.FromServer }

// explicitOnApp tells whether a setting is set for the app itself.
func explicitOnApp(from string) bool { return from == scopes.FromApp || from == scopes.FromAdmin }

// serverLayer rebuilds the server defaults' layer from their effective
// settings, so that an app's settings can be resolved without a config read
// per app.
func serverLayer(server scopes.Effective) scopes.Layer {
	l := scopes.Layer{}
	for name, from := range server.From {
		if from == scopes.FromServer {
			l[name] = scopes.Entry{Value: server.Values[name], By: scopes.FromAdmin}
		}
	}
	return l
}

// settingRow is one line of an effective settings table.
type settingRow struct {
	Name, Label, Value, Source, Badge string
}

// settingRows lists effective settings in display order with their sources.
func settingRows(eff scopes.Effective, forApp bool) []settingRow {
	var rows []settingRow
	for _, name := range scopes.SettingNames() {
		from := eff.From[name]
		row := settingRow{Name: name, Label: settingLabels[name], Value: settingValue(name, eff.Values[name]),
			Source: sourceLabel(from, forApp), Badge: sourceBadge(from, forApp)}
		if why := eff.Refused[name]; why != "" {
			row.Value += " — not used: " + why
		}
		rows = append(rows, row)
	}
	return rows
}

// inheritText labels the "inherit" choice of a setting with the value it
// gives and where that comes from.
func (v settingsView) inheritText(name string) string {
	return v.inheritTextOf(name, settingValue(name, v.Inherited.Values[name]))
}

// inheritStorageText is inheritText of a storage setting, the storage
// named as the page shows it (storageTitle).
func (v settingsView) inheritStorageText(ctx context.Context, name string) string {
	return v.inheritTextOf(name, storageTitle(ctx, settingValue(name, v.Inherited.Values[name])))
}

func (v settingsView) inheritTextOf(name, value string) string {
	if !v.ForApp {
		return "Built-in default (" + value + ")"
	}
	if v.Inherited.From[name] == scopes.FromServer {
		return "Inherit (" + value + ", from the server defaults)"
	}
	return "Inherit (" + value + ", the built-in default)"
}

// timeoutHint says what leaving a timeout's four numbers empty gives.
func (v settingsView) timeoutHint(name string) string {
	value := v.Inherited.Values[name]
	switch {
	case !v.ForApp:
		return "Leave all four empty for the built-in default, " + value + "."
	case v.Inherited.From[name] == scopes.FromServer:
		return "Leave all four empty to inherit " + value + " from the server defaults."
	}
	return "Leave all four empty to inherit the built-in default, " + value + "."
}

// source is the label of where a setting's current value comes from.
func (v settingsView) source(name string) string { return sourceLabel(v.Current.From[name], v.ForApp) }

// badge is the badge class of where a setting's current value comes from.
func (v settingsView) badge(name string) string { return sourceBadge(v.Current.From[name], v.ForApp) }

// inheritedTimeout is the timeout "inherit" gives, as placeholders for the
// four numbers.
func (v settingsView) inheritedTimeout(k scopes.Kind) timeoutFields {
	return splitTimeout(v.Inherited.Settings.Of(k).Timeout)
}
