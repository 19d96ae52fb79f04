package main

import (
	"context"
	"errors"
)

func cmdEval(ctx context.Context, args []string, s streams) error {
	return errors.New("eval: not yet implemented")
}
