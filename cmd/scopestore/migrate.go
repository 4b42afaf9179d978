package main

import "fmt"

func migrateCommand() *command {
	return &command{
		name:  "migrate",
		usage: "[flags]",
		short: "Bring the config store's schema up to date",
		long:  "serve and every other command migrate the config store on start too; this command does it alone,\ne.g. before a rolling upgrade, and says what it applied.",
		run: withServices(func(rc *runContext, svc *services, _ []string) error {
			// open has migrated already; a second pass reports nothing left to do.
			applied, err := svc.config.Migrate(rc.ctx)
			if err != nil {
				return err
			}
			for _, name := range applied {
				fmt.Fprintf(rc.stdout, "applied %s\n", name)
			}
			fmt.Fprintf(rc.stdout, "config store (%s) is up to date\n", svc.config.Dialect())
			return nil
		}),
	}
}
