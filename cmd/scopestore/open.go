package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// services are the parts a command works with, wired from the config.
type services struct {
	config    *configstore.Store
	storages  *connections.Registry
	directory *scopes.Directory
	manager   *connections.Manager
	engine    *scopes.Engine
	// notifier queues and delivers end-of-scope notifications (the
	// engine's Ends); serve runs its dispatcher.
	notifier *scopes.Notifier
	// history is the last hour of operations that the console's Overview
	// charts; handler makes it, unless a test set one with its own clock.
	history *scopes.History
	// instance names this instance in the History it shares; serve sets
	// it once it listens (instanceID).
	instance string
	logger   *slog.Logger
}

// open wires the config store, the storages, the directory and the engine.
func open(ctx context.Context, cfg *Config, logger *slog.Logger) (*services, error) {
	key, err := secretKey(cfg, logger)
	if err != nil {
		return nil, err
	}
	previous, err := previousKeys(cfg)
	if err != nil {
		return nil, err
	}
	cs, err := configstore.Open(ctx, cfg.ConfigDSN, cfg.DataDir, key, previous...)
	if err != nil {
		return nil, scopes.Unavailable("the config store", err)
	}
	// Older versions kept a password written into a url or dsn in clear:
	// it is encrypted now, whichever command runs first.
	if n, err := cs.MovePasswords(ctx, connections.StoredPassword); err != nil {
		logger.Warn("some connections keep a password in clear inside their url or dsn: edit them and give the password apart", "err", err)
	} else if n > 0 {
		logger.Info("moved passwords out of connections' url or dsn, into their encrypted passwords", "connections", n)
	}
	reg := connections.NewRegistry(cfg.DataDir, cs)
	ring, err := cookieKeys(key, previous)
	if err != nil {
		_ = cs.Close()
		return nil, err
	}
	reg.UseCookieKeys(ring)
	dir := scopes.NewDirectory(cs, reg)
	dir.CacheTTL = cfg.CacheTTL
	// The same policy refuses a webhook URL when an administrator sets it
	// and every connection the sender makes.
	dir.Webhooks = cfg.webhookPolicy()
	mgr := connections.NewManager(cs, reg, dir)
	dir.Auditor, mgr.Auditor = cs, cs
	eng := scopes.NewEngine(reg)
	eng.IdleTime = cfg.IdleTime
	eng.ResolveTime = cfg.ResolveTime
	eng.RotateGrace = cfg.RotateGrace
	eng.MaxScopeSize = int(cfg.MaxScopeSize)
	eng.MemoryBudget = int64(cfg.MemoryBudget)
	eng.Logger = logger
	// Every command that ends scopes (serve, sessions invalidate) queues
	// their notifications; only serve delivers them.
	notifier := scopes.NewNotifier(cs, newWebhookSender(dir.Webhooks), dir)
	notifier.Logger = logger
	eng.Ends = notifier
	return &services{config: cs, storages: reg, directory: dir, manager: mgr, engine: eng, notifier: notifier, logger: logger}, nil
}

// Close closes the storages, then the config store.
func (s *services) Close() error {
	// The last uses of API keys being recorded land before the config
	// store closes under them.
	s.directory.WaitKeyUses()
	return errors.Join(s.storages.Close(), s.config.Close())
}

// secretKey returns the key that encrypts connection passwords: from
// --secret-key, or from <data-dir>/secret.key, created on first use.
func secretKey(cfg *Config, logger *slog.Logger) ([]byte, error) {
	if cfg.SecretKey != "" {
		return decodeKey(cfg.SecretKey, "--secret-key (SCOPESTORE_SECRET_KEY)")
	}
	path := filepath.Join(cfg.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return decodeKey(strings.TrimSpace(string(b)), path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	if cfg.ConfigDSN != "" {
		logger.Warn("no --secret-key given with a shared config store: every instance must use the same key, set SCOPESTORE_SECRET_KEY", "generated", path)
	}
	var k [32]byte
	_, _ = rand.Read(k[:])
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k[:])+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	return k[:], nil
}

func decodeKey(s, from string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, usageErrorf("%s must be 32 bytes in base64 or hex (make one with: openssl rand -base64 32)", from)
}
