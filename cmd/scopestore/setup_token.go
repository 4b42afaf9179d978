package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// setupToken returns the one-time token that the console's first-run setup
// asks for, and logs it; "" when the setup needs none. Whoever reaches the
// setup page first sets the administrator's password, which is harmless on
// loopback but not on an address others can reach: there the setup also
// needs this token, which only whoever reads scopestore's log has (as
// Jenkins does). Each instance makes its own at start.
func setupToken(ctx context.Context, cfg *Config, admins scopes.AdminStore, logger *slog.Logger) string {
	if cfg.AdminPassword != "" || loopbackAddr(cfg.Addr) {
		return ""
	}
	users, err := admins.AdminUsers(ctx)
	if err == nil && len(users) > 0 {
		return ""
	}
	// When the check failed, a token is asked for all the same: better one
	// field too many than an open setup page.
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	logger.Warn("first-run setup: scopestore listens beyond this machine and has no administrator yet; "+
		"open the console's setup page and enter this setup token to set the admin password",
		"setup_token", token, "page", admin.Prefix+"/setup", "addr", cfg.Addr)
	return token
}

// loopbackAddr tells whether a listen address (--addr) is reachable from
// this machine only: a loopback IP or localhost. An empty host listens on
// every address; a host name may resolve to anything.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
