package main

import (
	"context"
	"errors"
)

func cmdTrigger(ctx context.Context, args []string, s streams) error {
	return errors.New("trigger: not yet implemented")
}
