package daemon

import (
	"context"
	"time"

	"winnow/crawler"
)

// openRedis connects to the Redis state backend at addr, failing when it
// does not answer within a few seconds.
func openRedis(addr string) (crawler.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := crawler.OpenRedis(ctx, addr)
	if err != nil {
		return nil, err
	}
	return s, nil
}
