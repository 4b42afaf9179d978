package admin

import (
	"github.com/scopestore/scopestore/scopes"
)

// The settings form's fields for the shared scopes: applicationStorage and
// applicationTimeout on both levels, serverScopeWrite on both, and
// serverStorage on the server defaults only (scopes.ServerOnlySetting).

// storageKinds are the scope kinds whose storage the form sets: the
// server scope's only on the server defaults.
func (f settingsForm) storageKinds() []scopes.Kind {
	kinds := []scopes.Kind{scopes.Session, scopes.Client, scopes.Application}
	if f.ServerDefaults {
		kinds = append(kinds, scopes.Server)
	}
	return kinds
}

// validateShared checks the shared scopes' fields as validate checks the
// others, with its oneOf.
func (f *settingsForm) validateShared(oneOf func(name, value, choices string, valid ...string)) {
	oneOf(scopes.ServerScopeWrite, f.ServerScopeWrite, "yes, no or inherited", "true", "false")
	if f.Application.Storage == "" {
		f.Errors[scopes.ApplicationStorage] = settingLabels[scopes.ApplicationStorage] + " is required: choose a storage, or inherit it."
	}
	if t := f.Application.Timeout; !t.inherit() {
		if _, msg := t.duration(); msg != "" {
			f.Errors[scopes.ApplicationTimeout] = settingLabels[scopes.ApplicationTimeout] + " " + msg + "."
		}
	}
	if f.ServerDefaults && f.Server.Storage == "" {
		f.Errors[scopes.ServerStorage] = settingLabels[scopes.ServerStorage] + " is required: choose a storage, or the built-in default."
	}
}

// sharedValues adds the shared scopes' settings to v, as values writes
// the others; validate must have passed. serverStorage is left out of an
// app's form, whose level cannot hold it.
func (f settingsForm) sharedValues(v map[string]string) {
	v[scopes.ServerScopeWrite] = f.ServerScopeWrite
	v[scopes.ApplicationStorage] = storageValue(f.Application.Storage)
	v[scopes.ApplicationTimeout] = scopes.Inherit
	if !f.Application.Timeout.inherit() {
		d, _ := f.Application.Timeout.duration()
		v[scopes.ApplicationTimeout] = scopes.FormatTimeout(d)
	}
	if f.ServerDefaults {
		v[scopes.ServerStorage] = storageValue(f.Server.Storage)
	}
}

// storageValue is a chosen storage as the config store writes it, or
// scopes.Inherit.
func storageValue(s string) string {
	if s == scopes.Inherit {
		return s
	}
	return scopes.NormalizeStorage(s)
}
