package main

import (
	"bufio"
	"flag"
	"fmt"
	"maps"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/scopes"
)

// connectionParams are the flags of connection create, one per parameter.
var connectionParams = []struct{ name, help string }{
	{"url", "redis://, rediss://, postgres:// or couchbase:// URL"},
	{"dsn", "MySQL DSN, e.g. 'user@tcp(127.0.0.1:3306)/db'"},
	{"host", "server host"},
	{"port", "server port"},
	{"database", "database name (Redis: database number)"},
	{"username", "user name"},
	{"file", "SQLite database file"},
	{"servers", "memcached servers, comma-separated host:port"},
	{"bucket", "Couchbase bucket"},
	{"scope", "Couchbase scope within the bucket, default _default"},
	{"collection", "Couchbase collection within the scope, default _default"},
	{"tls", "true to connect with TLS"},
	{"mode", "Redis: standalone, sentinel or cluster"},
	{"master", "Redis Sentinel master name"},
	{"prefix", "Redis or memcached key prefix, default scopestore:"},
	{"strict", "MySQL: throw an error upon data truncation (strict SQL mode), default true"},
	{"prepare", "MySQL: false to send loads and writes as text rather than as statements prepared on the server, for a proxy that mishandles those (default true)"},
	{"pool-size", "largest number of open connections"},
	{"timeout", "dial and I/O timeout, e.g. 5s"},
	{"min-replicas-acked", "Redis: replicas that must acknowledge each write (WAIT) before it is answered, default 0"},
	{"replica-timeout", "Redis: how long a write waits for min-replicas-acked, default 1s"},
	{"autopipeline", "Redis: false to send each command alone rather than together with concurrent requests' (default true; mode cluster: false)"},
}

func connectionCommand() *command {
	return &command{
		name:  "connection",
		short: "Named cache and datasource connections that can hold scopes",
		subs: []*command{
			{name: "create", usage: "--name NAME --type TYPE [--storage] [--no-verify] [parameters] [flags]",
				short: "Define a connection, once it passes verify's checks",
				long: "Types: " + strings.Join(connections.Types(), ", ") + ".\n" +
					"--storage allows the connection to hold session and client scopes. The password is read from\n" +
					"--password-stdin (preferred) or --password, and stored encrypted.\n" +
					"The connection is first checked as 'connection verify' does, each check printed; when one fails nothing\n" +
					"is created and the exit code is 5. --no-verify creates it unchecked (a server that is not up yet).",
				flags: connectionCreateFlags, run: withServer(connectionCreate, connectionCreateRemote)},
			{name: "edit", usage: "NAME [--storage=false] [parameters] [flags]", args: 1, argName: "connection name",
				short: "Change a connection: only the flags given change",
				long: "A parameter given an empty value is removed. The password stays unless --password, --password-stdin\n" +
					"or --clear-password is given. Removing --storage from a connection that holds an app's scopes is refused.",
				flags: connectionEditFlags, run: withServer(connectionEdit, connectionEditRemote)},
			{name: "list", usage: "[flags]", short: "List the connections (--server: a running server's)", run: withServer(connectionList, connectionListRemote)},
			{name: "delete", usage: "NAME [flags]", args: 1, argName: "connection name", short: "Delete a connection that no app uses", run: withServer(connectionDelete, connectionDeleteRemote)},
			{name: "verify", usage: "NAME [flags]", args: 1, argName: "connection name", short: "Check that a connection works for storage; exit code 5 when not", run: withServer(connectionVerify, connectionVerifyRemote)},
			{name: "rekey", usage: "[flags]", short: "Encrypt again with --secret-key the passwords that only --previous-secret-keys open",
				long: "After rotating the secret key (the new one as --secret-key, the old one in --previous-secret-keys on every\n" +
					"instance), run this once: the connection passwords that only an old key decrypts are encrypted with the\n" +
					"new one. Run it only when every instance has the new key: one that still has only the old key cannot read\n" +
					"a password encrypted again. It prints the connections it changed, one a line. It needs the secret keys,\n" +
					"so it runs on the server's machine, never through --server.",
				run: withServices(connectionRekey)},
		},
	}
}

