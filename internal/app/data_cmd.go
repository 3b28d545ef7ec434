package app

import (
	"context"
	"flag"
	"strings"

	"mamori/internal/config"
	"mamori/internal/module"
)

// dataCommand is a sub-command that works on a deployment's data: it
// takes --data and --db like serve, its own flags, and positional
// arguments, and runs with the App open.
type dataCommand struct {
	name, synopsis string
	flags          func(fs *flag.FlagSet)  // extra flags (optional)
	args           func(pos []string) bool // positional arguments are right (optional)
	run            func(a *App, cfg config.Config, pos []string) error
}

// runData parses flags, checks arguments, opens the App and runs the command.
func (c CLI) runData(ctx context.Context, args []string, dc dataCommand) error {
	cfg := loadConfig()
	fs := c.flags(dc.name, dc.synopsis, &cfg)
	if dc.flags != nil {
		dc.flags(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if dc.args != nil && !dc.args(pos) {
		fs.Usage()
		return exitError(2)
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	return dc.run(a, cfg, pos)
}

// one is an args check for exactly one positional argument.
func one(pos []string) bool { return len(pos) == 1 }

// moduleCLI is what a module's sub-command gets: the streams, flag sets with
// Japanese usage, and the way to open the deployment's data.
func (c CLI) moduleCLI() *module.CLI {
	return &module.CLI{Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
		Flags: c.plainFlags,
		Data: func(ctx context.Context, args []string, dc module.DataCommand) error {
			return c.runData(ctx, args, dataCommand{name: dc.Name, synopsis: dc.Synopsis, flags: dc.Flags, args: dc.Args,
				run: func(a *App, _ config.Config, pos []string) error { return dc.Run(a.Deps(), pos) }})
		}}
}

// moduleCommands lists the modules' sub-commands by name. The modules are
// built without a database: a command opens one through module.CLI.Data.
func (c CLI) moduleCommands() map[string]module.Command {
	out := map[string]module.Command{}
	for _, m := range c.commandModules() {
		if cm, ok := m.(module.Commander); ok {
			for _, cmd := range cm.Commands() {
				out[cmd.Name] = cmd
			}
		}
	}
	return out
}

// moduleUsage is the modules' lines for `mamori --help`, in list order.
func (c CLI) moduleUsage() string {
	var b strings.Builder
	for _, m := range c.commandModules() {
		if cm, ok := m.(module.Commander); ok {
			for _, cmd := range cm.Commands() {
				if cmd.Usage == "" {
					continue
				}
				for _, line := range strings.Split(strings.TrimRight(cmd.Usage, "\n"), "\n") {
					b.WriteString("  " + line + "\n")
				}
			}
		}
	}
	return b.String()
}

// commandModules are the modules built without services, for listing their
// sub-commands.
func (c CLI) commandModules() []module.Module {
	ms := (&App{}).modules(module.Deps{})
	for _, m := range c.Options.Extra {
		ms = append(ms, m(module.Deps{}))
	}
	return ms
}
