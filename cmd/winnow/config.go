package main

import (
	"context"
	"fmt"

	"winnow/config"
)

func cmdConfig(ctx context.Context, args []string, s streams) error {
	fs := newFlagSet("config", "check FILE", s)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] != "check" {
		return usagef("config: want the subcommand check: winnow config check FILE")
	}
	if len(rest) != 2 {
		return usagef("config check: want exactly one FILE")
	}
	return runConfigCheck(rest[1], s)
}

// runConfigCheck loads file as the daemon would and prints every problem,
// one per line, or "ok".
func runConfigCheck(file string, s streams) error {
	cfg, err := config.Load(file)
	if err != nil {
		return configError(err, s.stdout)
	}
	fmt.Fprintf(s.stdout, "%s: ok (%d %s)\n", file, len(cfg.Jobs), plural(len(cfg.Jobs), "job", "jobs"))
	return nil
}
