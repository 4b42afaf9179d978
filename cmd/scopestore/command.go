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
	// args is how many positional arguments the command takes, and argName
	// what the first is, for the message when it is missing ("app name").
	args    int
	argName string
	// argsOptional lets the positional arguments be left out altogether,
	// for a command that takes them or a flag instead ("sessions
	// invalidate CFID" or "--where key=value").
	argsOptional bool
	// flags adds the command's own flags; the global ones are added to every command.
	flags func(fs *flag.FlagSet)
	run   func(ctx *runContext, args []string) error
	subs  []*command
	// fallback names the subcommand a branch runs when none is named: the
	// root runs serve.
	fallback string
}

// usageError is a mistake in the command line: exit code 2, and a hint
// to the command's --help.
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

// globalFlags returns a flag set of the global flags alone, at their
// defaults: to recognise them before a command's name, and to list them.
func globalFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("scopestore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := defaultConfig()
	cfg.register(fs)
	return fs
}

// globalFlagArgs tells how many words of args the global flag at args[0]
// takes: 1 (--addr=:80, or a flag left without its value), 2 (--addr :80),
// or 0 when args[0] is no global flag.
func globalFlagArgs(globals *flag.FlagSet, args []string) int {
	name := strings.TrimPrefix(strings.TrimPrefix(args[0], "-"), "-")
	name, _, hasValue := strings.Cut(name, "=")
	f := globals.Lookup(name)
	switch {
	case f == nil || name == "" || strings.HasPrefix(name, "-"):
		return 0
	case hasValue || isBoolFlag(f) || len(args) == 1:
		return 1
	}
	return 2
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "--h"
}

