package crawler

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Redis layout of the near-duplicate index, under the job's hash tag:
//
//	winnow:{job}:near:<bands>:<band>:<bits hex>  hash  url -> fingerprint (16 hex digits)
//
// ClaimNear is one Lua script, so lookup and record are atomic across the
// daemons sharing the store.
func nearKeys(job string, fp uint64, maxDist int) []string {
	bands := nearBands(fp, maxDist)
	keys := make([]string, len(bands))
	for i, b := range bands {
		keys[i] = "winnow:{" + job + "}:near:" + strconv.Itoa(int(b[0])) + ":" + strconv.Itoa(int(b[1])) + ":" + fmt.Sprintf("%x", b[2:])
	}
	return keys
}

// claimNearScript: KEYS the fingerprint's band keys; ARGV url, the high and
// low 32 bits of the fingerprint, the fingerprint in hex, maxDist. Returns
// {url, distance} of the closest match, or nil after recording.
var claimNearScript = redis.NewScript(`
local function pop(x)
  local n = 0
  while x ~= 0 do x = bit.band(x, x - 1); n = n + 1 end
  return n
end
local hi, lo, maxd = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local best, bestd = false, maxd + 1
for _, k in ipairs(KEYS) do
  local all = redis.call('HGETALL', k)
  for i = 1, #all, 2 do
    local v = all[i + 1]
    if all[i] ~= ARGV[1] and #v == 16 then
      local d = pop(bit.bxor(hi, tonumber(string.sub(v, 1, 8), 16))) + pop(bit.bxor(lo, tonumber(string.sub(v, 9, 16), 16)))
      if d < bestd then best, bestd = all[i], d end
    end
  end
end
if best then return {best, bestd} end
for _, k in ipairs(KEYS) do redis.call('HSET', k, ARGV[1], ARGV[4]) end
return false
`)

// ClaimNear is BoltStore.ClaimNear on Redis.
func (s *RedisStore) ClaimNear(ctx context.Context, job, url string, fp uint64, maxDist int) (NearMatch, bool, error) {
	if err := checkNearDistance(maxDist); err != nil {
		return NearMatch{}, false, err
	}
	res, err := claimNearScript.Run(ctx, s.rdb, nearKeys(job, fp, maxDist),
		url, fp>>32, fp&0xffffffff, fmt.Sprintf("%016x", fp), maxDist).Slice()
	if errors.Is(err, redis.Nil) {
		return NearMatch{}, false, nil
	}
	if err != nil {
		return NearMatch{}, false, fmt.Errorf("near-duplicate index of %s: %w", job, err)
	}
	if len(res) != 2 {
		return NearMatch{}, false, fmt.Errorf("near-duplicate index of %s: unexpected reply %v", job, res)
	}
	u, _ := res[0].(string)
	d, _ := res[1].(int64)
	return NearMatch{URL: u, Distance: int(d)}, true, nil
}
