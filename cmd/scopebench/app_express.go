package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The express app (apps/express/app.js): app-express and app-connect-redis
// are the same app, node app.js, with SCOPEBENCH_STORE choosing
// express-session's store.
const (
	// expressCookie is express-session's cookie: s:<id>.<signature>, URL-encoded.
	expressCookie = "connect.sid"
	// connectRedisPrefix is the key prefix, under the run's, of
	// connect-redis's sessions.
	connectRedisPrefix = "sess:"
	// expressAppDir is the app's directory, relative to this package's.
	expressAppDir = "apps/express"
)

// nodeMissing says why app-express cannot run when node is not installed.
func nodeMissing() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed: app-express and app-connect-redis run node " + expressAppDir + "/app.js " +
			"(Node 20 or later, with npm to install its locked dependencies)"
	}
	return ""
}

// expressDir finds the express app: beside this file when scopebench was
// built from the repository (go run, go build), else through go list.
func expressDir(ctx context.Context) (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		tried = append(tried, filepath.Join(filepath.Dir(file), expressAppDir))
	}
	if out, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", "github.com/scopestore/scopestore/cmd/scopebench").Output(); err == nil {
		tried = append(tried, filepath.Join(strings.TrimSpace(string(out)), expressAppDir))
	}
	for _, dir := range tried {
		if _, err := os.Stat(filepath.Join(dir, "app.js")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cannot find cmd/scopebench/%s/app.js (looked in %q): run scopebench inside the repository", expressAppDir, tried)
}

// npmCI installs the express app's locked dependencies with npm ci when
// node_modules is missing or older than package-lock.json.
func (b *bench) npmCI(ctx context.Context, dir string) error {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return fmt.Errorf("the express app has no package-lock.json: %w", err)
	}
	if inst, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && !inst.ModTime().Before(lock.ModTime()) {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not installed, and %s/node_modules is missing or stale: install npm (it comes with Node.js) or run npm ci there", dir)
	}
	b.progress("  npm ci in %s", dir)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", dir, err, out)
	}
	return nil
}

// startExpress runs the express app with store, connect-redis or
// connect-scopestore, and stops it at cleanup at the latest.
func (b *bench) startExpress(ctx context.Context, name, store string) (*child, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New(nodeMissing())
	}
	dir, err := expressDir(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.npmCI(ctx, dir); err != nil {
		return nil, err
	}
	env := childEnv(
		"NODE_ENV=production",
		"SCOPEBENCH_NAME="+name,
		"SCOPEBENCH_STORE="+store,
		"SCOPEBENCH_REDIS_URL="+b.cfg.RedisURL,
		"SCOPEBENCH_REDIS_PREFIX="+b.prefix+connectRedisPrefix,
		envAppUpstream+"="+b.server.addr,
		"SCOPEBENCH_APP="+benchApp,
		envAppKey+"="+b.key,
	)
	c, err := startChildIn(ctx, dir, name, node, []string{"app.js"}, env, filepath.Join(b.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	b.onCleanup(func(context.Context) error { c.Stop(); return nil })
	return c, nil
}

// expressSessionID takes the session id out of express-session's cookie
// value: s:<id>.<signature>, URL-encoded.
func expressSessionID(value string) (string, error) {
	v, err := url.PathUnescape(value)
	if err != nil {
		return "", fmt.Errorf("%s cookie %q: %w", expressCookie, value, err)
	}
	signed, ok := strings.CutPrefix(v, "s:")
	dot := strings.LastIndexByte(signed, '.')
	if !ok || dot <= 0 {
		return "", fmt.Errorf("%s cookie %q is not s:<id>.<signature>", expressCookie, value)
	}
	return signed[:dot], nil
}
