package crawler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is the Redis state backend, for crawlers sharing state. The
// keys of one job share a hash tag, so they live in one cluster slot:
//
//	winnow:{job}:pages     hash   url -> Record (JSON), kept across runs
//	winnow:{job}:seen      set    the visited set of the run in progress
//	winnow:{job}:frontier  zset   Item (JSON) scored by its sequence number
//	winnow:{job}:seq       string the last sequence number
//	winnow:{job}:active    string set while a run is unfinished
//
// Enqueue and Done are Lua scripts, so a URL is never marked seen without
// being queued, nor removed from the frontier without its links queued.
type RedisStore struct {
	rdb   *redis.Client
	owner string // this replica's id in leases, claims and run locks
	log   *slog.Logger

	// MaxOutage is how long an operation waits for Redis to come back
	// before it fails (0: as long as its context lives).
	MaxOutage time.Duration

	pending sync.Map // job+"\x00"+url -> *pendingWrite, claimed documents awaiting Done

	out outbox // writes waiting to ride along with the next request (redis_batch.go)
}

// OpenRedis connects to the Redis server at addr ("host:port" or a
// redis:// URL) and checks that it answers.
func OpenRedis(ctx context.Context, addr string) (*RedisStore, error) {
	s, err := NewRedis(addr, nil)
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("open state redis %s: %w", addr, err)
	}
	return s, nil
}

// NewRedis returns a store for the Redis server at addr without waiting
// for it: connections are made on use, and operations wait for Redis (see
// MaxOutage) while it is away. log may be nil.
func NewRedis(addr string, log *slog.Logger) (*RedisStore, error) {
	opts := &redis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opts, err = redis.ParseURL(addr); err != nil {
			return nil, fmt.Errorf("open state redis %s: %w", addr, err)
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.OnConnect = loadScripts
	return &RedisStore{rdb: redis.NewClient(opts), owner: newOwnerID(), log: log.With("component", "state"), MaxOutage: 10 * time.Minute}, nil
}

// AddHook adds a go-redis hook to the client (for counting round trips).
func (s *RedisStore) AddHook(h redis.Hook) { s.rdb.AddHook(h) }

// newOwnerID names this process among the replicas.
func newOwnerID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// RouteRedisLogs sends the go-redis client's own log lines (dial retries
// and the like), which it otherwise prints to stderr in its own format,
// to log at warn level. go-redis keeps one logger per process, so this is
// for main to call once.
func RouteRedisLogs(log *slog.Logger) {
	redis.SetLogger(redisLogger{log.With("component", "redis")})
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}

type redisKeys struct{ pages, seen, frontier, seq, active string }

func keysOf(job string) redisKeys {
	p := "winnow:{" + job + "}:"
	return redisKeys{pages: p + "pages", seen: p + "seen", frontier: p + "frontier", seq: p + "seq", active: p + "active"}
}

// Ping reports whether the server answers.
func (s *RedisStore) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Close sends the writes still waiting in the outbox (for up to 5 s) and
// closes the connection pool.
func (s *RedisStore) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.flush(ctx)
	s.out.mu.Lock()
	s.out.closed = true
	s.out.mu.Unlock()
	if err != nil {
		s.log.Warn("writes not sent before closing", "err", err)
	}
	return s.rdb.Close()
}

// BeginRun starts or resumes the job's run.
func (s *RedisStore) BeginRun(ctx context.Context, job string) (bool, int, error) {
	k := keysOf(job)
	fresh, err := s.rdb.SetNX(ctx, k.active, "1", 0).Result()
	if err != nil {
		return false, 0, fmt.Errorf("begin run of %s: %w", job, err)
	}
	if fresh {
		return false, 0, nil
	}
	n, err := s.rdb.ZCard(ctx, k.frontier).Result()
	if err != nil {
		return false, 0, fmt.Errorf("begin run of %s: %w", job, err)
	}
	return true, int(n), nil
}

