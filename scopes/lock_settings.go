package scopes

import (
	"context"
	"slices"
	"strings"
)

// LockStorages is a Storages that can tell which storages can hold named
// locks; without it only memory can.
type LockStorages interface {
	// LockNames lists the storages that lockStorage may name.
	LockNames(ctx context.Context) ([]string, error)
}

// validateLockStorage checks that lockStorage names a storage that can
// hold locks, so that a bad setting is refused when set, not at the first
// lock request.
func (d *Directory) validateLockStorage(ctx context.Context, name string) error {
	valid, err := d.LockStorageNames(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(valid, name) {
		return Errorf(EInvalidSettings, "%s: storage %q cannot hold locks; valid lock storages are %s (memory serves one instance only)",
			LockStorage, name, strings.Join(valid, ", "))
	}
	return nil
}

// LockStorageNames lists the storages that an app's lockStorage may name.
func (d *Directory) LockStorageNames(ctx context.Context) ([]string, error) {
	ls, ok := d.storages.(LockStorages)
	if !ok {
		return []string{StorageMemory}, nil
	}
	names, err := ls.LockNames(ctx)
	return names, configError(err)
}
