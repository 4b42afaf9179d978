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
	"strings"
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
	path, err := execute(rootCommand(), args, rc)
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	return report(stderr, path, err)
}

// report prints err for a person on one line, naming the command (path),
// and returns its exit code. A mistake in the command line ends with a
// hint to the command's --help rather than the whole usage.
func report(stderr io.Writer, path string, err error) int {
	prefix := "scopestore: "
	if _, cmd, ok := strings.Cut(path, " "); ok {
		prefix += cmd + ": "
	}
	var ue *usageError
	var ce *checkFailed
	var msg string
	code := exitFailure
	switch {
	case errors.As(err, &ce):
		if ce.msg != "" {
			fmt.Fprintln(stderr, prefix+ce.msg)
		}
		return exitCheckFailed
	case errors.As(err, &ue):
		msg, code = ue.msg, exitUsage
	default:
		msg = scopes.ErrorMessage(err)
		switch scopes.ErrorCode(err) {
		case scopes.EInvalid, scopes.EInvalidSettings, scopes.ETooLarge:
			code = exitUsage
		case scopes.ENotFound:
			code = exitNotFound
		case scopes.EConflict:
			code = exitConflict
		}
	}
	// Validation reports each problem on a line of its own.
	line := prefix + strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; ")
	if code == exitUsage {
		line = strings.TrimSuffix(line, ".") + ". Try '" + path + " --help'."
	}
	fmt.Fprintln(stderr, line)
	if scopes.ErrorCode(err) == scopes.EInternal && ue == nil {
		fmt.Fprintf(stderr, "scopestore: detail: %v\n", err)
	}
	return code
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

// checkFailed ends a command that already printed which checks failed;
// msg, when set, is the line that says what that means.
type checkFailed struct{ msg string }

func (c *checkFailed) Error() string {
	if c.msg != "" {
		return c.msg
	}
	return "check failed"
}

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
		name:     "scopestore",
		fallback: "serve",
		long: "scopestore keeps web applications' session and client scopes in memory, a file, or a named cache or datasource,\n" +
			"and serves them over an HTTP API. With no command it runs the server (serve).",
		subs: []*command{
			serveCommand(),
			appCommand(),
			scopeCommand(),
			connectionCommand(),
			migrateCommand(),
			sessionsCommand(),
			auditCommand(),
			adminCommand(),
		},
	}
}
