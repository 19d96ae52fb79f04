package crawler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Round trips. A page of a crawl sharing its state in Redis needs a few
// answers from Redis at once (its host's request slot, its site's template
// evidence, the commit of its document) and sends a few writes nobody
// waits for (its acknowledgement with its record and links, its template
// fingerprints, a request slot given back). The writes wait in the store's
// outbox and ride along in the pipeline of the next request that needs an
// answer, ahead of it, so they cost no round trip of their own; one left
// waiting outboxDelay without a carrier is sent on its own. Because the
// outbox goes first, every answer this store gets reflects every write it
// queued before asking.

// outboxDelay is how long a write waits for a request to carry it.
const outboxDelay = 20 * time.Millisecond

// luaScript is a script called in pipelines, with its source.
type luaScript struct {
	*redis.Script
	src string
}

func newLua(src string) luaScript { return luaScript{redis.NewScript(src), src} }

// pipelined are the scripts called in pipelines. Each new connection
// loads them first (one round trip per connection, so also after Redis
// restarted), so that a pipeline's scripts run in order; only a server
// that forgot them while connected (SCRIPT FLUSH) makes pipeline send the
// unknown ones again, after the others.
var pipelined = []luaScript{enqueueScript, doneScript, leaseScript, renewScript, commitScript, takeOverScript, acquireScript, renewSlotsScript, recordTemplateScript}

func loadScripts(ctx context.Context, cn *redis.Conn) error {
	_, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, sc := range pipelined {
			p.ScriptLoad(ctx, sc.src)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load scripts: %w", err)
	}
	return nil
}

// op is one command of a round trip: a script call, or a plain command.
type op struct {
	script luaScript
	keys   []string
	args   []any
	cmd    func(ctx context.Context, p redis.Pipeliner) redis.Cmder // when script is nil
}

func scriptOp(s luaScript, keys []string, args ...any) op {
	return op{script: s, keys: keys, args: args}
}

func cmdOp(f func(ctx context.Context, p redis.Pipeliner) redis.Cmder) op { return op{cmd: f} }

// queue adds o to p: a script by its hash, or by its source (eval) when
// the server does not know it (it restarted or was flushed).
func (o op) queue(ctx context.Context, p redis.Pipeliner, eval bool) redis.Cmder {
	switch {
	case o.script.Script == nil:
		return o.cmd(ctx, p)
	case eval:
		return o.script.Eval(ctx, p, o.keys, o.args...)
	default:
		return o.script.EvalSha(ctx, p, o.keys, o.args...)
	}
}

// deferredOp is a write in the outbox; done gets its outcome (nil: done).
type deferredOp struct {
	op
	done func(error)
}

// outbox holds the writes waiting for a carrier.
type outbox struct {
	mu     sync.Mutex
	ops    []deferredOp
	timer  *time.Timer
	alone  bool             // a sendOutbox is under way: no second one is started
	err    map[string]error // job -> the first failed acknowledgement not yet reported
	closed bool             // the store is closed: writes fail at once

	carrying int        // round trips under way with writes of the outbox
	settled  *sync.Cond // signalled when carrying drops (on mu)
}

// later queues writes for the next round trip.
func (s *RedisStore) later(ops ...deferredOp) {
	s.out.mu.Lock()
	if s.out.closed {
		s.out.mu.Unlock()
		for _, d := range ops {
			if d.done != nil {
				d.done(redis.ErrClosed)
			}
		}
		return
	}
	defer s.out.mu.Unlock()
	s.out.ops = append(s.out.ops, ops...)
	s.armLocked()
}

// take empties the outbox; the caller carries what it returns and calls
// carried when its round trip is over.
func (s *RedisStore) take() []deferredOp {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	ops := s.out.ops
	s.out.ops = nil
	if s.out.timer != nil {
		s.out.timer.Stop()
		s.out.timer = nil
	}
	if len(ops) > 0 {
		s.out.carrying++
	}
	return ops
}

// carried ends the round trip of writes take returned.
func (s *RedisStore) carried(ops []deferredOp) {
	if len(ops) == 0 {
		return
	}
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	s.out.carrying--
	if s.out.settled != nil {
		s.out.settled.Broadcast()
	}
}

// settle sends the outbox and waits until every write queued before it
// has reached Redis or failed, whichever request carried it.
func (s *RedisStore) settle(ctx context.Context) error {
	for {
		if err := s.flush(ctx); err != nil {
			return err
		}
		s.out.mu.Lock()
		if s.out.settled == nil {
			s.out.settled = sync.NewCond(&s.out.mu)
		}
		for s.out.carrying > 0 {
			s.out.settled.Wait()
		}
		// A round trip that failed put its writes back: send them too.
		empty := len(s.out.ops) == 0
		s.out.mu.Unlock()
		if empty {
			return nil
		}
	}
}

// putBack returns writes a failed round trip carried to the front of the
// outbox.
func (s *RedisStore) putBack(ops []deferredOp) {
	if len(ops) == 0 {
		return
	}
	s.out.mu.Lock()
	if s.out.closed {
		s.out.mu.Unlock()
		for _, d := range ops {
			if d.done != nil {
				d.done(redis.ErrClosed)
			}
		}
		return
	}
	defer s.out.mu.Unlock()
	s.out.ops = append(ops, s.out.ops...)
	s.armLocked()
}