// execute finds the command named by args and runs it. Global flags may
// come before the command's name as well as after it. It returns the
// command's path ("scopestore app create"), which messages name.
func execute(root *command, args []string, rc *runContext) (string, error) {
	globals := globalFlags()
	path := []string{root.name}
	cmd := root
	var lead []string // global flags given before the command's name
	for len(cmd.subs) > 0 && len(args) > 0 && args[0] != "--" && !isHelpFlag(args[0]) {
		if strings.HasPrefix(args[0], "-") {
			n := globalFlagArgs(globals, args)
			if n > 0 {
				lead, args = append(lead, args[:n]...), args[n:]
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
			if firstSub(cmd, args) != "" {
				return strings.Join(path, " "), usageErrorf("--%s is not a global flag: a command's own flags go after its name", name)
			}
			if cmd.fallback == "" {
				return strings.Join(path, " "), usageErrorf("unknown flag --%s", name)
			}
			break // the flag may be the fallback command's own
		}
		next := cmd.sub(args[0])
		if next == nil {
			return strings.Join(path, " "), usageErrorf("unknown command %q", args[0])
		}
		cmd, args, path = next, args[1:], append(path, next.name)
	}
	if cmd.fallback != "" && (len(args) == 0 || !isHelpFlag(args[0])) {
		cmd, path = cmd.sub(cmd.fallback), append(path, cmd.fallback)
	}
	pathText := strings.Join(path, " ")
	if cmd.run == nil {
		if len(args) > 0 && isHelpFlag(args[0]) {
			printUsage(rc.stdout, cmd, path)
			return pathText, errHelp
		}
		return pathText, usageErrorf("missing subcommand: %s", subNames(cmd))
	}
	fs := flag.NewFlagSet(pathText, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	globalNames := rc.cfg.register(fs)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	positional, err := parseArgs(fs, append(lead, args...))
	if errors.Is(err, flag.ErrHelp) {
		printHelp(rc.stdout, cmd, path)
		return pathText, errHelp
	}
	if err != nil {
		return pathText, &usageError{flagMessage(err)}
	}
	if err := envFallback(fs, globalNames, rc.getenv); err != nil {
		return pathText, err
	}
	// A command other than serve logs its warnings only unless asked: the
	// first command on a new data directory would otherwise print a line
	// per config-store migration before its one-line answer.
	if cmd.name != "serve" && !flagSet(fs, "log-level") {
		rc.cfg.LogLevel = "warn"
	}
	if err := checkArgCount(cmd, positional); err != nil {
		return pathText, err
	}
	if err := rc.cfg.validate(); err != nil {
		return pathText, err
	}
	rc.flags = fs
	// Packages that log through slog's default (migrations, stores) follow --log-level and --log-format too.
	slog.SetDefault(newLogger(rc.cfg, rc.stderr))
	return pathText, cmd.run(rc, positional)
}

// checkArgCount refuses a missing or an extra positional argument.
func checkArgCount(cmd *command, positional []string) error {
	switch {
	case cmd.argsOptional && len(positional) == 0:
		return nil
	case len(positional) < cmd.args && cmd.argName != "":
		return usageErrorf("missing %s", cmd.argName)
	case len(positional) < cmd.args:
		return usageErrorf("missing argument: takes %d, got %d", cmd.args, len(positional))
	case len(positional) > cmd.args:
		extra := positional[cmd.args:]
		quoted := make([]string, len(extra))
		for i, a := range extra {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		what := "argument"
		if len(extra) > 1 {
			what = "arguments"
		}
		return usageErrorf("unexpected %s %s", what, strings.Join(quoted, " "))
	}
	return nil
}

// flagMessage says a flag package error with the two dashes the help and
// the documents use.
func flagMessage(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag --" + name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "--" + name + " needs a value"
	}
	if before, after, ok := strings.Cut(msg, " for flag -"); ok {
		return before + " for --" + after
	}
	return strings.Replace(msg, " for -", " for --", 1)
}

// firstSub returns the first word of args that names a subcommand of c.
func firstSub(c *command, args []string) string {
	for _, a := range args {
		if c.sub(a) != nil {
			return a
		}
	}
	return ""
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// subNames lists a branch's subcommands: "list, delete or verify".
func subNames(c *command) string {
	names := make([]string, len(c.subs))
	for i, s := range c.subs {
		names[i] = s.name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// printUsage is a branch's help: its subcommands, and at the root the
// global flags.
func printUsage(w io.Writer, c *command, path []string) {
	p := strings.Join(path, " ")
	if c.fallback != "" {
		fmt.Fprintf(w, "Usage: %s [global flags] [<command>] [flags]\n\n", p)
	} else {
		fmt.Fprintf(w, "Usage: %s <command> [flags]\n\n", p)
	}
	if c.long != "" {
		fmt.Fprintf(w, "%s\n\n", c.long)
	}
	fmt.Fprintln(w, "Commands:")
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-12s %s\n", s.name, s.short)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", p)
	if c.fallback != "" {
		printGlobalFlags(w)
	} else {
		fmt.Fprintln(w, "The global flags (--data-dir, --config-dsn, …; 'scopestore --help' lists them) go before or after the command.")
	}
}

// printHelp is a command's help: its own flags first, then the global ones
// under their own heading.
func printHelp(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "Usage: %s %s\n\n", strings.Join(path, " "), c.usage)
	if c.short != "" {
		fmt.Fprintf(w, "%s\n\n", c.short)
	}
	if c.long != "" {
		fmt.Fprintf(w, "%s\n\n", c.long)
	}
	if c.flags != nil {
		own := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(own)
		fmt.Fprintln(w, "Flags:")
		printFlags(w, own, false)
	} else {
		fmt.Fprintln(w, "Flags: none of its own; the global flags below apply.")
	}
	printGlobalFlags(w)
}

func printGlobalFlags(w io.Writer) {
	fmt.Fprintln(w, "\nGlobal flags (before or after the command; each also read from its SCOPESTORE_* variable):")
	printFlags(w, globalFlags(), true)
}

// printFlags lists the flags of fs as flag.PrintDefaults does, but with two
// dashes, as the documents write them, and with each global flag's variable.
func printFlags(w io.Writer, fs *flag.FlagSet, withEnv bool) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + typ
		}
		if withEnv {
			line += "  (" + envName(f.Name) + ")"
		}
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0" || f.DefValue == "0s":
		case typ == "string":
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, strings.ReplaceAll(usage, "\n", "\n      "))
	})
}

// flagSet tells whether the command line or its SCOPESTORE_* variable
// (envFallback sets those) gave the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
