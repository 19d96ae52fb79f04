package crawler

import (
	"context"
	"fmt"
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
// script call. A request's token is given back when the request is over,
// a write that rides along with the store's next request; but when the
// host has no delay, it is first kept for releaseDelay, and a request of
// this replica to the host that comes meanwhile takes it without asking
// Redis (up to maxTokenUses requests per token, so the replicas take
// turns). The cluster-wide cap is unchanged: a token is still one request
// in flight at most, and the others' view of it is what it was when a
// release waited for a carrier anyway.
type redisGate struct {
	s        *RedisStore
	job      string
	parallel int
	delay    time.Duration
	hold     time.Duration // how long a token lives without its release

	seq atomic.Uint64

	mu     sync.Mutex
	delays map[string]time.Duration // Crawl-delay per host
	held   map[string][]gateToken   // host -> tokens of requests in flight
	idle   map[string][]gateToken   // host -> tokens kept for the next request
	timer  *time.Timer              // gives back the idle tokens
}

// gateToken is a request token this replica holds.
type gateToken struct {
	token string
	uses  int       // requests made with it
	since time.Time // idle since
}

// maxTokenUses bounds the requests one token serves before it is given
// back, so that a busy replica does not keep a host's slots to itself.
const maxTokenUses = 8

// acquireScript: KEYS slots, next, line, seen; ARGV parallel, delay ms,
// hold ms, token, owner, wait ms. Returns {-1, 1} when the host has no
// slot for the caller, else {the milliseconds to wait for the host's turn
// (the slot is taken), 1 when other replicas wait for a slot}. Replicas
// refused a slot wait in line, in the order they were first refused
// (line: owner -> when it joined, in µs; seen: owner -> when it leaves
// the line unless it asks again within wait ms): a free slot goes to the first in
// line, so a replica that gives a slot back and asks again at once does
// not keep it from one that has been waiting.
var acquireScript = newLua(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, o in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('ZREM', KEYS[3], o)
  redis.call('ZREM', KEYS[4], o)
end
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[3], ARGV[5])
local ahead = rank or redis.call('ZCARD', KEYS[3])
if free <= ahead then
  local wait = tonumber(ARGV[6])
  redis.call('ZADD', KEYS[3], 'NX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[5])
  redis.call('ZADD', KEYS[4], now + wait, ARGV[5])
  redis.call('PEXPIRE', KEYS[3], wait)
  redis.call('PEXPIRE', KEYS[4], wait)
  return {-1, 1}
end
if rank then
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('ZREM', KEYS[4], ARGV[5])
end
local at = tonumber(redis.call('GET', KEYS[2]) or '0')
if at < now then at = now end
local delay = tonumber(ARGV[2])
redis.call('SET', KEYS[2], at + delay, 'PX', at - now + delay + 60000)
redis.call('ZADD', KEYS[1], at + tonumber(ARGV[3]), ARGV[4])
local contended = 0
if redis.call('ZCARD', KEYS[3]) > 0 then contended = 1 end
return {at - now, contended}
`)

// waitInLine is how long a replica refused a slot stays in the host's line
// after it last asked (more than the longest pause between its polls).
const waitInLine = 300 * time.Millisecond

// renewSlotsScript: KEYS the slots keys; ARGV hold ms, then the tokens.
var renewSlotsScript = newLua(`
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
		delays: map[string]time.Duration{}, held: map[string][]gateToken{}, idle: map[string][]gateToken{},
	}
}

func (g *redisGate) slotsKey(host string) string {
	return keysOf(g.job).with(g.job, "host:"+host+":slots")
}
func (g *redisGate) nextKey(host string) string {
	return keysOf(g.job).with(g.job, "host:"+host+":next")
}
func (g *redisGate) lineKeys(host string) (line, seen string) {
	k := keysOf(g.job)
	return k.with(g.job, "host:"+host+":line"), k.with(g.job, "host:"+host+":seen")
}

func (g *redisGate) setDelay(host string, d time.Duration) {
	g.mu.Lock()
	g.delays[host] = max(g.delays[host], d)
	g.mu.Unlock()
}

// reuse takes an idle token of host, when it has no delay.
func (g *redisGate) reuse(host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	toks := g.idle[host]
	if len(toks) == 0 || max(g.delay, g.delays[host]) > 0 {
		return false
	}
	t := toks[len(toks)-1]
	g.idle[host] = toks[:len(toks)-1]
	t.uses++
	g.held[host] = append(g.held[host], t)
	return true
}

