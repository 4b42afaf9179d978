package main

import (
	"bufio"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

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
	{"tls", "true to connect with TLS"},
	{"mode", "Redis: standalone, sentinel or cluster"},
	{"master", "Redis Sentinel master name"},
	{"prefix", "Redis key prefix, default scopestore:"},
	{"strict", "MySQL: throw an error upon data truncation (strict SQL mode), default true"},
	{"pool-size", "largest number of open connections"},
	{"timeout", "dial and I/O timeout, e.g. 5s"},
	{"min-replicas-acked", "Redis: replicas that must acknowledge each write (WAIT) before it is answered, default 0"},
	{"replica-timeout", "Redis: how long a write waits for min-replicas-acked, default 1s"},
}

func connectionCommand() *command {
	return &command{
		name:  "connection",
		short: "Named cache and datasource connections that can hold scopes",
		subs: []*command{
			{name: "create", usage: "--name NAME --type TYPE [--storage] [parameters] [flags]",
				short: "Define a connection",
				long: "Types: " + strings.Join(connections.Types(), ", ") + ".\n" +
					"--storage allows the connection to hold session and client scopes. The password is read from\n" +
					"--password-stdin (preferred) or --password, and stored encrypted.",
				flags: connectionCreateFlags, run: withServices(connectionCreate)},
			{name: "edit", usage: "NAME [--storage=false] [parameters] [flags]", args: 1,
				short: "Change a connection: only the flags given change",
				long: "A parameter given an empty value is removed. The password stays unless --password, --password-stdin\n" +
					"or --clear-password is given. Removing --storage from a connection that holds an app's scopes is refused.",
				flags: connectionEditFlags, run: withServices(connectionEdit)},
			{name: "list", usage: "[flags]", short: "List the connections", run: withServices(connectionList)},
			{name: "delete", usage: "NAME [flags]", args: 1, short: "Delete a connection that no app uses", run: withServices(connectionDelete)},
			{name: "verify", usage: "NAME [flags]", args: 1, short: "Check that a connection works for storage; exit code 5 when not", run: withServices(connectionVerify)},
		},
	}
}

func connectionCreateFlags(fs *flag.FlagSet) {
	fs.String("name", "", "connection name (required; case-insensitive)")
	fs.String("type", "", "connection type: "+strings.Join(connections.Types(), ", ")+" (required)")
	fs.Bool("storage", false, "allow this connection to hold session and client scopes")
	fs.String("password", "", "password (visible in the process list: prefer --password-stdin)")
	fs.Bool("password-stdin", false, "read the password from the first line of standard input")
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

func connectionEdit(rc *runContext, svc *services, args []string) error {
	c, found, err := svc.config.Connection(rc.ctx, args[0])
	if err != nil {
		return scopes.Unavailable("the config store", err)
	}
	if !found {
		return scopes.Errorf(scopes.ENotFound, "no connection named %q; see `scopestore connection list`", args[0])
	}
	set := map[string]string{}
	rc.flags.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	if v, ok := set["storage"]; ok {
		c.Storage = v == "true"
	}
	for _, p := range connectionParams {
		if v, ok := set[p.name]; ok {
			c.Params[strings.ReplaceAll(p.name, "-", "_")] = v
		}
	}
	keepSecret := true
	switch {
	case set["clear-password"] == "true":
		c.Secret, keepSecret = "", false
	case set["password-stdin"] == "true":
		if c.Secret, err = readPassword(rc); err != nil {
			return err
		}
		keepSecret = false
	case set["password"] != "":
		c.Secret, keepSecret = set["password"], false
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

func connectionCreate(rc *runContext, svc *services, _ []string) error {
	fs := rc.flags
	get := func(name string) string { return fs.Lookup(name).Value.String() }
	c := scopes.Connection{
		Name:    get("name"),
		Type:    strings.ToLower(get("type")),
		Storage: get("storage") == "true",
		Params:  map[string]string{},
		Secret:  get("password"),
	}
	if get("password-stdin") == "true" {
		var err error
		if c.Secret, err = readPassword(rc); err != nil {
			return err
		}
	}
	for _, p := range connectionParams {
		c.Params[strings.ReplaceAll(p.name, "-", "_")] = get(p.name)
	}
	if err := svc.manager.Create(rc.ctx, c); err != nil {
		return err
	}
	fmt.Fprintf(rc.stderr, "Created %s connection %s (type %s, storage %t).\n", c.Kind, c.Name, c.Type, c.Storage)
	return nil
}

func connectionList(rc *runContext, svc *services, _ []string) error {
	conns, err := svc.manager.Connections(rc.ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tTYPE\tSTORAGE\tPARAMETERS")
	for _, c := range conns {
		keys := make([]string, 0, len(c.Params))
		for k, v := range c.Params {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		if c.HasSecret {
			keys = append(keys, "password=(set)")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\n", c.Name, c.Kind, c.Type, c.Storage, strings.Join(keys, " "))
	}
	return w.Flush()
}

func connectionDelete(rc *runContext, svc *services, args []string) error {
	if err := svc.manager.Delete(rc.ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(rc.stderr, "Deleted connection %s.\n", args[0])
	return nil
}

func connectionVerify(rc *runContext, svc *services, args []string) error {
	c, err := svc.manager.Connection(rc.ctx, args[0])
	if err != nil {
		return err
	}
	checks, err := svc.manager.Verify(rc.ctx, c.Name)
	if err != nil {
		return err
	}
	failed := false
	for _, h := range checks {
		if h.Err != nil {
			failed = true
			fmt.Fprintf(rc.stdout, "FAIL  %s: %s\n", h.Name, verifyMessage(h.Err))
		} else {
			fmt.Fprintf(rc.stdout, "ok    %s\n", h.Name)
		}
	}
	if !c.Storage {
		fmt.Fprintf(rc.stdout, "note  %s is not flagged for storage: no scope can be kept in it until it is\n", c.Name)
	}
	if failed {
		return &checkFailed{}
	}
	return nil
}

// verifyMessage shows a check's failure in full: an operator running verify
// wants the driver's own words.
func verifyMessage(err error) string {
	if scopes.ErrorCode(err) == scopes.EInternal {
		return err.Error()
	}
	return scopes.ErrorMessage(err)
}
