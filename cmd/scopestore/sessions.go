package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func sessionsCommand() *command {
	return &command{
		name:  "sessions",
		short: "List, show and invalidate an app's live sessions and client scopes",
		long: "The operator's view of the scopes in storage, with full cfids. Reading is no visit: it moves no expiry.\n" +
			"Without --server, these commands open the storages themselves (the data directory's config), so they reach\n" +
			"file, cache and datasource storages but not the memory storage of a running server. With --server URL and\n" +
			"--token T (an admin API token), they ask that server, which reaches every storage it uses, memory too, with\n" +
			"the token's user's role: an operator's token lists and shows, masked, and invalidates nothing.",
		subs: []*command{
			{name: "list", usage: "--app NAME [--scope session|client] [--limit N] [--cursor C] [--prefix P] [--filter key=value] [flags]",
				short: "List one page of an app's live scopes, in cfid order, then the next page's cursor",
				long: "Pages follow cfid order, the order every storage can page through without reading everything.\n" +
					"--filter key=value keeps the scopes whose data has that top-level key (any case) holding that value:\n" +
					"a string's text or a JSON value (42, true). --filter =value looks in every top-level key.\n" +
					"A filter reads at most --max-scan scopes per call; a page it cuts short says so, and its cursor goes on.\n" +
					"A memcached storage cannot list its keys: there, use show with the cfid.\n" +
					"Example:\n  scopestore sessions list --app shop --filter email=alice@example.com",
				flags: sessionsListFlags, run: withServer(sessionsList, sessionsListRemote)},
			{name: "show", usage: "--app NAME [--scope session|client] CFID [flags]", args: 1, argName: "cfid",
				short: "Print one scope as JSON, as the runtime API writes it, without a visit, sensitive values masked",
				long: "The values of sensitive keys are shown as " + scopes.Mask + ", as in the console: keys whose name contains\n" +
					strings.Join(scopes.SensitiveWords(), ", ") + " (any case), and the keys of the app's sensitiveKeys setting, at any depth.\n" +
					"--reveal prints them in clear, and records that in the audit log as " + "<kind>.reveal" + ".\n" +
					"Example:\n  scopestore sessions show --app shop --reveal 0f8fad5b-d9cb-469f-a165-70867728950e",
				flags: sessionsShowFlags, run: withServer(sessionsShow, sessionsShowRemote)},
			{name: "invalidate", usage: "--app NAME [--scope session|client] (CFID | --where key=value [--prefix P]) [--dry-run] [--yes] [flags]",
				args: 1, argName: "cfid", argsOptional: true,
				short: "Invalidate one scope, or every scope whose data matches --where: the app's next load answers 404",
				long: "With a CFID, that scope ends. With --where key=value (and/or --prefix), every live scope of the app's kind\n" +
					"whose data has that top-level key (any case) holding that value ends: a string's text or a JSON value\n" +
					"(42, true); --where =value looks in every top-level key, and masked keys cannot be filtered on.\n" +
					"It counts the matching scopes first and prints the count; --dry-run stops there (the count alone on\n" +
					"stdout), and without --yes nothing is invalidated. One run examines at most " + strconv.Itoa(scopes.MaxMatchScan) + " scopes;\n" +
					"one stopped there prints the --after cursor to go on with. Each scope is checked against the filter as\n" +
					"the run reaches it, ends as Invalidate does (webhook with reason invalidated) and the run is audited\n" +
					"as one entry.\n" +
					"Examples:\n  scopestore sessions invalidate --app shop --where userId=42 --dry-run\n" +
					"  scopestore sessions invalidate --app shop --where userId=42 --yes",
				flags: sessionsInvalidateFlags, run: withServer(sessionsInvalidate, sessionsInvalidateRemote)},
		},
	}
}

// sessionFlags are the flags that name an app's scopes of one kind.
func sessionFlags(fs *flag.FlagSet) {
	fs.String("app", "", "the application (required)")
	fs.String("scope", string(scopes.Session), "the scope kind: session or client")
}

func sessionsShowFlags(fs *flag.FlagSet) {
	sessionFlags(fs)
	fs.Bool("reveal", false, "show the values of sensitive keys in clear (audited as <kind>.reveal)")
}

