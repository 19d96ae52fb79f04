package crawler

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisGate is the politeness gate of a job shared by every replica: per
// host, a sorted set of request tokens in flight (each with an expiry, so a
// dead replica's tokens lapse) caps the cluster's parallel requests, and a
// next-allowed time spaces them by the host's delay. An acquire is one
// script call; releases are carried by the replica's next acquire, or sent
// on their own after a few milliseconds when none comes, so the gate costs
// about one round trip per request.
type redisGate struct {
	s        *RedisStore
	job      string
	parallel int
	delay    time.Duration
	hold     time.Duration // how long a token lives without its release

	seq atomic.Uint64

	mu      sync.Mutex
	delays  map[string]time.Duration // Crawl-delay per host
	held    map[string][]string      // host -> tokens this replica holds
	pending []heldToken              // released, not yet sent
	timer   *time.Timer
}

type heldToken struct{ host, token string }

// acquireScript: KEYS slots, next, then the slots keys of the releases;
// ARGV parallel, delay ms, hold ms, token, then the released tokens.
// Returns -1 when the host has no free slot, else the milliseconds to wait
// for the host's turn (the slot is taken).
var acquireScript = redis.NewScript(`
for i = 3, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[i + 2])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
local at = tonumber(redis.call('GET', KEYS[2]) or '0')
if at < now then at = now end
local delay = tonumber(ARGV[2])
redis.call('SET', KEYS[2], at + delay, 'PX', at - now + delay + 60000)
redis.call('ZADD', KEYS[1], at + tonumber(ARGV[3]), ARGV[4])
return at - now
`)

// releaseScript: KEYS slots keys; ARGV tokens.
var releaseScript = redis.NewScript(`
for i = 1, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[i])
end
return 0
`)

// renewSlotsScript: KEYS the slots keys; ARGV hold ms, then the tokens.
var renewSlotsScript = redis.NewScript(`
local t = redis.call('TIME')
local exp = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', exp, ARGV[i + 1])
end
return 0
`)

// Gate returns the job's cluster-wide politeness gate. A request token
// lives for hold unless renewed (renew, every hold/3 while requests are in
// flight), so a dead replica's tokens lapse as its leases do.
func (s *RedisStore) Gate(job string, parallel int, delay, hold time.Duration) politeGate {
	return &redisGate{
		s: s, job: job, parallel: max(parallel, 1), delay: delay, hold: hold,
		delays: map[string]time.Duration{}, held: map[string][]string{},
	}
}

func (g *redisGate) slotsKey(host string) string {
	return keysOf(g.job).with(g.job, "host:"+host+":slots")
}
func (g *redisGate) nextKey(host string) string {
	return keysOf(g.job).with(g.job, "host:"+host+":next")
}

func (g *redisGate) setDelay(host string, d time.Duration) {
	g.mu.Lock()
	g.delays[host] = max(g.delays[host], d)
	g.mu.Unlock()
}

func (g *redisGate) takePending() []heldToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pending
	g.pending = nil
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	return p
}

func (g *redisGate) acquire(ctx context.Context, host string) error {
	g.mu.Lock()
	delay := max(g.delay, g.delays[host])
	g.mu.Unlock()
	token := g.s.owner + ":" + strconv.FormatUint(g.seq.Add(1), 10)
	backoff := 10 * time.Millisecond
	for {
		rel := g.takePending()
		keys := []string{g.slotsKey(host), g.nextKey(host)}
		args := []any{g.parallel, delay.Milliseconds(), g.hold.Milliseconds(), token}
		for _, r := range rel {
			keys = append(keys, g.slotsKey(r.host))
			args = append(args, r.token)
		}
		var wait int64
		err := g.s.retry(ctx, func(ctx context.Context) error {
			var err error
			wait, err = acquireScript.Run(ctx, g.s.rdb, keys, args...).Int64()
			return err
		})
		if err != nil {
			return err // the tokens not released lapse after hold
		}
		if wait >= 0 {
			g.mu.Lock()
			g.held[host] = append(g.held[host], token)
			g.mu.Unlock()
			if wait > 0 {
				t := time.NewTimer(time.Duration(wait) * time.Millisecond)
				select {
				case <-ctx.Done():
					t.Stop()
					g.release(host)
					return ctx.Err()
				case <-t.C:
				}
			}
			return nil
		}
		// Every slot of the host is taken, here or on other replicas.
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// renew extends the tokens this replica holds.
func (g *redisGate) renew(ctx context.Context) error {
	g.mu.Lock()
	var keys []string
	args := []any{g.hold.Milliseconds()}
	for host, toks := range g.held {
		for _, tok := range toks {
			keys = append(keys, g.slotsKey(host))
			args = append(args, tok)
		}
	}
	g.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	return g.s.retry(ctx, func(ctx context.Context) error {
		return renewSlotsScript.Run(ctx, g.s.rdb, keys, args...).Err()
	})
}

// releaseDelay is how long a release waits for an acquire to carry it.
const releaseDelay = 25 * time.Millisecond

func (g *redisGate) release(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	toks := g.held[host]
	if len(toks) == 0 {
		return
	}
	tok := toks[len(toks)-1]
	g.held[host] = toks[:len(toks)-1]
	g.pending = append(g.pending, heldToken{host, tok})
	if g.timer == nil {
		g.timer = time.AfterFunc(releaseDelay, g.flush)
	}
}

// flush sends the releases no acquire carried.
func (g *redisGate) flush() {
	rel := g.takePending()
	if len(rel) == 0 {
		return
	}
	keys := make([]string, 0, len(rel))
	args := make([]any, 0, len(rel))
	for _, r := range rel {
		keys = append(keys, g.slotsKey(r.host))
		args = append(args, r.token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.s.retry(ctx, func(ctx context.Context) error {
		return releaseScript.Run(ctx, g.s.rdb, keys, args...).Err()
	}); err != nil {
		g.s.log.Warn("release host slots", "err", err) // they lapse after hold
	}
}