// armLocked starts the timer that sends the outbox on its own, unless it
// runs or a send is under way (which arms it again when it is done: while
// Redis is away, one goroutine waits for it, not one per write). Callers
// hold s.out.mu.
func (s *RedisStore) armLocked() {
	if s.out.timer == nil && !s.out.alone {
		s.out.timer = time.AfterFunc(outboxDelay, s.sendOutbox)
	}
}

// sendOutbox sends the writes no request carried.
func (s *RedisStore) sendOutbox() {
	s.out.mu.Lock()
	if s.out.alone {
		s.out.timer = nil // the send under way arms it again
		s.out.mu.Unlock()
		return
	}
	s.out.alone = true
	s.out.mu.Unlock()
	defer func() {
		s.out.mu.Lock()
		s.out.alone = false
		if len(s.out.ops) > 0 && !s.out.closed {
			s.armLocked()
		}
		s.out.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.MaxOutage+time.Minute)
	defer cancel()
	if _, err := s.roundTrip(ctx, true); err != nil {
		// Given up (Redis away for MaxOutage, or the store closed): each
		// write says so; the acknowledgements' items go back to the
		// frontier when their leases lapse.
		ops := s.take()
		s.carried(ops)
		for _, d := range ops {
			if d.done != nil {
				d.done(err)
			}
		}
	}
}

// flush sends what the outbox holds now and waits for it.
func (s *RedisStore) flush(ctx context.Context) error {
	_, err := s.roundTrip(ctx, true)
	return err
}

// failed records a failed acknowledgement of job, reported by the job's
// next Lease or Done.
func (s *RedisStore) failed(job string, err error) {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	if s.out.err == nil {
		s.out.err = map[string]error{}
	}
	if s.out.err[job] == nil {
		s.out.err[job] = err
	}
}

// failure returns and forgets job's failed acknowledgement, if any.
func (s *RedisStore) failure(job string) error {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	err := s.out.err[job]
	delete(s.out.err, job)
	return err
}

// roundTrip sends the outbox and then ops in one pipeline and returns ops'
// answers; each answer's Err is that command's own error (redis.Nil for a
// missing key). With retry it waits for Redis while it is away (see
// retry); the writes it carried go back to the outbox when it fails.
func (s *RedisStore) roundTrip(ctx context.Context, retry bool, ops ...op) ([]redis.Cmder, error) {
	carried := s.take()
	defer s.carried(carried)
	if len(carried) == 0 && len(ops) == 0 {
		return nil, nil
	}
	all := make([]op, 0, len(carried)+len(ops))
	for _, d := range carried {
		all = append(all, d.op)
	}
	all = append(all, ops...)
	var cmds []redis.Cmder
	run := func(ctx context.Context) error {
		var err error
		cmds, err = s.pipeline(ctx, all)
		return err
	}
	var err error
	if retry {
		err = s.retry(ctx, run)
	} else {
		err = run(ctx)
	}
	if err != nil {
		s.putBack(carried)
		return nil, err
	}
	for i, d := range carried {
		if d.done == nil {
			continue
		}
		if err := cmds[i].Err(); err != nil && !errors.Is(err, redis.Nil) {
			d.done(err)
		} else {
			d.done(nil)
		}
	}
	return cmds[len(carried):], nil
}

// pipeline runs ops in one pipeline. It fails only when the pipeline as a
// whole did (the connection); a script the server did not know is sent
// again with its source, in a second round trip.
func (s *RedisStore) pipeline(ctx context.Context, ops []op) ([]redis.Cmder, error) {
	cmds := make([]redis.Cmder, len(ops))
	run := func(idx []int, eval bool) error {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range idx {
				cmds[i] = ops[i].queue(ctx, p, eval)
			}
			return nil
		})
		var rerr redis.Error
		if err != nil && !errors.As(err, &rerr) {
			return err
		}
		return nil
	}
	idx := make([]int, len(ops))
	for i := range idx {
		idx[i] = i
	}
	if err := run(idx, false); err != nil {
		return nil, err
	}
	var again []int
	for i, c := range cmds {
		if ops[i].script.Script != nil && c.Err() != nil && strings.HasPrefix(c.Err().Error(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		if err := run(again, true); err != nil {
			return nil, err
		}
	}
	return cmds, nil
}

// call is one request: ops (carrying the outbox), retried while Redis is
// away; it fails with the first command's error.
func (s *RedisStore) call(ctx context.Context, ops ...op) ([]redis.Cmder, error) {
	cmds, err := s.roundTrip(ctx, true, ops...)
	if err != nil {
		return nil, err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return cmds, err
		}
	}
	return cmds, nil
}

// call1 is call for one command.
func (s *RedisStore) call1(ctx context.Context, o op) (redis.Cmder, error) {
	cmds, err := s.call(ctx, o)
	if len(cmds) == 0 {
		if err == nil {
			err = fmt.Errorf("no answer")
		}
		return nil, err
	}
	return cmds[0], err
}
