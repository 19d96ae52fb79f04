package daemon

import (
	"fmt"

	"winnow/crawler"
)

// openRedis opens the Redis state backend. The crawler has no Redis store
// yet (the distributed issue adds it), so this fails clearly instead of
// falling back to another backend.
func openRedis(addr string) (crawler.Store, error) {
	return nil, fmt.Errorf("open state redis://%s: the redis backend is not implemented yet; use state.backend: bolt", addr)
}
