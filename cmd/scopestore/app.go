package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

func appCommand() *command {
	return &command{
		name:  "app",
		short: "Register applications, manage their API keys, set their scope settings",
		subs: []*command{
			{name: "create", usage: "NAME [flags]", args: 1, argName: "app name", short: "Register an app and print its API key, alone, on stdout",
				long: "The key is shown once and stored only as a hash: keep it. Example:\n  KEY=$(scopestore app create shop)",
				run:  withServer(appCreate, appCreateRemote)},
			{name: "list", usage: "[flags]", short: "List the apps (--server: a running server's)", run: withServer(appList, appListRemote)},
			{name: "delete", usage: "NAME [flags]", args: 1, argName: "app name", short: "Delete an app with its keys and settings, ending its live scopes", run: withAppServer(appDelete, appDeleteRemote)},
			{name: "key", short: "Manage an app's API keys", subs: []*command{
				{name: "add", usage: "NAME [--label L] [flags]", args: 1, argName: "app name", short: "Add a key to the app, its other keys kept, and print it alone on stdout",
					long: "The way without downtime: add a key, deploy it, then revoke the old one with 'app key revoke'.\n" +
						"The key is shown once and stored only as a hash. Example:\n  KEY=$(scopestore app key add shop --label 'web servers')",
					flags: keyAddFlags, run: withAppServer(appKeyAdd, appKeyAddRemote)},
				{name: "list", usage: "NAME [--all] [flags]", args: 1, argName: "app name", short: "List the app's active keys: id, label, created, last used (never the key)",
					flags: keyListFlags, run: withAppServer(appKeyList, appKeyListRemote)},
				{name: "revoke", usage: "NAME ID [--force] [flags]", args: 2, argName: "app name and key ID", short: "Revoke one key of the app; its last active key only with --force",
					long: "Calls with the key get 401; a running server may accept it for up to its --cache-ttl (5s by default).\n" +
						"The last active key is kept unless --force: without a key the app is locked out.",
					flags: keyRevokeFlags, run: withAppServer(appKeyRevoke, appKeyRevokeRemote)},
				{name: "rotate", usage: "NAME [flags]", args: 1, argName: "app name", short: "Revoke every key of the app and print one new key on stdout (with downtime)",
					long: "Every key stops working at once, so the app gets 401 until it has the new key: use it when a key leaked.\n" +
						"To replace a key without downtime, use 'app key add', deploy, then 'app key revoke'.",
					run: withAppServer(appKeyRotate, appKeyRotateRemote)},
			}},
			{name: "settings", usage: "NAME [--session-storage NAME] [--session-timeout 30m] [… flags]", args: 1, argName: "app name",
				short: "Show an app's effective settings, or set them as an administrator",
				long: "With no setting flags it prints each effective setting and where it comes from.\n" +
					"A setting given the value 'inherit' goes back to the server default.\n" +
					"A storage that does not pass Verify now is refused, nothing saved, unless --force: the apps that use it\n" +
					"would answer 503 at once. Live scopes stay in the old storage; the console's storage change can move them.",
				flags: func(fs *flag.FlagSet) { settingFlags(fs); settingsChangeFlags(fs) }, run: withAppServer(appSettings, appSettingsRemote)},
			lockListCommand(),
			appApplicationCommand(),
		},
	}
}

// settingFlags adds one flag per scope setting: --session-storage for sessionStorage.
func settingFlags(fs *flag.FlagSet) {
	help := map[string]string{
		scopes.SessionManagement:  "true or false: whether the app may use sessions",
		scopes.SessionType:        "cfml or j2ee (j2ee sessions stay in memory; storage needs cfml)",
		scopes.SessionStorage:     "memory, file, or a connection flagged for storage",
		scopes.SessionCluster:     "true: every load reads the storage; false: this instance keeps the primary copy",
		scopes.SessionTimeout:     "idle timeout, e.g. 30m, 2h, 1d12h",
		scopes.ClientManagement:   "true or false: whether the app may use client scopes",
		scopes.ClientStorage:      "file, memory, cookie (a sealed token the app keeps in a cookie), or a connection flagged for storage",
		scopes.ClientCluster:      "true or false, as for sessions",
		scopes.ClientTimeout:      "idle timeout, e.g. 90d",
		scopes.ScopeEndWebhook:    "https URL POSTed {app, scope, cfid, reason} when a session or client scope is invalidated or expires, and {…, reason rotated, rotatedTo} for a rotated session's old cfid, which is then not told expired (http needs --webhook-allow-http); empty: off",
		scopes.AllowedWebhooks:    "URLs, separated by spaces or commas, that the app may declare itself as its scopeEndWebhook through the API (administrators only)",
		scopes.SensitiveKeys:      "comma-separated data key names whose values the admin console masks, at any depth, besides its built-in words",
		scopes.MaxScopes:          "live scopes the app may hold, of each kind; over it a create gets 507 (0: no limit)",
		scopes.MaxMemory:          "size the app's scopes may take in the memory storage, e.g. 256MiB (0: no limit)",
		scopes.MaxCreateRate:      "scopes the app may create a second on one instance; over it a create gets 429 (0: no limit)",
		scopes.LockStorage:        "where the app's named locks live: memory (one instance only) or a Redis, MySQL or PostgreSQL connection flagged for storage",
		scopes.ApplicationStorage: "where the app's application scope lives: memory (one per instance), file, or a connection flagged for storage (shared by every instance)",
		scopes.ApplicationTimeout: "idle timeout of the application scope, e.g. 1d",
		scopes.ServerScopeWrite:   "true or false: whether the app may write the server scope, which every app reads (administrators only)",
		scopes.ServerStorage:      "where the server scope lives: memory (one per instance), file, or a connection flagged for storage; server defaults only (scope defaults)",
	}
	for _, name := range scopes.SettingNames() {
		fs.String(scopes.SettingFlag(name), "", help[name]+" ('inherit' to unset)")
	}
}

