package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// command is one node of the command tree: a leaf runs, a branch dispatches
// to its subcommands.
type command struct {
	name  string
	usage string // the line after the command's path, e.g. "NAME [flags]"
	short string // one line for the parent's list
	long  string // more help, shown with --help
	// args is how many positional arguments the command takes.
	args int
	// flags adds the command's own flags; the global ones are added to every command.
	flags func(fs *flag.FlagSet)
	run   func(ctx *runContext, args []string) error
	subs  []*command
}

// usageError is a mistake in the command line: exit code 2 and the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errHelp ends a run that printed its help.
var errHelp = errors.New("help shown")

// parseArgs parses flags that may come before or after the positional
// arguments ("app settings shop --session-storage file").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// envFallback sets each flag of fs that the command line left unset from
// its SCOPESTORE_* variable, and names the variable in any error.
func envFallback(fs *flag.FlagSet, names []string, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range names {
		if set[name] {
			continue
		}
		env := envName(name)
		if v := getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return usageErrorf("%s=%q: %v", env, v, err)
			}
		}
	}
	return nil
}

// envName is the environment variable of a global flag: --data-dir reads SCOPESTORE_DATA_DIR.
func envName(flagName string) string {
	return "SCOPESTORE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// execute finds the command named by args and runs it.
func execute(root *command, args []string, rc *runContext) error {
	path := []string{root.name}
	cmd := root
	for len(cmd.subs) > 0 && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		next := cmd.sub(args[0])
		if next == nil {
			printUsage(rc.stderr, cmd, path)
			return usageErrorf("unknown command %q", strings.Join(append(path, args[0]), " "))
		}
		cmd, args, path = next, args[1:], append(path, next.name)
	}
	if cmd.run == nil {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			printUsage(rc.stdout, cmd, path)
			return errHelp
		}
		printUsage(rc.stderr, cmd, path)
		return usageErrorf("%s needs a subcommand", strings.Join(path, " "))
	}
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	globals := rc.cfg.register(fs)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	positional, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(rc.stdout, cmd, path, fs)
		return errHelp
	}
	if err != nil {
		printHelp(rc.stderr, cmd, path, fs)
		return usageErrorf("%v", err)
	}
	if err := envFallback(fs, globals, rc.getenv); err != nil {
		return err
	}
	if len(positional) != cmd.args {
		printHelp(rc.stderr, cmd, path, fs)
		return usageErrorf("%s takes %d argument(s), got %d", strings.Join(path, " "), cmd.args, len(positional))
	}
	if err := rc.cfg.validate(); err != nil {
		return err
	}
	rc.flags = fs
	// Packages that log through slog's default (migrations, stores) follow --log-level and --log-format too.
	slog.SetDefault(newLogger(rc.cfg, rc.stderr))
	return cmd.run(rc, positional)
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func printUsage(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\n", strings.Join(path, " "))
	if c.long != "" {
		fmt.Fprintf(w, "%s\n\n", c.long)
	}
	fmt.Fprintln(w, "Commands:")
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-12s %s\n", s.name, s.short)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
}

func printHelp(w io.Writer, c *command, path []string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s %s\n\n", strings.Join(path, " "), c.usage)
	if c.short != "" {
		fmt.Fprintf(w, "%s\n\n", c.short)
	}
	if c.long != "" {
		fmt.Fprintf(w, "%s\n\n", c.long)
	}
	fmt.Fprintln(w, "Flags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintln(w, "\nEvery global flag can also be set by its SCOPESTORE_* environment variable (--data-dir: SCOPESTORE_DATA_DIR).")
}