func sessionsListFlags(fs *flag.FlagSet) {
	sessionFlags(fs)
	fs.Int("limit", scopes.DefaultListLimit, "scopes per page, 1 to "+strconv.Itoa(scopes.MaxListLimit))
	fs.String("cursor", "", "start after this cursor: the \"next cursor\" the previous page printed")
	fs.String("prefix", "", "keep the cfids that start with this prefix")
	fs.String("filter", "", "keep the scopes whose data has key=value at its top level (=value: any key)")
	fs.Int("max-scan", scopes.DefaultListScan, "with a filter, read at most this many scopes per call")
}

// sessionTarget reads --app and --scope and returns them with the app's
// settings. A kind kept in the memory storage is refused: it lives in the
// server's process, out of this command's reach, and listing this
// process's own empty memory would mislead.
func sessionTarget(rc *runContext, svc *services) (string, scopes.Kind, scopes.Settings, error) {
	app := strings.TrimSpace(rc.flags.Lookup("app").Value.String())
	if app == "" {
		return "", "", scopes.Settings{}, usageErrorf("--app is required: the application whose scopes to read")
	}
	k := scopes.Kind(strings.ToLower(strings.TrimSpace(rc.flags.Lookup("scope").Value.String())))
	if !k.Valid() {
		return "", "", scopes.Settings{}, usageErrorf("--scope %q: use session or client", k)
	}
	// App names ignore case: the scopes are stored under the name as created.
	app, err := svc.directory.AppName(rc.ctx, app)
	if err != nil {
		return "", "", scopes.Settings{}, err
	}
	eff, err := svc.directory.Effective(rc.ctx, app)
	if err != nil {
		return "", "", scopes.Settings{}, err
	}
	if ss := eff.Settings.Of(k); ss.Management && ss.Storage == scopes.StorageMemory {
		return "", "", scopes.Settings{}, scopes.Errorf(scopes.EUnavailable,
			"the %s scopes of %s live in storage %q, inside the running server's process, which the data directory does not hold: "+
				"reach that server with --server URL --token T (an admin API token: 'scopestore admin token create'), "+
				"or use the console's Sessions page", k, app, ss.Storage)
	}
	return app, k, eff.Settings, nil
}

func sessionsList(rc *runContext, svc *services, _ []string) error {
	app, k, set, err := sessionTarget(rc, svc)
	if err != nil {
		return err
	}
	q, err := listQuery(rc)
	if err != nil {
		return err
	}
	page, err := svc.engine.List(rc.ctx, set, app, k, q)
	if scopes.ErrorCode(err) == scopes.EUnsupported && set.Of(k).Storage != scopes.StorageCookie {
		return listUnsupported(err, app, k)
	}
	if err != nil {
		return err
	}
	return printScopePage(rc, app, k, page)
}

// listUnsupported words a storage that cannot list (memcached) for the
// command line: what still works. A cookie scope cannot be shown either:
// its token is in the browser.
func listUnsupported(err error, app string, k scopes.Kind) error {
	return scopes.Errorf(scopes.EUnsupported, "%s; 'scopestore sessions show --app %s --scope %s CFID' opens one",
		strings.TrimSuffix(scopes.ErrorMessage(err), "."), app, k)
}

// listQuery reads the list's flags.
func listQuery(rc *runContext) (scopes.ListQuery, error) {
	fs := rc.flags
	limit, _ := strconv.Atoi(fs.Lookup("limit").Value.String())
	maxScan, _ := strconv.Atoi(fs.Lookup("max-scan").Value.String())
	q := scopes.ListQuery{After: fs.Lookup("cursor").Value.String(), Limit: limit, MaxScan: maxScan,
		CFIDPrefix: fs.Lookup("prefix").Value.String()}
	if q.Limit == 0 {
		return q, usageErrorf("--limit 0: ask for 1 to %d scopes a page", scopes.MaxListLimit)
	}
	if filter := fs.Lookup("filter").Value.String(); filter != "" {
		key, value, ok := strings.Cut(filter, "=")
		if !ok {
			return q, usageErrorf("--filter %q: write key=value, or =value to look in every top-level key", filter)
		}
		q.Key, q.Value = strings.TrimSpace(key), value
	}
	return q, nil
}

