package main

import (
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

func adminCommand() *command {
	return &command{
		name:  "admin",
		short: "Manage the console's users (their roles and passwords) and admin API tokens",
		long: "Administrators may do everything in the console; operators see every page, scope data masked, and change\n" +
			"nothing but their own password. Changes are audited as cli:USER.",
		subs: []*command{
			{name: "passwd", usage: "USER [flags]", args: 1, argName: "user name",
				short: "Set a console user's password (a lost one) and end every console session of the user",
				long: "The new password is read twice from a terminal prompt that does not echo it, or once, its first line,\n" +
					"from standard input when that is not a terminal: never from a flag, which the process list would show.\n" +
					"At least 12 characters. A password set so is typed, not generated: the user need not change it at login.\n" +
					"Example:\n  scopestore admin passwd admin",
				run: withServices(adminPasswd)},
			{name: "user", short: "List, add and delete the console's users, and set their roles", subs: []*command{
				{name: "list", usage: "[flags]", short: "List the users: name, role, created, last login (never a password)",
					run: withServices(adminUserList)},
				{name: "add", usage: "NAME [--role operator|administrator] [flags]", args: 1, argName: "user name",
					short: "Add a user and print its generated password alone on stdout",
					long: "The password is shown once and stored only as a bcrypt hash; at the first login the console asks the\n" +
						"user to choose their own, or 'scopestore admin passwd NAME' sets another. Example:\n" +
						"  PASSWORD=$(scopestore admin user add olga --role operator)",
					flags: adminUserAddFlags, run: withServices(adminUserAdd)},
				{name: "delete", usage: "NAME [flags]", args: 1, argName: "user name",
					short: "Delete a user and end its console sessions; the last administrator stays",
					run:   withServices(adminUserDelete)},
				{name: "role", usage: "NAME ROLE [flags]", args: 2, argName: "user name and role",
					short: "Make a user an administrator or an operator; the last administrator stays one",
					run:   withServices(adminUserRole)},
			}},
			adminTokenCommand(),
		},
	}
}

func adminUserAddFlags(fs *flag.FlagSet) {
	fs.String("role", scopes.RoleOperator, "operator (sees every page, changes nothing) or administrator (may do everything)")
}

// users is the service that changes the console's users.
func (s *services) users() admin.Users { return admin.Users{Store: s.config} }

func adminUserList(rc *runContext, svc *services, _ []string) error {
	users, err := svc.config.AdminUsers(rc.ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tCREATED\tLAST LOGIN")
	for _, u := range users {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Name, u.Role, cliTime(u.Created, "-"), cliTime(u.LastLogin, "never"))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(rc.stderr, "No user yet: the console's setup page makes the first administrator, or 'scopestore admin user add NAME --role administrator'.")
	}
	return nil
}

// adminUserAdd prints the generated password alone on stdout, so that a
// script can take it.
func adminUserAdd(rc *runContext, svc *services, args []string) error {
	role := rc.flags.Lookup("role").Value.String()
	if err := admin.CheckRole(role); err != nil {
		return usageErrorf("--role %s", scopes.ErrorMessage(err))
	}
	if err := admin.CheckUserName(args[0]); err != nil {
		return err
	}
	password, err := svc.users().AddGenerated(rc.ctx, args[0], role)
	if err != nil {
		return err
	}
	fmt.Fprintln(rc.stdout, password)
	fmt.Fprintf(rc.stderr, "Added %s as %s %s. This is the password; it is shown once and stored only as a bcrypt hash: "+
		"at the first login the console asks the user to choose their own.\n", args[0], article(role), role)
	return nil
}

func adminUserDelete(rc *runContext, svc *services, args []string) error {
	err := svc.users().Delete(rc.ctx, args[0])
	if err != nil {
		return userError(err, args[0])
	}
	fmt.Fprintf(rc.stderr, "Deleted user %s; its console sessions ended.\n", args[0])
	return nil
}

func adminUserRole(rc *runContext, svc *services, args []string) error {
	name, role := args[0], args[1]
	if err := admin.CheckRole(role); err != nil {
		return err
	}
	changed, err := svc.users().SetRole(rc.ctx, name, role)
	if err != nil {
		return userError(err, name)
	}
	if changed {
		fmt.Fprintf(rc.stderr, "%s is %s %s now; its open console sessions take the role with their next request.\n", name, article(role), role)
	} else {
		fmt.Fprintf(rc.stderr, "%s was %s %s already.\n", name, article(role), role)
	}
	return nil
}

func adminPasswd(rc *runContext, svc *services, args []string) error {
	name := args[0]
	if _, found, err := svc.config.AdminUser(rc.ctx, name); err != nil {
		return err
	} else if !found {
		return userError(scopes.Errorf(scopes.ENotFound, "there is no user %s", name), name)
	}
	password, err := readNewPassword(rc, name)
	if err != nil {
		return err
	}
	err = svc.users().SetPassword(rc.ctx, name, password, "", "password set with 'scopestore admin passwd'; every console session of "+name+" ended")
	if err != nil {
		return userError(err, name)
	}
	fmt.Fprintf(rc.stderr, "The password of %s is set; its console sessions ended.\n", name)
	return nil
}

// userError adds to a user's refusal the command that helps.
func userError(err error, name string) error {
	msg := scopes.ErrorMessage(err)
	switch {
	case scopes.ErrorCode(err) == scopes.ENotFound:
		return &scopes.Error{Code: scopes.ENotFound, Err: err, Message: msg + ": 'scopestore admin user list' lists the users"}
	case errors.Is(err, scopes.ErrLastAdministrator):
		return &scopes.Error{Code: scopes.EConflict, Err: err, Message: msg + " ('scopestore admin user role NAME administrator')"}
	}
	return err
}

// article is the indefinite article before a role: "an operator".
func article(role string) string {
	if role != "" && (role[0] == 'a' || role[0] == 'o') {
		return "an"
	}
	return "a"
}
