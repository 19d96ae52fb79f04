package main

import (
	"context"
	"errors"
)

func cmdCrawl(ctx context.Context, args []string, s streams) error {
	return errors.New("crawl: not yet implemented")
}
