package main

import (
	"context"
	"errors"
)

func cmdClean(ctx context.Context, args []string, s streams) error {
	return errors.New("clean: not yet implemented")
}
