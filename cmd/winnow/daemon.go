package main

import (
	"context"
	"errors"
)

func cmdDaemon(ctx context.Context, args []string, s streams) error {
	return errors.New("daemon: not yet implemented")
}
