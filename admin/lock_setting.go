package admin

import (
	"context"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// lockKind keys the lock storages among the settings view's storage
// groups, beside the scope kinds, so that the storage select works alike
// for all three.
const lockKind = scopes.Kind("lock")

// addLockStorages adds the storages that can hold named locks to groups.
func (a *Console) addLockStorages(ctx context.Context, groups map[scopes.Kind][]storageGroup) error {
	names, err := a.Directory.LockStorageNames(ctx)
	if err != nil {
		return err
	}
	groups[lockKind] = []storageGroup{{Label: "Lock storages", Names: names}}
	return nil
}

// validateLockStorage checks that a lock storage was chosen; whether it can
// hold locks is the Directory's to say, beside the field.
func (f *settingsForm) validateLockStorage() {
	if f.LockStorage == "" {
		f.Errors[scopes.LockStorage] = settingLabels[scopes.LockStorage] + " is required: choose a storage, or inherit it."
	}
}

// lockStorageValue is lockStorage as the config store writes it.
func (f settingsForm) lockStorageValue() string {
	if f.LockStorage == scopes.Inherit || f.LockStorage == "" {
		return scopes.Inherit
	}
	return scopes.NormalizeStorage(strings.TrimSpace(f.LockStorage))
}
