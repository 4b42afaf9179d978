package scopes

import "strings"

// The built-in storages. Connections flagged for storage add their own names.
const (
	StorageMemory = "memory"
	StorageFile   = "file"
)

// NormalizeStorage returns the canonical form of a storage name: lower case,
// with Lucee's aliases resolved ("ram" is memory, "registry" is file).
func NormalizeStorage(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "ram":
		return StorageMemory
	case "registry":
		return StorageFile
	}
	return n
}

// BuiltInStorage tells whether a canonical storage name is one of
// scopestore's own (memory, file, cookie) rather than a connection's.
func BuiltInStorage(name string) bool {
	return name == StorageMemory || name == StorageFile || name == StorageCookie
}

// StorageSetting tells whether the setting of that name holds a storage
// name (sessionStorage, lockStorage, …).
func StorageSetting(name string) bool {
	def, ok := lookupSetting(name)
	return ok && def.kind == storageSetting
}

// StorageTitles maps each connection's storage name as settings keep it
// (lower case, the form lookups compare) to the name it was given, for the
// pages and the command line to show: SessionCache, not sessioncache.
func StorageTitles(conns []Connection) map[string]string {
	titles := make(map[string]string, len(conns))
	for _, c := range conns {
		titles[strings.ToLower(c.Name)] = c.Name
	}
	return titles
}
