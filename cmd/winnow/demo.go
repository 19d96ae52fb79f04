package main

import (
	"context"
	"errors"
)

func cmdDemo(ctx context.Context, args []string, s streams) error {
	return errors.New("demo: not yet implemented")
}
