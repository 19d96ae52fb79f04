package daemon

import (
	"context"
	"log/slog"
	"time"

	"winnow/crawler"
)

// openRedis returns the Redis state backend at addr without waiting for
// it: a daemon whose Redis is down starts, answers /readyz with 503 and
// the reason, and works once Redis answers (see WaitForStore).
func openRedis(addr string, log *slog.Logger) (crawler.Store, error) {
	s, err := crawler.NewRedis(addr, log)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// WaitForStore pings store until it answers or ctx ends, with backoff,
// logging while it does not: the state backend at start-up.
func WaitForStore(ctx context.Context, store interface {
	Ping(context.Context) error
}, log *slog.Logger) error {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := store.Ping(pctx)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info("state backend reachable", "attempts", attempt)
			}
			return nil
		}
		log.Warn("state backend unreachable; retrying", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}
