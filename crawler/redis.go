package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

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
	rdb *redis.Client
}

// OpenRedis connects to the Redis server at addr ("host:port" or a
// redis:// URL) and checks that it answers.
func OpenRedis(ctx context.Context, addr string) (*RedisStore, error) {
	opts := &redis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opts, err = redis.ParseURL(addr); err != nil {
			return nil, fmt.Errorf("open state redis %s: %w", addr, err)
		}
	}
	s := &RedisStore{rdb: redis.NewClient(opts)}
	if err := s.Ping(ctx); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("open state redis %s: %w", addr, err)
	}
	return s, nil
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

// Close closes the connection pool.
func (s *RedisStore) Close() error { return s.rdb.Close() }

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
	enqueueScript = redis.NewScript(strings.ReplaceAll(enqueueLua, "ARGV_START", "1"))
	// doneScript: KEYS seen, frontier, seq, pages; ARGV seq, url, record
	// ("" for none), then the link pairs.
	doneScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
end
` + strings.ReplaceAll(enqueueLua, "ARGV_START", "4"))
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
	n, err := enqueueScript.Run(ctx, s.rdb, []string{k.seen, k.frontier, k.seq}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("enqueue for %s: %w", job, err)
	}
	return n, nil
}

// Frontier returns up to n items with Seq > after.
func (s *RedisStore) Frontier(ctx context.Context, job string, after uint64, n int) ([]Item, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, keysOf(job).frontier, &redis.ZRangeBy{
		Min: "(" + strconv.FormatUint(after, 10), Max: "+inf", Count: int64(n),
	}).Result()
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

// Done removes it from the frontier, stores rec and enqueues links at once.
// Only one worker handles a URL at a time, so reading the old record's
// output id before the script races with nothing.
func (s *RedisStore) Done(ctx context.Context, job string, it Item, rec *Record, links []Item) (int, error) {
	k := keysOf(job)
	recJSON := ""
	if rec != nil {
		if rec.OutputID == "" {
			if old, ok, err := s.Record(ctx, job, it.URL); err == nil && ok {
				rec.OutputID = old.OutputID
			}
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return 0, fmt.Errorf("mark %s done: %w", it.URL, err)
		}
		recJSON = string(v)
	}
	largs, err := itemArgs(links)
	if err != nil {
		return 0, fmt.Errorf("mark %s done: %w", it.URL, err)
	}
	args := append([]any{strconv.FormatUint(it.Seq, 10), it.URL, recJSON}, largs...)
	n, err := doneScript.Run(ctx, s.rdb, []string{k.seen, k.frontier, k.seq, k.pages}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("mark %s done: %w", it.URL, err)
	}
	return n, nil
}

// Record returns the stored record of url.
func (s *RedisStore) Record(ctx context.Context, job, url string) (Record, bool, error) {
	v, err := s.rdb.HGet(ctx, keysOf(job).pages, url).Result()
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

// SetOutputID remembers the id of the document written for url.
func (s *RedisStore) SetOutputID(ctx context.Context, job, url, id string) error {
	rec, _, err := s.Record(ctx, job, url)
	if err != nil {
		return err
	}
	rec.OutputID = id
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	if err := s.rdb.HSet(ctx, keysOf(job).pages, url, string(v)).Err(); err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	return nil
}

// FinishRun forgets the run's visited set and frontier.
func (s *RedisStore) FinishRun(ctx context.Context, job string) error {
	k := keysOf(job)
	if err := s.rdb.Del(ctx, k.seen, k.frontier, k.active).Err(); err != nil {
		return fmt.Errorf("finish run of %s: %w", job, err)
	}
	return nil
}