func connectionCreateFlags(fs *flag.FlagSet) {
	fs.String("name", "", "connection name (required; case-insensitive)")
	fs.String("type", "", "connection type: "+strings.Join(connections.Types(), ", ")+" (required)")
	fs.Bool("storage", false, "allow this connection to hold session and client scopes")
	fs.String("password", "", "password (visible in the process list: prefer --password-stdin)")
	fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	fs.Bool("no-verify", false, "create the connection without checking it first")
	for _, p := range connectionParams {
		fs.String(p.name, "", p.help)
	}
}

func connectionEditFlags(fs *flag.FlagSet) {
	fs.Bool("storage", false, "allow this connection to hold session and client scopes")
	fs.String("password", "", "new password (visible in the process list: prefer --password-stdin)")
	fs.Bool("password-stdin", false, "read the new password from the first line of standard input")
	fs.Bool("clear-password", false, "remove the stored password")
	for _, p := range connectionParams {
		fs.String(p.name, "", p.help)
	}
}

// connectionChange is what connection edit's flags change: only what
// they name.
type connectionChange struct {
	Storage *bool
	// Params are the parameters given, by their stored name (pool_size);
	// "" removes one.
	Params map[string]string
	// Password is the new password, nil to keep it; Clear removes it.
	Password *string
	Clear    bool
}

// connectionChangeFlags reads connection edit's flags, the password from
// standard input with --password-stdin.
func connectionChangeFlags(rc *runContext) (connectionChange, error) {
	set := map[string]string{}
	rc.flags.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	ch := connectionChange{Params: map[string]string{}}
	if v, ok := set["storage"]; ok {
		storage := v == "true"
		ch.Storage = &storage
	}
	for _, p := range connectionParams {
		if v, ok := set[p.name]; ok {
			ch.Params[strings.ReplaceAll(p.name, "-", "_")] = v
		}
	}
	switch {
	case set["clear-password"] == "true":
		ch.Clear = true
	case set["password-stdin"] == "true":
		pw, err := readPassword(rc)
		if err != nil {
			return ch, err
		}
		ch.Password = &pw
	case set["password"] != "":
		pw := set["password"]
		ch.Password = &pw
	}
	return ch, nil
}

func connectionEdit(rc *runContext, svc *services, args []string) error {
	c, found, err := svc.config.Connection(rc.ctx, args[0])
	if err != nil {
		return scopes.Unavailable("the config store", err)
	}
	if !found {
		return scopes.Errorf(scopes.ENotFound, "no connection named %q; see `scopestore connection list`", args[0])
	}
	ch, err := connectionChangeFlags(rc)
	if err != nil {
		return err
	}
	if ch.Storage != nil {
		c.Storage = *ch.Storage
	}
	maps.Copy(c.Params, ch.Params)
	keepSecret := true
	switch {
	case ch.Clear:
		c.Secret, keepSecret = "", false
	case ch.Password != nil:
		c.Secret, keepSecret = *ch.Password, false
	}
	if err := svc.manager.Update(rc.ctx, c, keepSecret); err != nil {
		return err
	}
	fmt.Fprintf(rc.stderr, "Updated connection %s; a running server uses the new definition after a restart.\n", c.Name)
	return nil
}

