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