// printScopePage writes one page of a list: a table on stdout, the next
// cursor, and on stderr whether more may come.
func printScopePage(rc *runContext, app string, k scopes.Kind, page scopes.ListPage) error {
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	header := "CFID\tSTORAGE\tCREATED\tLAST VISIT\tEXPIRES\tSIZE\tVERSION"
	if k == scopes.Client {
		header += "\tHITS"
	}
	fmt.Fprintln(w, header)
	for _, sc := range page.Scopes {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d", sc.CFID, sc.Storage, rfc3339(sc.TimeCreated), rfc3339(sc.LastVisit),
			rfc3339(sc.Expires), len(sc.Data), sc.Version)
		if sc.HitCount != nil {
			fmt.Fprintf(w, "\t%d", *sc.HitCount)
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(rc.stdout, "next cursor: %s\n", page.Next)
	}
	switch {
	case page.Partial:
		fmt.Fprintf(rc.stderr, "The filter read %d scopes without filling the page; more may match: go on with --cursor %s.\n", page.Scanned, page.Next)
	case page.Next == "" && len(page.Scopes) == 0:
		fmt.Fprintf(rc.stderr, "No live %s scopes of %s to list here.\n", k, app)
	case page.Next == "":
		fmt.Fprintln(rc.stderr, "This is the last page.")
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// sessionKey reads the cfid argument, refused unless it is a UUID.
func sessionKey(app string, k scopes.Kind, cfid string) (scopes.Key, error) {
	lower, ok := scopes.ParseCFID(cfid)
	if !ok {
		return scopes.Key{}, usageErrorf("%q is not a cfid: a cfid is a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e", cfid)
	}
	return scopes.Key{App: app, Kind: k, CFID: lower}, nil
}

func sessionsShow(rc *runContext, svc *services, args []string) error {
	app, k, set, err := sessionTarget(rc, svc)
	if err != nil {
		return err
	}
	key, err := sessionKey(app, k, args[0])
	if err != nil {
		return err
	}
	sc, err := svc.engine.Peek(rc.ctx, set, key)
	if err != nil {
		return scopeGone(key, err)
	}
	if rc.flags.Lookup("reveal").Value.String() == "true" {
		auditSession(rc, svc, string(k)+".reveal", key, "shown by the command line with --reveal: sensitive values in clear")
	} else {
		auditSession(rc, svc, string(k)+".view", key, "shown by the command line, sensitive keys masked")
		sc = sc.Masked(set.SensitiveKeys)
	}
	return printScope(rc, sc)
}

// printScope writes a scope as indented JSON, as the runtime API writes it.
func printScope(rc *runContext, sc *scopes.Scope) error {
	enc := json.NewEncoder(rc.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sc)
}

func sessionsInvalidate(rc *runContext, svc *services, args []string) error {
	app, k, set, err := sessionTarget(rc, svc)
	if err != nil {
		return err
	}
	if len(args) == 0 || matchFlagsSet(rc) {
		return sessionsInvalidateMatching(rc, svc, app, k, set, args)
	}
	key, err := sessionKey(app, k, args[0])
	if err != nil {
		return err
	}
	if err := svc.engine.Delete(rc.ctx, set, key); err != nil {
		return scopeGone(key, err)
	}
	auditSession(rc, svc, string(k)+".invalidate", key, "invalidated by the command line")
	printInvalidated(rc, key, set.Of(k).Cluster)
	return nil
}

// printInvalidated says that one scope ended, and where it may still be
// served from memory.
func printInvalidated(rc *runContext, key scopes.Key, cluster bool) {
	fmt.Fprintf(rc.stderr, "Invalidated the %s scope %s of %s: the application's next load of it answers 404.\n", key.Kind, key.CFID, key.App)
	if !cluster {
		fmt.Fprintf(rc.stderr, "Note: %sCluster is false for %s, so a running instance that holds this scope in memory serves it\n"+
			"until it leaves memory (--idle-time, default %s). Invalidate it from that instance's console to end it at once.\n",
			key.Kind, key.App, scopes.DefaultIdleTime)
	}
}

// scopeGone words "not found" for an operator rather than for the app.
func scopeGone(key scopes.Key, err error) error {
	if scopes.ErrorCode(err) != scopes.ENotFound {
		return err
	}
	return scopes.Errorf(scopes.ENotFound, "no live %s scope %s of %s: it expired or was invalidated", key.Kind, key.CFID, key.App)
}

// auditSession records an operator's action on a scope as cli:<user>; a
// failure to record it is reported, not returned, as the action is done.
func auditSession(rc *runContext, svc *services, action string, key scopes.Key, detail string) {
	e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(rc.ctx), Action: action,
		Target: key.App + " " + string(key.Kind) + " " + key.CFID, Detail: detail}
	if err := svc.config.AddAudit(rc.ctx, e); err != nil {
		svc.logger.Error("audit log write failed", "action", action, "err", err)
	}
}
