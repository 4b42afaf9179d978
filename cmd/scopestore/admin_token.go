package main

import (
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/scopestore/scopestore/scopes"
)

func adminTokenCommand() *command {
	return &command{name: "token", short: "Create, list and revoke admin API tokens, which --server and --token use",
		long: "An admin API token lets the command line (--server URL --token T) and scripts use the admin JSON API\n" +
			"as its user, with the user's role at the time of each request. Only its SHA-256 hash is stored.",
		subs: []*command{
			{name: "create", usage: "[--user NAME] [--name N] [flags]",
				short: "Create a token for a console user and print it alone on stdout",
				long: "--user defaults to the only administrator, or to admin when there are several.\n" +
					"Example:\n  export SCOPESTORE_TOKEN=$(scopestore admin token create --name laptop)\n" +
					"  scopestore --server http://127.0.0.1:8080 sessions list --app shop",
				flags: adminTokenCreateFlags, run: withServices(adminTokenCreate)},
			{name: "list", usage: "[--all] [flags]", short: "List the active tokens: id, user, name, created, last used (never the token)",
				flags: func(fs *flag.FlagSet) { fs.Bool("all", false, "list revoked tokens too") },
				run:   withServices(adminTokenList)},
			{name: "revoke", usage: "ID [flags]", args: 1, argName: "token ID",
				short: "Revoke a token: requests that send it get 401 at once", run: withServices(adminTokenRevoke)},
		}}
}

func adminTokenCreateFlags(fs *flag.FlagSet) {
	fs.String("user", "", "the console user the token acts for, with its role (default: the only administrator, or admin)")
	fs.String("name", "", "what the token is for, e.g. laptop (default: token)")
}

// tokenUser is --user, or the user a token is made for by default: the
// only administrator, or admin among several.
func tokenUser(rc *runContext, svc *services) (string, error) {
	if u := rc.flags.Lookup("user").Value.String(); u != "" {
		return u, nil
	}
	users, err := svc.config.AdminUsers(rc.ctx)
	if err != nil {
		return "", err
	}
	var admins []string
	for _, u := range users {
		if u.Role == scopes.RoleAdministrator {
			admins = append(admins, u.Name)
		}
	}
	switch {
	case len(admins) == 1:
		return admins[0], nil
	case len(admins) == 0:
		return "", scopes.Errorf(scopes.ENotFound, "the console has no administrator yet: finish its setup page, "+
			"or 'scopestore admin user add NAME --role administrator', then create the token")
	}
	for _, a := range admins {
		if a == "admin" {
			return a, nil
		}
	}
	return "", usageErrorf("there are %d administrators: name the token's user with --user", len(admins))
}

func adminTokenCreate(rc *runContext, svc *services, _ []string) error {
	user, err := tokenUser(rc, svc)
	if err != nil {
		return err
	}
	token, t, err := svc.users().CreateToken(rc.ctx, user, rc.flags.Lookup("name").Value.String())
	if err != nil {
		return err
	}
	fmt.Fprintln(rc.stdout, token)
	fmt.Fprintf(rc.stderr, "Created %s. This is the token; it is shown once and stored only as a hash.\n"+
		"Use it with --server URL --token T, or SCOPESTORE_SERVER and SCOPESTORE_TOKEN.\n", t.Title())
	return nil
}

func adminTokenList(rc *runContext, svc *services, _ []string) error {
	tokens, err := svc.users().Tokens(rc.ctx, "")
	if err != nil {
		return err
	}
	all := rc.flags.Lookup("all").Value.String() == "true"
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	header := "ID\tUSER\tNAME\tCREATED\tLAST USED"
	if all {
		header += "\tREVOKED"
	}
	fmt.Fprintln(w, header)
	shown := 0
	for _, t := range tokens {
		if !all && !t.Active() {
			continue
		}
		shown++
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s", t.ID, t.User, t.Name, cliTime(t.Created, "-"), cliTime(t.LastUsed, "never"))
		if all {
			fmt.Fprintf(w, "\t%s", cliTime(t.Revoked, "-"))
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if shown == 0 {
		fmt.Fprintln(rc.stderr, "No active admin API token: 'scopestore admin token create' makes one.")
	}
	return nil
}

func adminTokenRevoke(rc *runContext, svc *services, args []string) error {
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return usageErrorf("%q is not a token ID: 'scopestore admin token list' shows them", args[0])
	}
	t, err := svc.users().RevokeToken(rc.ctx, id, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(rc.stderr, "Revoked %s: requests that send it get 401.\n", t.Title())
	return nil
}
