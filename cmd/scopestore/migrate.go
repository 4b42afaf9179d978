package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/scopestore/scopestore/scopes"
)

func migrateCommand() *command {
	return &command{
		name:  "migrate",
		usage: "[--connection NAME [--dry-run]] [flags]",
		short: "Bring the config store's schema, or a datasource's scope tables, up to date",
		long: "With no --connection it migrates the config store (serve and every other command do that on start too).\n" +
			"With --connection it shows the plan for that datasource's cf_session_data and cf_client_data tables —\n" +
			"create them, or migrate tables that Lucee created: remove duplicate (cfid, name) rows keeping the newest,\n" +
			"add the primary key, turn data into LONGTEXT, add the indexes — and runs it unless --dry-run is given.\n" +
			"First use of a storage datasource runs the same plan by itself.",
		flags: func(fs *flag.FlagSet) {
			fs.String("connection", "", "datasource connection whose scope tables to migrate")
			fs.Bool("dry-run", false, "with --connection: show the plan and change nothing")
		},
		run: withServices(migrate),
	}
}

func migrate(rc *runContext, svc *services, _ []string) error {
	name := rc.flags.Lookup("connection").Value.String()
	dryRun := rc.flags.Lookup("dry-run").Value.String() == "true"
	if name == "" {
		if dryRun {
			return usageErrorf("--dry-run needs --connection: the config store's migrations always run")
		}
		// open has migrated already; a second pass reports nothing left to do.
		applied, err := svc.config.Migrate(rc.ctx)
		if err != nil {
			return err
		}
		for _, m := range applied {
			fmt.Fprintf(rc.stdout, "applied %s\n", m)
		}
		fmt.Fprintf(rc.stdout, "config store (%s) is up to date\n", svc.config.Dialect())
		return nil
	}
	if dryRun {
		plan, err := svc.manager.Migrate(rc.ctx, name, true)
		if err != nil {
			return err
		}
		if len(plan) == 0 {
			fmt.Fprintf(rc.stdout, "%s: cf_session_data and cf_client_data are up to date; nothing to do\n", name)
			return nil
		}
		fmt.Fprintf(rc.stdout, "Plan for %s:\n", name)
		printSteps(rc.stdout, plan)
		fmt.Fprintln(rc.stdout, "dry run: nothing was changed; run again without --dry-run to apply it")
		return nil
	}
	done, err := svc.manager.Migrate(rc.ctx, name, false)
	if len(done) == 0 && err == nil {
		fmt.Fprintf(rc.stdout, "%s: cf_session_data and cf_client_data are up to date; nothing to do\n", name)
	} else {
		fmt.Fprintln(rc.stdout, "Done:")
		printSteps(rc.stdout, done)
	}
	if err != nil {
		return err
	}
	tables, err := svc.manager.Tables(rc.ctx, name)
	if err != nil {
		return err
	}
	return printTables(rc.stdout, tables)
}

func printSteps(w io.Writer, steps []scopes.MigrationStep) {
	for i, s := range steps {
		line := fmt.Sprintf("%2d. %s: %s", i+1, s.Table, s.Action)
		if s.Rows > 0 {
			line += fmt.Sprintf(" (%d rows)", s.Rows)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, strings.ReplaceAll(s.SQL, "\n", "\n      "))
	}
}

func printTables(out io.Writer, tables []scopes.TableStatus) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tEXISTS\tPRIMARY KEY\tDATA\tEXPIRES INDEX\tROWS\tEXPIRED\tNOT SCOPESTORE'S FORMAT")
	for _, t := range tables {
		fmt.Fprintf(w, "%s\t%t\t%s\t%s\t%t\t%d\t%d\t%d\n", t.Table, t.Exists, orDash(strings.Join(t.PrimaryKey, ", ")),
			orDash(t.DataType), t.ExpiresIndex, t.Rows, t.Expired, t.Undecodable)
	}
	return w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
