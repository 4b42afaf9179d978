package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// sharedShowLong is the help of the commands that print a shared scope.
const sharedShowLong = "The scope is read from its storage without a visit: its last visit and expiry do not move, and one\n" +
	"that the app has not started yet is not started (the command says so on stderr and prints nothing).\n" +
	"On the data directory these commands open the storages themselves, so a scope in the memory storage,\n" +
	"which lives inside the running server, is out of their reach: add --server to ask that server for its copy.\n" +
	"The values of sensitive keys are shown as " + scopes.Mask + ", as in the console; --reveal prints them in clear\n" +
	"and records that in the audit log as <kind>.reveal (a plain read records <kind>.view)."

// appApplicationCommand is `scopestore app application NAME`.
func appApplicationCommand() *command {
	return &command{name: "application", usage: "NAME [--reveal] [flags]", args: 1, argName: "app name",
		short: "Print the app's application scope as JSON, as the runtime API writes it, sensitive values masked",
		long:  sharedShowLong + "\nExample:\n  scopestore app application shop",
		flags: sharedShowFlags, run: withAppServer(appApplication, appApplicationRemote)}
}

// scopeServerCommand is `scopestore scope server`.
func scopeServerCommand() *command {
	return &command{name: "server", usage: "[--reveal] [flags]",
		short: "Print the server scope as JSON, as the runtime API writes it, sensitive values masked, and who may write it",
		long: sharedShowLong + "\nThe server scope is masked with the sensitiveKeys of the server defaults and of every app, since\n" +
			"every app reads it. The apps that may write it (serverScopeWrite) are listed on stderr.\n" +
			"Example:\n  scopestore scope server",
		flags: sharedShowFlags, run: withServer(scopeServer, scopeServerRemote)}
}

func sharedShowFlags(fs *flag.FlagSet) {
	fs.Bool("reveal", false, "show the values of sensitive keys in clear (audited as <kind>.reveal)")
}

func appApplication(rc *runContext, svc *services, args []string) error {
	app := args[0]
	eff, err := svc.directory.Effective(rc.ctx, app)
	if err != nil {
		return err
	}
	return showShared(rc, svc, eff.Settings, scopes.ApplicationKey(app), eff.Settings.SensitiveKeys,
		"/admin/apps/"+app+"/application")
}

func scopeServer(rc *runContext, svc *services, _ []string) error {
	acc, err := svc.directory.ServerScopeAccess(rc.ctx)
	if err != nil {
		return err
	}
	if err := showShared(rc, svc, acc.Settings.Settings, scopes.ServerKey(), acc.SensitiveKeys, "/admin/scope/server"); err != nil {
		return err
	}
	printWriters(rc, acc.Writers)
	return nil
}

// printWriters names on stderr the apps that may write the server scope.
func printWriters(rc *runContext, writers []string) {
	if len(writers) == 0 {
		fmt.Fprintf(rc.stderr, "No app may write the server scope: allow one with 'scopestore app settings NAME --%s true'.\n",
			scopes.SettingFlag(scopes.ServerScopeWrite))
	} else {
		fmt.Fprintf(rc.stderr, "Apps that may write the server scope: %s.\n", strings.Join(writers, ", "))
	}
}

// showShared prints the shared scope key, read with set without a visit,
// masked with keys unless --reveal, and audits the read. page is the
// console page that shows a scope kept in memory.
func showShared(rc *runContext, svc *services, set scopes.Settings, key scopes.Key, keys []string, page string) error {
	noun := sharedNoun(key)
	if storage := set.Of(key.Kind).Storage; storage == scopes.StorageMemory {
		return scopes.Errorf(scopes.EUnavailable,
			"%s lives in storage %q, inside the running server's process, which this command cannot reach: "+
				"open %s in the console, or set --%s to a shared storage", noun, storage, page, scopes.SettingFlag(string(key.Kind)+"Storage"))
	}
	sc, err := svc.engine.Peek(rc.ctx, set, key)
	if scopes.ErrorCode(err) == scopes.ENotFound {
		printNoShared(rc, key)
		return nil
	}
	if err != nil {
		return err
	}
	target := string(scopes.Server)
	if key.Kind == scopes.Application {
		target = key.App + " " + string(key.Kind)
	}
	action, detail := string(key.Kind)+".view", "shown by the command line, sensitive keys masked"
	if rc.flags.Lookup("reveal").Value.String() == "true" {
		action, detail = string(key.Kind)+".reveal", "shown by the command line with --reveal: sensitive values in clear"
	} else {
		sc = sc.Masked(keys)
	}
	e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(rc.ctx), Action: action, Target: target, Detail: detail}
	if err := svc.config.AddAudit(rc.ctx, e); err != nil {
		svc.logger.Error("audit log write failed", "action", action, "err", err)
	}
	return printShared(rc, sc)
}

// sharedNoun names a shared scope: "the server scope", "the application
// scope of shop".
func sharedNoun(key scopes.Key) string {
	if key.Kind == scopes.Application {
		return "the application scope of " + key.App
	}
	return "the server scope"
}

// printNoShared says on stderr that the shared scope key has not started,
// and what starts it.
func printNoShared(rc *runContext, key scopes.Key) {
	ended := ""
	if key.Kind == scopes.Application {
		ended = " (or it ended, unused for its timeout)"
	}
	fmt.Fprintf(rc.stderr, "There is no %s yet%s: it starts, empty, on the first GET, PUT or PATCH %s.\n",
		strings.TrimPrefix(sharedNoun(key), "the "), ended, sharedAPIPath(key))
}

// printShared writes a shared scope as the runtime API does, indented.
func printShared(rc *runContext, sc *scopes.Scope) error {
	enc := json.NewEncoder(rc.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sc)
}

// sharedAPIPath is the runtime API's path of a shared scope.
func sharedAPIPath(key scopes.Key) string {
	if key.Kind == scopes.Server {
		return "/api/v1/server"
	}
	return "/api/v1/apps/" + key.App + "/application"
}