func (g *redisGate) acquire(ctx context.Context, host string) error {
	if g.reuse(host) {
		return nil
	}
	g.mu.Lock()
	delay := max(g.delay, g.delays[host])
	g.mu.Unlock()
	token := g.s.owner + ":" + strconv.FormatUint(g.seq.Add(1), 10)
	backoff := 10 * time.Millisecond
	inLine := false
	// leaveLine takes this replica out of the host's line once a worker
	// got a kept slot instead (a write that rides along).
	leaveLine := func() {
		if inLine {
			line, seen := g.lineKeys(host)
			owner := g.s.owner
			g.s.later(
				deferredOp{op: cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.ZRem(ctx, line, owner) })},
				deferredOp{op: cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.ZRem(ctx, seen, owner) })},
			)
		}
	}
	for {
		line, seen := g.lineKeys(host)
		keys := []string{g.slotsKey(host), g.nextKey(host), line, seen}
		c, err := g.s.call1(ctx, scriptOp(acquireScript, keys, g.parallel, delay.Milliseconds(), g.hold.Milliseconds(), token, g.s.owner, waitInLine.Milliseconds()))
		var res []int64
		if err == nil {
			res, err = c.(*redis.Cmd).Int64Slice()
		}
		if err == nil && len(res) != 2 {
			err = fmt.Errorf("acquire a slot of %s: answer %v", host, res)
		}
		if err != nil {
			return err
		}
		if wait := res[0]; wait >= 0 {
			t := gateToken{token: token, uses: 1}
			if res[1] == 1 {
				t.uses = maxTokenUses // others wait: give it back after this request
			}
			g.mu.Lock()
			g.held[host] = append(g.held[host], t)
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
		// Every slot of the host is taken, here or on other replicas, or
		// kept for replicas waiting longer.
		inLine = true
		if g.reuse(host) {
			leaveLine()
			return nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if g.reuse(host) {
			leaveLine()
			return nil
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// renew extends the tokens this replica holds, in use or idle, with the
// store's next request.
func (g *redisGate) renew(ctx context.Context) error {
	g.mu.Lock()
	var keys []string
	args := []any{g.hold.Milliseconds()}
	for _, m := range []map[string][]gateToken{g.held, g.idle} {
		for host, toks := range m {
			for _, t := range toks {
				keys = append(keys, g.slotsKey(host))
				args = append(args, t.token)
			}
		}
	}
	g.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	g.s.later(deferredOp{op: scriptOp(renewSlotsScript, keys, args...), done: func(err error) {
		if err != nil {
			g.s.log.Warn("host slot renewal failed", "err", err) // they lapse after hold
		}
	}})
	return nil
}

// releaseDelay is how long a token waits for this replica's next request
// to its host.
const releaseDelay = 25 * time.Millisecond

func (g *redisGate) release(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	toks := g.held[host]
	if len(toks) == 0 {
		return
	}
	t := toks[len(toks)-1]
	g.held[host] = toks[:len(toks)-1]
	if t.uses >= maxTokenUses || max(g.delay, g.delays[host]) > 0 {
		g.giveBack(host, t.token)
		return
	}
	t.since = time.Now()
	g.idle[host] = append(g.idle[host], t)
	if g.timer == nil {
		g.timer = time.AfterFunc(releaseDelay, g.sweep)
	}
}

// sweep gives back the tokens idle for releaseDelay.
func (g *redisGate) sweep() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.timer = nil
	now := time.Now()
	var next time.Duration
	for host, toks := range g.idle {
		kept := toks[:0]
		for _, t := range toks {
			if left := releaseDelay - now.Sub(t.since); left > 0 {
				kept = append(kept, t)
				if next == 0 || left < next {
					next = left
				}
				continue
			}
			g.giveBack(host, t.token)
		}
		if len(kept) == 0 {
			delete(g.idle, host)
		} else {
			g.idle[host] = kept
		}
	}
	if next > 0 {
		g.timer = time.AfterFunc(next, g.sweep)
	}
}

// giveBack queues the release of a token (it lapses after hold if the
// release never reaches Redis). Callers hold g.mu.
func (g *redisGate) giveBack(host, token string) {
	key := g.slotsKey(host)
	g.s.later(deferredOp{
		op: cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.ZRem(ctx, key, token) }),
		done: func(err error) {
			if err != nil {
				g.s.log.Warn("release host slot", "err", err)
			}
		},
	})
}
