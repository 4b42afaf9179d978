package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func keyAddFlags(fs *flag.FlagSet) {
	fs.String("label", "", "tells the key apart in lists, up to 100 characters (default \"key N\")")
}

func keyListFlags(fs *flag.FlagSet) {
	fs.Bool("all", false, "list the revoked keys too, with when they were revoked")
}

func keyRevokeFlags(fs *flag.FlagSet) {
	fs.Bool("force", false, "revoke the app's last active key too, locking the app out until a key is added")
}

// appKeyAdd prints the new key alone on stdout, so that a script can take
// it: KEY=$(scopestore app key add shop).
func appKeyAdd(rc *runContext, svc *services, args []string) error {
	key, k, err := svc.directory.AddKey(rc.ctx, args[0], rc.flags.Lookup("label").Value.String())
	if err != nil {
		return err
	}
	printKeyAdded(rc, args[0], key, k.Name())
	return nil
}

// printKeyAdded prints a new key alone on stdout, and what it is on stderr.
func printKeyAdded(rc *runContext, app, key, name string) {
	fmt.Fprintln(rc.stdout, key)
	fmt.Fprintf(rc.stderr, "Added %s to app %s; it is shown once and stored only as a hash. Its other keys keep working: "+
		"deploy this one, then revoke the old one with 'scopestore app key revoke %s ID' ('scopestore app key list %s' shows the IDs).\n",
		name, app, app, app)
}

func appKeyList(rc *runContext, svc *services, args []string) error {
	keys, err := svc.directory.Keys(rc.ctx, args[0])
	if err != nil {
		return err
	}
	return printKeys(rc, args[0], keys)
}

// printKeys writes an app's keys as a table, the revoked ones too with
// --all, and warns when none is active.
func printKeys(rc *runContext, app string, keys []scopes.APIKey) error {
	all := rc.flags.Lookup("all").Value.String() == "true"
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	if all {
		fmt.Fprintln(w, "ID\tLABEL\tCREATED\tLAST USED\tREVOKED")
	} else {
		fmt.Fprintln(w, "ID\tLABEL\tCREATED\tLAST USED")
	}
	active := 0
	for _, k := range keys {
		if k.Active() {
			active++
		} else if !all {
			continue
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s", k.ID, k.Label, cliTime(k.Created, "-"), cliTime(k.LastUsed, "never"))
		if all {
			fmt.Fprintf(w, "\t%s", cliTime(k.Revoked, "-"))
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if active == 0 {
		fmt.Fprintf(rc.stderr, "App %s has no active key: its calls get 401. Add one with 'scopestore app key add %s'.\n", app, app)
	}
	return nil
}

// activeKeys counts active keys in words: "1 active key", "2 active keys".
func activeKeys(n int) string {
	if n == 1 {
		return "1 active key"
	}
	return strconv.Itoa(n) + " active keys"
}

// cliTime writes a time as the CLI's lists do, RFC 3339 in UTC, or none
// when it is zero.
func cliTime(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

// keyRevokeArgs reads the key ID and --force of app key revoke.
func keyRevokeArgs(rc *runContext, args []string) (int64, bool, error) {
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id <= 0 {
		return 0, false, usageErrorf("key ID %q is not a number: 'scopestore app key list %s' shows the IDs", args[1], args[0])
	}
	return id, rc.flags.Lookup("force").Value.String() == "true", nil
}

// lastKeyAdvice ends the refusal to revoke app's last active key.
func lastKeyAdvice(app string) string {
	return fmt.Sprintf(" ('scopestore app key add %s'); --force revokes it anyway", app)
}

func appKeyRevoke(rc *runContext, svc *services, args []string) error {
	id, force, err := keyRevokeArgs(rc, args)
	if err != nil {
		return err
	}
	k, left, err := svc.directory.RevokeKey(rc.ctx, args[0], id, force)
	if errors.Is(err, scopes.ErrLastKey) {
		return &scopes.Error{Code: scopes.EConflict, Err: err, Message: scopes.ErrorMessage(err) + lastKeyAdvice(args[0])}
	} else if err != nil {
		return err
	}
	printKeyRevoked(rc, args[0], k.Name(), left)
	return nil
}

// printKeyRevoked says on stderr which key was revoked and what is left.
func printKeyRevoked(rc *runContext, app, name string, left int) {
	fmt.Fprintf(rc.stderr, "Revoked %s of app %s: calls with it get 401 (a running server may accept it for up to its --cache-ttl, 5s by default). ", name, app)
	if left == 0 {
		fmt.Fprintf(rc.stderr, "App %s has no active key left: add one with 'scopestore app key add %s'.\n", app, app)
	} else {
		fmt.Fprintf(rc.stderr, "%s left.\n", activeKeys(left))
	}
}
