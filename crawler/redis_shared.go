package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The shared-frontier side of RedisStore. More keys of a job, in the same
// hash tag as the others:
//
//	winnow:{job}:leases      zset   frontier seq -> lease expiry (ms, Redis clock)
//	winnow:{job}:cursor      string the highest seq ever leased
//	winnow:{job}:seeded      string set once the run's sources are enqueued
//	winnow:{job}:written     hash   document id -> sha256 of the text written|writer
//	winnow:{job}:run         string the cluster's run lock (JSON RunLock, expires)
//	winnow:{job}:runs        list   finished runs' results (JSON), newest first
//	winnow:{job}:host:<h>:slots zset request tokens in flight to host h -> expiry
//	winnow:{job}:host:<h>:next  string when host h may get its next request (ms)
//
// The frontier zset keeps every unacknowledged item, leased or not, so
// "frontier empty" still means "run done", and Done stays one script that
// also drops the item's lease. Times come from Redis' TIME, so replicas'
// clocks never disagree about a lease.

func (k redisKeys) with(job, name string) string { return "winnow:{" + job + "}:" + name }

// leaseScript: KEYS frontier, leases, cursor, pages, seeded; ARGV n, ttl ms.
// Returns remaining, seeded, then (seq, item, record or "") per item.
var leaseScript = newLua(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
local exp = now + tonumber(ARGV[2])
local out = {}
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, n)
for _, seq in ipairs(old) do
  local m = redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq)
  if #m == 0 then
    redis.call('ZREM', KEYS[2], seq)
  else
    redis.call('ZADD', KEYS[2], exp, seq)
    out[#out + 1] = seq
    out[#out + 1] = m[1]
  end
end
if #out / 2 < n then
  local cur = redis.call('GET', KEYS[3]) or '0'
  local fresh = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. cur, '+inf', 'WITHSCORES', 'LIMIT', 0, n - #out / 2)
  for i = 1, #fresh, 2 do
    local seq = fresh[i + 1]
    redis.call('ZADD', KEYS[2], exp, seq)
    out[#out + 1] = seq
    out[#out + 1] = fresh[i]
    cur = seq
  end
  redis.call('SET', KEYS[3], cur)
end
local res = {redis.call('ZCARD', KEYS[1]), redis.call('EXISTS', KEYS[5])}
for i = 1, #out, 2 do
  local it = cjson.decode(out[i + 1])
  res[#res + 1] = out[i]
  res[#res + 1] = out[i + 1]
  res[#res + 1] = redis.call('HGET', KEYS[4], it.u) or ''
end
return res
`)

// renewScript: KEYS leases; ARGV ttl ms, seqs. Only leases still held are
// extended (ZADD XX), so an item already done does not come back.
var renewScript = newLua(`
local t = redis.call('TIME')
local exp = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', exp, ARGV[i])
end
return 0
`)

// Lease takes up to n items of job's frontier for ttl.
func (s *RedisStore) Lease(ctx context.Context, job string, n int, ttl time.Duration) ([]Leased, int, bool, error) {
	if err := s.failure(job); err != nil {
		return nil, 0, false, err
	}
	k := keysOf(job)
	// The acknowledgements waiting in the outbox go first, so remaining
	// counts what is really left.
	c, err := s.call1(ctx, scriptOp(leaseScript, []string{k.frontier, k.with(job, "leases"), k.with(job, "cursor"), k.pages, k.with(job, "seeded")},
		n, ttl.Milliseconds()))
	var res []any
	if err == nil {
		res, err = c.(*redis.Cmd).Slice()
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("lease frontier of %s: %w", job, err)
	}
	if len(res) < 2 {
		return nil, 0, false, fmt.Errorf("lease frontier of %s: short reply", job)
	}
	remaining, _ := res[0].(int64)
	seeded, _ := res[1].(int64)
	items := make([]Leased, 0, (len(res)-2)/3)
	for i := 2; i+2 < len(res); i += 3 {
		seqStr, _ := res[i].(string)
		raw, _ := res[i+1].(string)
		recRaw, _ := res[i+2].(string)
		var it Item
		if err := json.Unmarshal([]byte(raw), &it); err != nil {
			return nil, 0, false, fmt.Errorf("lease frontier of %s: item %q: %w", job, raw, err)
		}
		seq, err := strconv.ParseUint(seqStr, 10, 64)
		if err != nil {
			return nil, 0, false, fmt.Errorf("lease frontier of %s: seq %q: %w", job, seqStr, err)
		}
		it.Seq = seq
		l := Leased{Item: it}
		if recRaw != "" {
			l.Record = new(Record)
			if err := json.Unmarshal([]byte(recRaw), l.Record); err != nil {
				return nil, 0, false, fmt.Errorf("lease frontier of %s: record of %s: %w", job, it.URL, err)
			}
		}
		items = append(items, l)
	}
	return items, int(remaining), seeded == 1, nil
}

func seqArgs(seqs []uint64) []any {
	args := make([]any, 0, len(seqs))
	for _, q := range seqs {
		args = append(args, strconv.FormatUint(q, 10))
	}
	return args
}

// Renew extends the leases on seqs.
// It is a write nobody waits for: it rides along with the store's next
// request (a failure is logged; the leases then lapse as a dead replica's
// would).
func (s *RedisStore) Renew(ctx context.Context, job string, seqs []uint64, ttl time.Duration) error {
	args := append([]any{ttl.Milliseconds()}, seqArgs(seqs)...)
	s.later(deferredOp{op: scriptOp(renewScript, []string{keysOf(job).with(job, "leases")}, args...), done: func(err error) {
		if err != nil {
			s.log.Warn("lease renewal failed", "job", job, "err", err)
		}
	}})
	return nil
}

// Unlease makes the leases on seqs expire now.
func (s *RedisStore) Unlease(ctx context.Context, job string, seqs []uint64) error {
	zs := make([]redis.Z, 0, len(seqs))
	for _, q := range seqs {
		zs = append(zs, redis.Z{Score: 0, Member: strconv.FormatUint(q, 10)})
	}
	_, err := s.call1(ctx, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.ZAddXX(ctx, keysOf(job).with(job, "leases"), zs...)
	}))
	if err != nil {
		return fmt.Errorf("give back leases of %s: %w", job, err)
	}
	return nil
}

// MarkSeeded records that the run's sources are in the frontier.
func (s *RedisStore) MarkSeeded(ctx context.Context, job string) error {
	_, err := s.call1(ctx, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.Set(ctx, keysOf(job).with(job, "seeded"), "1", 0)
	}))
	if err != nil {
		return fmt.Errorf("mark run of %s seeded: %w", job, err)
	}
	return nil
}

// A claim (the written hash's value for a document id) is
// "sha|writer\x00time\x00rel\x00volume": the text hash, the writer, the
// server's time of the claim in microseconds, where the document goes in
// the writer's output and the id of the volume that output is on. Claims
// stored before time, rel and volume were kept are "sha|writer".

// commitScript: KEYS written; ARGV id, sha|writer, rel\x00volume. {1}: the
// caller writes the document (its claim is stored with the server's time
// now); {0, claim, now}: another writer claimed this text under this id.
var commitScript = newLua(`
local t = redis.call('TIME')
local now = string.format('%d%06d', t[1], t[2])
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local w = ARGV[2]
  local mine = string.sub(cur, 1, #w) == w and (#cur == #w or string.byte(cur, #w + 1) == 0)
  if not mine and string.sub(cur, 1, 65) == string.sub(w, 1, 65) then return {0, cur, now} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\0' .. now .. '\0' .. ARGV[3])
return {1}
`)

// takeOverScript: KEYS written; ARGV id, the claim taken over, sha|writer,
// rel\x00volume. 1: the claim was still that one and is now the caller's.
var takeOverScript = newLua(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. '\0' .. string.format('%d%06d', t[1], t[2]) .. '\0' .. ARGV[4])
return 1
`)

// Write is one replica's write of a document, as it claims it.
type Write struct {
	ID     string // the output id of the document's canonical URL
	SHA    string // the hash of its text
	Writer string // host:output directory
	Volume string // the id of the volume the output directory is on
	Rel    string // where the document goes in that directory
}

func (w Write) args() (claim, where string) {
	return w.SHA + "|" + w.Writer, w.Rel + "\x00" + w.Volume
}

// Claim is another writer's claim of a document's text, as Commit found it.
type Claim struct {
	// Writer, Volume and Rel are as in the Write that made the claim;
	// Volume and Rel are "" in claims of older versions.
	Writer, Volume, Rel string
	// Age is how long ago the claim was made, by the store's clock (a
	// very large age for claims of older versions, which kept no time).
	Age time.Duration
	raw string // the stored claim, for TakeOver
}

// oldClaimAge is the age given to claims that kept no time.
const oldClaimAge = 100 * 365 * 24 * time.Hour

// parseClaim reads a stored claim at the store's time now (microseconds).
func parseClaim(raw, now string) Claim {
	c := Claim{raw: raw, Age: oldClaimAge}
	_, rest, _ := strings.Cut(raw, "|")
	parts := strings.SplitN(rest, "\x00", 4)
	c.Writer = parts[0]
	if len(parts) == 4 {
		at, err1 := strconv.ParseInt(parts[1], 10, 64)
		nowUS, err2 := strconv.ParseInt(now, 10, 64)
		if err1 == nil && err2 == nil {
			c.Age = time.Duration(max(nowUS-at, 0)) * time.Microsecond
		}
		c.Rel, c.Volume = parts[2], parts[3]
	}
	return c
}

// Commit decides, just before a replica renames a document into place,
// whether it is the one to write it: one article is written by one
// replica, even when a lapsed lease gave its page to two. The URL's Done
// then stores the document id in its record.
//
// A writer may write again what it committed before (its process died
// between the commit and the rename, and its output directory, which it
// checks first, does not have the file). When another writer claimed this
// text, Commit returns false with that claim: the caller may find that
// writer died before its rename (by reading its output) and TakeOver.
func (s *RedisStore) Commit(ctx context.Context, job, url string, w Write) (bool, Claim, error) {
	claim, where := w.args()
	c, err := s.call1(ctx, scriptOp(commitScript, []string{keysOf(job).with(job, "written")}, w.ID, claim, where))
	var r []any
	if err == nil {
		r, err = c.(*redis.Cmd).Slice()
	}
	if err == nil && len(r) == 0 {
		err = errors.New("empty reply")
	}
	if err != nil {
		return false, Claim{}, fmt.Errorf("commit %s: %w", url, err)
	}
	if ok, _ := r[0].(int64); ok == 1 {
		s.pending.Store(job+"\x00"+url, &pendingWrite{id: w.ID})
		return true, Claim{}, nil
	}
	if len(r) != 3 {
		return false, Claim{}, fmt.Errorf("commit %s: reply %v", url, r)
	}
	raw, _ := r[1].(string)
	now, _ := r[2].(string)
	return false, parseClaim(raw, now), nil
}

// TakeOver makes another writer's claim (as Commit returned it) the
// caller's, unless it changed since: a third writer took it over first, or
// its writer claimed it anew. True: the caller writes the document.
func (s *RedisStore) TakeOver(ctx context.Context, job, url string, w Write, from Claim) (bool, error) {
	claim, where := w.args()
	c, err := s.call1(ctx, scriptOp(takeOverScript, []string{keysOf(job).with(job, "written")}, w.ID, from.raw, claim, where))
	var r int
	if err == nil {
		r, err = c.(*redis.Cmd).Int()
	}
	if err != nil {
		return false, fmt.Errorf("take over the write of %s: %w", url, err)
	}
	if r == 1 {
		s.pending.Store(job+"\x00"+url, &pendingWrite{id: w.ID})
	}
	return r == 1, nil
}

// pendingWrite is a committed document of a URL whose Done is still to come.
type pendingWrite struct {
	id      string
	written bool // SetOutputID came: the file is on disk
}

// RunLock is the cluster's run of a job: who holds it and since when.
type RunLock struct {
	ID      string    `json:"id"`
	Start   time.Time `json:"start"`
	Trigger string    `json:"trigger"`
	Owner   string    `json:"owner"`
}

// Owner is this store's replica id: host name, process id and a random part.
func (s *RedisStore) Owner() string { return s.owner }

// AcquireRun takes job's run lock for l unless another run holds it, which
// it then returns.
func (s *RedisStore) AcquireRun(ctx context.Context, job string, l RunLock, ttl time.Duration) (RunLock, bool, error) {
	v, err := json.Marshal(l)
	if err != nil {
		return RunLock{}, false, err
	}
	key := keysOf(job).with(job, "run")
	ok, err := s.rdb.SetNX(ctx, key, string(v), ttl).Result()
	if err != nil {
		return RunLock{}, false, fmt.Errorf("lock run of %s: %w", job, err)
	}
	if ok {
		return l, true, nil
	}
	cur, held, err := s.CurrentRun(ctx, job)
	if err != nil || !held {
		return RunLock{}, false, err
	}
	return cur, false, nil
}

// CurrentRun returns the cluster's run of job, if one is going.
func (s *RedisStore) CurrentRun(ctx context.Context, job string) (RunLock, bool, error) {
	v, err := s.rdb.Get(ctx, keysOf(job).with(job, "run")).Result()
	if errors.Is(err, redis.Nil) {
		return RunLock{}, false, nil
	}
	if err != nil {
		return RunLock{}, false, fmt.Errorf("read run of %s: %w", job, err)
	}
	var l RunLock
	if err := json.Unmarshal([]byte(v), &l); err != nil {
		return RunLock{}, false, fmt.Errorf("read run of %s: %w", job, err)
	}
	return l, true, nil
}

// renewRunScript: KEYS run; ARGV id, ttl ms.
var renewRunScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or cjson.decode(v).id ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`)

// RenewRun extends the run lock of run id; false when the lock is lost.
func (s *RedisStore) RenewRun(ctx context.Context, job, id string, ttl time.Duration) (bool, error) {
	n, err := renewRunScript.Run(ctx, s.rdb, []string{keysOf(job).with(job, "run")}, id, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("renew run lock of %s: %w", job, err)
	}
	return n == 1, nil
}

// releaseRunScript: KEYS run, runs; ARGV id, result, keep.
var releaseRunScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).id == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
return 0
`)

// ReleaseRun records run id's result (JSON) in the job's history, keeping
// the newest keep, and drops its lock.
func (s *RedisStore) ReleaseRun(ctx context.Context, job, id string, result []byte, keep int) error {
	k := keysOf(job)
	err := s.retry(ctx, func(ctx context.Context) error {
		return releaseRunScript.Run(ctx, s.rdb, []string{k.with(job, "run"), k.with(job, "runs")}, id, string(result), keep).Err()
	})
	if err != nil {
		return fmt.Errorf("record run of %s: %w", job, err)
	}
	return nil
}

// RunHistory returns up to n finished runs' results, newest first.
func (s *RedisStore) RunHistory(ctx context.Context, job string, n int) ([]string, error) {
	v, err := s.rdb.LRange(ctx, keysOf(job).with(job, "runs"), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("read runs of %s: %w", job, err)
	}
	return v, nil
}

// transient reports whether err is Redis being away (a connection refused,
// reset or timed out; a server still loading its data) rather than an
// answer: such operations are retried until Redis is back.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "BUSY") || strings.HasPrefix(msg, "TRYAGAIN") ||
			strings.HasPrefix(msg, "MASTERDOWN") || strings.HasPrefix(msg, "CLUSTERDOWN")
	}
	return true // network errors, EOF, a closed pool
}

// retry runs op until it succeeds, fails with an answer from Redis, ctx
// ends or Redis stayed away for MaxOutage: a crawl pauses while Redis is
// down and goes on where it was when it is back.
func (s *RedisStore) retry(ctx context.Context, op func(context.Context) error) error {
	var (
		start time.Time
		wait  = 50 * time.Millisecond
	)
	for {
		err := op(ctx)
		if !transient(err) {
			if !start.IsZero() {
				s.log.Info("state backend back; going on", "paused", time.Since(start).Round(time.Millisecond))
			}
			return err
		}
		if start.IsZero() {
			start = time.Now()
			s.log.Warn("state backend unreachable; pausing until it is back", "err", err)
		}
		if s.MaxOutage > 0 && time.Since(start) > s.MaxOutage {
			return fmt.Errorf("state backend away for %s: %w", s.MaxOutage, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// takeoverScript: KEYS run, active; ARGV lock, ttl ms.
var takeoverScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
`)

// TakeoverRun takes the lock of an unfinished run whose holder is gone
// (its lock lapsed or was released before the run's end), for l.
func (s *RedisStore) TakeoverRun(ctx context.Context, job string, l RunLock, ttl time.Duration) (bool, error) {
	v, err := json.Marshal(l)
	if err != nil {
		return false, err
	}
	k := keysOf(job)
	n, err := takeoverScript.Run(ctx, s.rdb, []string{k.with(job, "run"), k.active}, string(v), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("take over run of %s: %w", job, err)
	}
	return n == 1, nil
}
