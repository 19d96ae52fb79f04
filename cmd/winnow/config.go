package main

import (
	"context"
	"errors"
)

func cmdConfig(ctx context.Context, args []string, s streams) error {
	return errors.New("config: not yet implemented")
}