// enqueueLua adds ARGV pairs (url, item) not yet in the seen set.
// KEYS: seen, frontier, seq. ARGV from start: url1, item1, url2, item2...
const enqueueLua = `
local added = 0
for i = ARGV_START, #ARGV, 2 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    local seq = redis.call('INCR', KEYS[3])
    redis.call('ZADD', KEYS[2], seq, ARGV[i+1])
    added = added + 1
  end
end
return added
`

var (
	enqueueScript = newLua(strings.ReplaceAll(enqueueLua, "ARGV_START", "1"))
	// doneScript: KEYS seen, frontier, seq, pages, leases; ARGV seq, url,
	// record ("" for none), the id of a document just written ("" for
	// none), then the link pairs. A record without an output id keeps the
	// one stored before.
	doneScript = newLua(`
redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
if ARGV[3] ~= '' then
  local rec = ARGV[3]
  if ARGV[4] ~= '' or not string.find(rec, '"output_id"', 1, true) then
    local r = cjson.decode(rec)
    if ARGV[4] ~= '' then
      r.output_id = ARGV[4]
    else
      local old = redis.call('HGET', KEYS[4], ARGV[2])
      if old then
        local o = cjson.decode(old)
        if o.output_id and o.output_id ~= '' then r.output_id = o.output_id end
      end
    end
    rec = cjson.encode(r)
  end
  redis.call('HSET', KEYS[4], ARGV[2], rec)
end
` + strings.ReplaceAll(enqueueLua, "ARGV_START", "5"))
)

func itemArgs(items []Item) ([]any, error) {
	args := make([]any, 0, 2*len(items))
	for _, it := range items {
		v, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		args = append(args, it.URL, string(v))
	}
	return args, nil
}

// Enqueue adds the items this run has not seen yet.
func (s *RedisStore) Enqueue(ctx context.Context, job string, items []Item) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	k := keysOf(job)
	args, err := itemArgs(items)
	if err != nil {
		return 0, fmt.Errorf("enqueue for %s: %w", job, err)
	}
	c, err := s.call1(ctx, scriptOp(enqueueScript, []string{k.seen, k.frontier, k.seq}, args...))
	if err != nil {
		return 0, fmt.Errorf("enqueue for %s: %w", job, err)
	}
	n, err := c.(*redis.Cmd).Int()
	if err != nil {
		return 0, fmt.Errorf("enqueue for %s: %w", job, err)
	}
	return n, nil
}

// Frontier returns up to n items with Seq > after.
func (s *RedisStore) Frontier(ctx context.Context, job string, after uint64, n int) ([]Item, error) {
	c, err := s.call1(ctx, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.ZRangeByScoreWithScores(ctx, keysOf(job).frontier, &redis.ZRangeBy{
			Min: "(" + strconv.FormatUint(after, 10), Max: "+inf", Count: int64(n),
		})
	}))
	if err != nil {
		return nil, fmt.Errorf("read frontier of %s: %w", job, err)
	}
	zs, err := c.(*redis.ZSliceCmd).Result()
	if err != nil {
		return nil, fmt.Errorf("read frontier of %s: %w", job, err)
	}
	items := make([]Item, 0, len(zs))
	for _, z := range zs {
		var it Item
		m, _ := z.Member.(string)
		if err := json.Unmarshal([]byte(m), &it); err != nil {
			return nil, fmt.Errorf("read frontier of %s: item %q: %w", job, m, err)
		}
		it.Seq = uint64(z.Score)
		items = append(items, it)
	}
	return items, nil
}

