package main

import (
	"fmt"

	"log/slog"
	"os"
	"path/filepath"
)

// looseModes lists what in the data directory is readable or writable by
// others than its owner: the directory itself and the files at its top
// (the secret key, the config store, the file storage and their WAL files),
// which scopestore creates 0700 and 0600.
func looseModes(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("check the data directory: %w", err)
	}
	var loose []string
	if info.Mode().Perm()&0o077 != 0 {
		loose = append(loose, fmt.Sprintf("%s (%s)", dir, info.Mode().Perm()))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("check the data directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			if os.IsNotExist(err) { // a WAL file removed meanwhile
				continue
			}
			return nil, fmt.Errorf("check the data directory: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			loose = append(loose, fmt.Sprintf("%s (%s)", filepath.Join(dir, e.Name()), fi.Mode().Perm()))
		}
	}
	return loose, nil
}

// warnLooseModes logs a warning, with the commands that tighten them, when
// an operator loosened the data directory's permissions: it holds the key
// that decrypts connection passwords and every visitor's client scope.
func warnLooseModes(dir string, logger *slog.Logger) {
	loose, err := looseModes(dir)
	if err != nil {
		logger.Warn("could not check the data directory's permissions", "err", err)
		return
	}
	if len(loose) > 0 {
		logger.Warn("the data directory holds secrets and visitors' scopes, yet others than its owner may read it: run chmod 700 on it and chmod 600 on its files",
			"data_dir", dir, "loose", loose, "fix", fmt.Sprintf("chmod 700 %q && chmod 600 %q/*", dir, dir))
	}
}
