package crawler

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Redis layout of the template evidence, one hash tag per host:
//
//	winnow:tpl:{host}:urls      zset   url scored by when it was recorded (unix ms)
//	winnow:tpl:{host}:pages     hash   url -> page entry (pageBlob)
//	winnow:tpl:{host}:counts    hash   fingerprint (8 bytes) -> pages carrying it
//	                                   + 2^20 × article pages carrying it (one
//	                                   HINCRBY counts both)
//	winnow:tpl:{host}:articles  string article pages in the window
//
// Recording is one Lua script, so the counts always match the entries; the
// keys expire MaxAge after the host's last recording, so a host no longer
// crawled is forgotten whole.
type tplKeys struct{ urls, pages, counts, articles string }

func tplKeysOf(host string) tplKeys {
	p := "winnow:tpl:{" + host + "}:"
	return tplKeys{urls: p + "urls", pages: p + "pages", counts: p + "counts", articles: p + "articles"}
}

func (k tplKeys) list() []string { return []string{k.urls, k.pages, k.counts, k.articles} }

// recordTemplateScript: KEYS as tplKeys.list; ARGV url, now (ms), window,
// cutoff (ms), ttl (ms), page entry.
var recordTemplateScript = newLua(`
local function adjust(blob, d)
  local article = string.byte(blob, 1) == 1
  local step = d
  if article then
    redis.call('INCRBY', KEYS[4], d)
    step = d * 1048577
  end
  for i = 2, #blob - 7, 8 do
    local fp = string.sub(blob, i, i + 7)
    if redis.call('HINCRBY', KEYS[3], fp, step) <= 0 then redis.call('HDEL', KEYS[3], fp) end
  end
end
local function forget(u)
  local old = redis.call('HGET', KEYS[2], u)
  if old then
    adjust(old, -1)
    redis.call('HDEL', KEYS[2], u)
  end
  redis.call('ZREM', KEYS[1], u)
end
forget(ARGV[1])
adjust(ARGV[6], 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[6])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
for _, u in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])) do forget(u) end
local n = redis.call('ZCARD', KEYS[1])
local window = tonumber(ARGV[3])
if n > window then
  for _, u in ipairs(redis.call('ZRANGE', KEYS[1], 0, n - window - 1)) do forget(u) end
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[5]) end
return 0
`)

// TemplateCounts returns the evidence of host's pages other than url for
// fps, in one round trip.
func (s *RedisStore) TemplateCounts(ctx context.Context, host, url string, fps []uint64) (TemplateCounts, error) {
	k := tplKeysOf(host)
	tc := TemplateCounts{Count: make([]int, len(fps)), Articles: make([]int, len(fps))}
	fields := make([]string, len(fps))
	for i, fp := range fps {
		fields[i] = fpKey(fp)
	}
	ops := []op{
		cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.ZCard(ctx, k.urls) }),
		cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.Get(ctx, k.articles) }),
		cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.HGet(ctx, k.pages, url) }),
	}
	if len(fields) > 0 {
		ops = append(ops, cmdOp(func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.HMGet(ctx, k.counts, fields...) }))
	}
	cmds, err := s.call(ctx, ops...)
	if err != nil {
		return TemplateCounts{}, fmt.Errorf("read template of %s: %w", host, err)
	}
	pages, articles, self := cmds[0].(*redis.IntCmd), cmds[1].(*redis.StringCmd), cmds[2].(*redis.StringCmd)
	var counts *redis.SliceCmd
	if len(fields) > 0 {
		counts = cmds[3].(*redis.SliceCmd)
	}
	tc.Pages = int(pages.Val())
	tc.ArticlePages, _ = strconv.Atoi(articles.Val())
	own := map[string]bool{}
	selfArticle := false
	if v := self.Val(); v != "" {
		var fps []string
		selfArticle, fps = blobFPs([]byte(v))
		for _, f := range fps {
			own[f] = true
		}
		tc.Pages--
		if selfArticle {
			tc.ArticlePages--
		}
	}
	if counts == nil {
		return tc, nil
	}
	num := func(v any) int {
		s, _ := v.(string)
		n, _ := strconv.Atoi(s)
		return n
	}
	for i, v := range counts.Val() {
		if i < len(fields) {
			n := num(v)
			tc.Count[i], tc.Articles[i] = n&(1<<20-1), n>>20
		}
	}
	for i, f := range fields {
		if own[f] && tc.Count[i] > 0 {
			tc.Count[i]--
			if selfArticle && tc.Articles[i] > 0 {
				tc.Articles[i]--
			}
		}
	}
	return tc, nil
}

// RecordTemplates stores the fingerprints of pages, each replacing what
// its URL said before, and forgets the pages beyond lim: one script per
// page (atomic per page). They are writes nobody waits for: they ride
// along with the store's next request (this store's TemplateCounts sees
// them), and a failure is logged.
func (s *RedisStore) RecordTemplates(ctx context.Context, pages []TemplatePage, lim TemplateLimits) error {
	lim = lim.withDefaults()
	ops := make([]deferredOp, 0, len(pages))
	for _, p := range pages {
		args := []any{p.URL, p.At.UnixMilli(), lim.Window, p.At.Add(-lim.MaxAge).UnixMilli(), lim.MaxAge.Milliseconds(), string(pageBlob(p.FPs, p.Article))}
		u := p.URL
		ops = append(ops, deferredOp{op: scriptOp(recordTemplateScript, tplKeysOf(p.Host).list(), args...), done: func(err error) {
			if err != nil {
				s.log.Warn("template evidence not recorded", "url", u, "err", err)
			}
		}})
	}
	if len(ops) > 0 {
		s.later(ops...)
	}
	return nil
}