// settingValues returns the settings given as flags, by setting name.
func settingValues(fs *flag.FlagSet) map[string]string {
	values := map[string]string{}
	for _, name := range scopes.SettingNames() {
		fl := scopes.SettingFlag(name)
		fs.Visit(func(f *flag.Flag) {
			if f.Name == fl {
				values[name] = f.Value.String()
			}
		})
	}
	return values
}

func appCreate(rc *runContext, svc *services, args []string) error {
	key, err := svc.directory.CreateApp(rc.ctx, args[0])
	if err != nil {
		return err
	}
	printAppCreated(rc, args[0], key)
	return nil
}

// printAppCreated prints a new app's key alone on stdout, so that a script
// can take it: KEY=$(scopestore app create shop).
func printAppCreated(rc *runContext, app, key string) {
	fmt.Fprintln(rc.stdout, key)
	fmt.Fprintf(rc.stderr, "Created app %s. This is its API key; it is shown once and stored only as a hash.\n", app)
}

func appList(rc *runContext, svc *services, _ []string) error {
	apps, err := svc.directory.Apps(rc.ctx)
	if err != nil {
		return err
	}
	return printApps(rc, apps, svc.storageNames(rc.ctx))
}

func appListRemote(rc *runContext, r *remote, _ []string) error {
	var answer struct {
		Apps []admin.APIApp `json:"apps"`
	}
	if err := r.call(rc.ctx, "GET", "/apps", nil, nil, &answer); err != nil {
		return err
	}
	apps := make([]scopes.App, len(answer.Apps))
	for i, a := range answer.Apps {
		apps[i] = a.App()
	}
	return printApps(rc, apps, r.storageNames(rc.ctx))
}

// printApps writes the apps as a table.
func printApps(rc *runContext, apps []scopes.App, names storageNames) error {
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tCREATED\tKEYS\tSETTINGS")
	for _, a := range apps {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", a.Name, a.Created.UTC().Format(time.RFC3339), a.Keys, layerSummary(a.Layer, names))
	}
	return w.Flush()
}

func layerSummary(l scopes.Layer, names storageNames) string {
	if len(l) == 0 {
		return "(inherited)"
	}
	parts := make([]string, 0, len(l))
	for name, e := range l {
		parts = append(parts, fmt.Sprintf("%s=%s (%s)", name, names.settingValue(name, e.Value), e.By))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func appDelete(rc *runContext, svc *services, args []string) error {
	ended, err := svc.directory.DeleteAppAndScopes(rc.ctx, svc.engine, args[0])
	if err != nil {
		return err
	}
	printAppDeleted(rc, args[0], ended)
	return nil
}

func printAppDeleted(rc *runContext, app string, ended int) {
	fmt.Fprintf(rc.stderr, "Deleted app %s; its API keys no longer work and its %d live scopes ended.\n", app, ended)
}

func appKeyRotate(rc *runContext, svc *services, args []string) error {
	key, err := svc.directory.RotateKey(rc.ctx, args[0])
	if err != nil {
		return err
	}
	printKeyRotated(rc, args[0], key)
	return nil
}

func printKeyRotated(rc *runContext, app, key string) {
	fmt.Fprintln(rc.stdout, key)
	fmt.Fprintf(rc.stderr, "Rotated the API key of %s: the old keys no longer work (a running server may accept them for up to --cache-ttl).\n", app)
}

func appSettings(rc *runContext, svc *services, args []string) error {
	values := settingValues(rc.flags)
	var eff scopes.Effective
	var err error
	if len(values) == 0 {
		eff, err = svc.directory.Effective(rc.ctx, args[0])
	} else if err = refuseUnreachable(rc, svc, values); err == nil {
		eff, err = svc.directory.SetAppSettings(rc.ctx, args[0], values)
	}
	if err != nil {
		return err
	}
	return printEffective(rc.stdout, eff, svc.storageNames(rc.ctx))
}

// printEffective prints each setting, its value and where it comes from.
func printEffective(out io.Writer, eff scopes.Effective, names storageNames) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SETTING\tVALUE\tFROM")
	for _, name := range scopes.SettingNames() {
		from := describeSource(eff.From[name])
		if why := eff.Refused[name]; why != "" {
			from += " (not used: " + why + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, names.settingValue(name, eff.Values[name]), from)
	}
	return w.Flush()
}

func describeSource(from string) string {
	switch from {
	case scopes.FromDefault:
		return "built-in default"
	case scopes.FromServer:
		return "server default"
	case scopes.FromApp:
		return "declared by the application"
	case scopes.FromAdmin:
		return "set by an administrator"
	}
	return from
}

// withApp is withServices for a command whose first argument names an app:
// app names ignore case, so the command gets the name as created, the one
// its scopes and settings are kept under.
func withApp(fn func(rc *runContext, svc *services, args []string) error) func(*runContext, []string) error {
	return withServices(func(rc *runContext, svc *services, args []string) error {
		name, err := svc.directory.AppName(rc.ctx, args[0])
		if err != nil {
			return err
		}
		args = slices.Clone(args)
		args[0] = name
		return fn(rc, svc, args)
	})
}

// withServices opens the services for a command and closes them after.
func withServices(fn func(rc *runContext, svc *services, args []string) error) func(*runContext, []string) error {
	return func(rc *runContext, args []string) error {
		if rc.cfg.Server != "" {
			return errLocalOnly
		}
		svc, err := open(rc.ctx, rc.cfg, newLogger(rc.cfg, rc.stderr))
		if err != nil {
			return err
		}
		defer svc.Close()
		return fn(rc, svc, args)
	}
}
