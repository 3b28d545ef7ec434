package app

import (
	"context"
	"flag"

	"mamori/internal/config"
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