func readPassword(rc *runContext) (string, error) {
	line, err := bufio.NewReader(rc.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usageErrorf("--password-stdin: no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// connectionFromFlags reads connection create's flags into a definition,
// the password from standard input with --password-stdin, and tells
// whether --no-verify was given.
func connectionFromFlags(rc *runContext) (scopes.Connection, bool, error) {
	get := func(name string) string { return rc.flags.Lookup(name).Value.String() }
	c := scopes.Connection{
		Name:    get("name"),
		Type:    strings.ToLower(get("type")),
		Storage: get("storage") == "true",
		Params:  map[string]string{},
		Secret:  get("password"),
	}
	switch {
	case c.Name == "":
		return c, false, usageErrorf("--name is required: the connection's name, as an app's settings will name its storage")
	case c.Type == "":
		return c, false, usageErrorf("--type is required: one of %s", strings.Join(connections.Types(), ", "))
	}
	if get("password-stdin") == "true" {
		var err error
		if c.Secret, err = readPassword(rc); err != nil {
			return c, false, err
		}
	}
	for _, p := range connectionParams {
		c.Params[strings.ReplaceAll(p.name, "-", "_")] = get(p.name)
	}
	return c, get("no-verify") == "true", nil
}

func connectionCreate(rc *runContext, svc *services, _ []string) error {
	c, noVerify, err := connectionFromFlags(rc)
	if err != nil {
		return err
	}
	var verified func()
	if !noVerify {
		if verified, err = verifyNew(rc, svc, c); err != nil {
			return err
		}
	}
	if err := svc.manager.Create(rc.ctx, c); err != nil {
		return err
	}
	if verified != nil {
		verified()
	}
	printConnectionCreated(rc, c.Name, connections.KindOf(c.Type), c.Type, c.Storage)
	return nil
}

func printConnectionCreated(rc *runContext, name, kind, typ string, storage bool) {
	fmt.Fprintf(rc.stderr, "Created %s connection %s (type %s, storage %t).\n", kind, name, typ, storage)
}

// verifyNew checks a connection before it is created, printing each check.
// A definition that is invalid or whose name is taken is refused first,
// without a connection attempt; a failed check refuses it with exit code 5.
// keep, once the connection is created, keeps the checks as its last Verify
// (nil when none ran).
func verifyNew(rc *runContext, svc *services, c scopes.Connection) (keep func(), err error) {
	hs, kept, err := svc.manager.VerifyNew(rc.ctx, c)
	if err != nil {
		return nil, err
	}
	if kept == nil {
		printNotVerified(rc, c.Type)
		return nil, nil
	}
	if printChecks(rc.stdout, c.Name, c.Storage, admin.NewAPIChecks(hs)) {
		return nil, createCheckFailed(c.Name)
	}
	return func() { kept(rc.ctx) }, nil
}

// printNotVerified says that a type this version cannot open was not verified.
func printNotVerified(rc *runContext, typ string) {
	fmt.Fprintf(rc.stdout, "note    this version of scopestore cannot open a %s connection, so it was not verified\n", typ)
}

// createCheckFailed is the refusal of a create whose check failed.
func createCheckFailed(name string) error {
	return &checkFailed{msg: fmt.Sprintf("connection %s was not created: a check failed. Correct its parameters, "+
		"or create it anyway with --no-verify (then: scopestore connection verify %s).", name, name)}
}

func connectionList(rc *runContext, svc *services, _ []string) error {
	conns, err := svc.manager.Connections(rc.ctx)
	if err != nil {
		return err
	}
	return printConnections(rc, conns)
}

func connectionListRemote(rc *runContext, r *remote, _ []string) error {
	conns, err := r.connections(rc.ctx)
	if err != nil {
		return err
	}
	return printConnections(rc, conns)
}

// printConnections writes the connections as a table, never a password.
func printConnections(rc *runContext, conns []scopes.Connection) error {
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tTYPE\tSTORAGE\tVERIFIED\tPARAMETERS")
	for _, c := range conns {
		keys := make([]string, 0, len(c.Params))
		for k, v := range c.Params {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		if c.HasSecret {
			keys = append(keys, "password=(set)")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\t%s\n", c.Name, c.Kind, c.Type, c.Storage, lastVerify(c.Verified), strings.Join(keys, " "))
	}
	return w.Flush()
}

// lastVerify is a connection's last Verify as the list shows it: "never",
// "ok <time>", or "FAIL <time> (<step>)".
func lastVerify(v scopes.ConnectionCheck) string {
	switch {
	case v.At.IsZero():
		return "never"
	case v.OK:
		return "ok " + v.At.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("FAIL %s (%s)", v.At.UTC().Format(time.RFC3339), v.Step)
}

func connectionDelete(rc *runContext, svc *services, args []string) error {
	if err := svc.manager.Delete(rc.ctx, args[0]); err != nil {
		return err
	}
	printConnectionDeleted(rc, args[0])
	return nil
}

func printConnectionDeleted(rc *runContext, name string) {
	fmt.Fprintf(rc.stderr, "Deleted connection %s.\n", name)
}
