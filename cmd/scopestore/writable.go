package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// writableChecks are the readiness checks that what scopestore writes on
// local disk can be written: the data directory (the file storage, the
// default config store and the secret key) and the directory of a SQLite
// config store kept elsewhere. A full disk fails them, so that /readyz
// takes the instance out of a balancer before admin logins and settings
// fail.
func writableChecks(cfg *Config) []func(context.Context) scopes.Health {
	checks := []func(context.Context) scopes.Health{writableCheck("data directory", cfg.DataDir)}
	if path, ok := strings.CutPrefix(cfg.ConfigDSN, "sqlite://"); ok && path != ":memory:" {
		dir := filepath.Dir(path)
		if abs, _ := filepath.Abs(dir); abs != absPath(cfg.DataDir) {
			checks = append(checks, writableCheck("config store directory", dir))
		}
	}
	return checks
}

func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// writableCheck returns a check that writes, syncs and removes a small file
// in dir.
func writableCheck(name, dir string) func(context.Context) scopes.Health {
	return func(context.Context) scopes.Health {
		err := probeWrite(dir)
		if err == nil {
			return scopes.Health{Name: name}
		}
		cause := err
		var pe *os.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		return scopes.Health{Name: name, Err: &scopes.Error{Code: scopes.EUnavailable, Err: err,
			Message: fmt.Sprintf("the %s %s cannot be written (%v): free disk space or fix its permissions", name, dir, cause)}}
	}
}

func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".readyz-*")
	if err != nil {
		return fmt.Errorf("create a file: %w", err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	// A page's worth: a full disk refuses it at write or at sync.
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