// Done removes it from the frontier (and its lease), stores rec (with the
// id of a document just committed and written for the URL) and enqueues
// links at once, in one script call.
func (s *RedisStore) Done(ctx context.Context, job string, it Item, rec *Record, links []Item) (int, error) {
	o, err := s.doneOp(job, it, rec, links)
	if err != nil {
		return 0, err
	}
	c, err := s.call1(ctx, o)
	if err != nil {
		return 0, fmt.Errorf("mark %s done: %w", it.URL, err)
	}
	n, err := c.(*redis.Cmd).Int()
	if err != nil {
		return 0, fmt.Errorf("mark %s done: %w", it.URL, err)
	}
	return n, nil
}

// DoneLater is Done sent with this store's next request to Redis (or on
// its own after a few milliseconds): the acknowledgement of a leased item,
// whose lease keeps other crawlers off it meanwhile. It returns an error
// when an earlier acknowledgement of job failed.
func (s *RedisStore) DoneLater(job string, it Item, rec *Record, links []Item) error {
	if err := s.failure(job); err != nil {
		return err
	}
	o, err := s.doneOp(job, it, rec, links)
	if err != nil {
		return err
	}
	s.later(deferredOp{op: o, done: func(err error) {
		if err != nil {
			s.failed(job, fmt.Errorf("mark %s done: %w", it.URL, err))
		}
	}})
	return nil
}

// doneOp is the script call of Done.
func (s *RedisStore) doneOp(job string, it Item, rec *Record, links []Item) (op, error) {
	k := keysOf(job)
	recJSON, id := "", ""
	if v, ok := s.pending.LoadAndDelete(job + "\x00" + it.URL); ok && v.(*pendingWrite).written {
		id = v.(*pendingWrite).id
	}
	if rec != nil {
		v, err := json.Marshal(rec)
		if err != nil {
			return op{}, fmt.Errorf("mark %s done: %w", it.URL, err)
		}
		recJSON = string(v)
	}
	largs, err := itemArgs(links)
	if err != nil {
		return op{}, fmt.Errorf("mark %s done: %w", it.URL, err)
	}
	args := append([]any{strconv.FormatUint(it.Seq, 10), it.URL, recJSON, id}, largs...)
	keys := []string{k.seen, k.frontier, k.seq, k.pages, k.with(job, "leases")}
	return scriptOp(doneScript, keys, args...), nil
}

// Record returns the stored record of url.
func (s *RedisStore) Record(ctx context.Context, job, url string) (Record, bool, error) {
	c, err := s.call1(ctx, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.HGet(ctx, keysOf(job).pages, url)
	}))
	var v string
	if err == nil {
		v, err = c.(*redis.StringCmd).Result()
	}
	if errors.Is(err, redis.Nil) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("read state of %s: %w", url, err)
	}
	var rec Record
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		return Record{}, false, fmt.Errorf("read state of %s: %w", url, err)
	}
	return rec, true, nil
}

// SetOutputID remembers the id of the document written for url. For a
// URL claimed with Claim, it is carried by the URL's Done.
func (s *RedisStore) SetOutputID(ctx context.Context, job, url, id string) error {
	if v, ok := s.pending.Load(job + "\x00" + url); ok && v.(*pendingWrite).id == id {
		v.(*pendingWrite).written = true
		return nil
	}
	rec, _, err := s.Record(ctx, job, url)
	if err != nil {
		return err
	}
	rec.OutputID = id
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	if _, err := s.call1(ctx, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.HSet(ctx, keysOf(job).pages, url, string(v))
	})); err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	return nil
}

// FinishRun forgets the run's visited set and frontier.
func (s *RedisStore) FinishRun(ctx context.Context, job string) error {
	k := keysOf(job)
	// Every acknowledgement first: one still under way would bring the
	// run's keys back.
	if err := s.settle(ctx); err != nil {
		return fmt.Errorf("finish run of %s: %w", job, err)
	}
	_, err := s.call1(ctx, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.Del(ctx, k.seen, k.frontier, k.active, k.with(job, "leases"), k.with(job, "cursor"), k.with(job, "seeded"))
	}))
	if err != nil {
		return fmt.Errorf("finish run of %s: %w", job, err)
	}
	return nil
}
