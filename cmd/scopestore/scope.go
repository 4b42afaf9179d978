package main

import "flag"

func scopeCommand() *command {
	return &command{
		name:  "scope",
		short: "Server defaults for the scopes, and the server scope",
		subs: []*command{
			{name: "defaults", usage: "[--session-storage NAME] [--client-timeout 90d] [… flags]",
				short: "Show the server defaults, or change them",
				long: "Apps inherit these settings unless they declare their own. With no setting flags it prints them;\n" +
					"'inherit' puts a setting back to its built-in default. A change that would leave an app unable to\n" +
					"work is refused with the names of those apps.",
				flags: func(fs *flag.FlagSet) { settingFlags(fs); settingsChangeFlags(fs) }, run: withServer(scopeDefaults, scopeDefaultsRemote)},
			scopeServerCommand(),
		},
	}
}

func scopeDefaults(rc *runContext, svc *services, _ []string) error {
	values := settingValues(rc.flags)
	if len(values) == 0 {
		eff, err := svc.directory.ServerSettings(rc.ctx)
		if err != nil {
			return err
		}
		return printEffective(rc.stdout, eff, svc.storageNames(rc.ctx))
	}
	if err := refuseUnreachable(rc, svc, values); err != nil {
		return err
	}
	eff, err := svc.directory.SetServerSettings(rc.ctx, values)
	if err != nil {
		return err
	}
	return printEffective(rc.stdout, eff, svc.storageNames(rc.ctx))
}
