// Command scopestore runs the scopestore service and administers it from the
// command line: apps, their keys and settings, server defaults, connections
// and migrations; and lets operators list, show and invalidate live scopes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"

	"github.com/scopestore/scopestore/scopes"
)

// Exit codes, for scripts.
const (
	exitOK          = 0
	exitFailure     = 1 // a storage or the config store failed, or anything unexpected
	exitUsage       = 2 // a mistake in the command line or an invalid value
	exitNotFound    = 3 // no such app or connection
	exitConflict    = 4 // it exists already, or is in use
	exitCheckFailed = 5 // verify or a readiness check found a problem
)

// runContext is what a command runs with.
type runContext struct {
	ctx    context.Context
	cfg    *Config
	flags  *flag.FlagSet
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg := defaultConfig()
	// Changes made from the command line are audited as cli:<user>.
	ctx = scopes.WithActor(ctx, "cli:"+osUser(getenv))
	rc := &runContext{ctx: ctx, cfg: &cfg, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || args[0] != "-h" && args[0] != "--help" && len(args[0]) > 0 && args[0][0] == '-' {
		// Flags alone mean the default command.
		args = append([]string{"serve"}, args...)
	}
	err := execute(rootCommand(), args, rc)
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	return report(stderr, err)
}

// report prints err for a person and returns its exit code.
func report(stderr io.Writer, err error) int {
	var ue *usageError
	var ce *checkFailed
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "scopestore: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &ce):
		return exitCheckFailed
	}
	fmt.Fprintf(stderr, "scopestore: %s\n", scopes.ErrorMessage(err))
	switch scopes.ErrorCode(err) {
	case scopes.EInvalid, scopes.EInvalidSettings, scopes.ETooLarge:
		return exitUsage
	case scopes.ENotFound:
		return exitNotFound
	case scopes.EConflict:
		return exitConflict
	case scopes.EInternal:
		fmt.Fprintf(stderr, "scopestore: detail: %v\n", err)
	}
	return exitFailure
}

// osUser names who runs the command, for the audit log.
func osUser(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// checkFailed ends a command that already printed which checks failed.
type checkFailed struct{}

func (checkFailed) Error() string { return "check failed" }

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	level, _ := cfg.level()
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func rootCommand() *command {
	return &command{
		name: "scopestore",
		long: "scopestore keeps web applications' session and client scopes in memory, a file, or a named cache or datasource,\n" +
			"and serves them over an HTTP API. With no command it runs the server (serve).",
		subs: []*command{
			serveCommand(),
			appCommand(),
			scopeCommand(),
			connectionCommand(),
			migrateCommand(),
			sessionsCommand(),
		},
	}
}
