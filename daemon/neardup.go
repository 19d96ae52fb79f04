package daemon

import (
	"context"
	"log/slog"

	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
	"winnow/simhash"
)

// nearIndex is what the Runner needs of a state store to find syndicated
// copies: the job's SimHash fingerprints, looked up and recorded in one
// step (crawler.BoltStore and crawler.RedisStore have it).
type nearIndex interface {
	ClaimNear(ctx context.Context, job, url string, fp uint64, maxDist int) (crawler.NearMatch, bool, error)
}

// nearDuplicate returns "near_duplicate" when the job's filter asks for
// near-duplicate detection and doc's text is within its max_distance of a
// document the job already wrote under another URL; otherwise it records
// doc's fingerprint and returns "". An exact copy is left to the sink,
// which counts it as a duplicate. When the store cannot answer, the
// document is written: losing a copy is worse than keeping one.
func (r *Runner) nearDuplicate(ctx context.Context, log *slog.Logger, job string, f config.Filter, doc cleaner.Document) string {
	nd := f.NearDuplicates
	if !nd.Enabled || r.sink.HeldByOther(doc) {
		return ""
	}
	idx, ok := r.store.(nearIndex)
	if !ok {
		log.Warn("near-duplicate detection is on but the state store keeps no fingerprints; written", "url", doc.URL)
		return ""
	}
	url := doc.CanonicalURL
	if url == "" {
		url = doc.URL
	}
	m, found, err := idx.ClaimNear(ctx, job, url, simhash.Fingerprint(doc.Text()), nd.MaxDistance)
	if err != nil {
		log.Warn("near-duplicate check failed; written", "url", doc.URL, "err", err)
		return ""
	}
	if !found {
		return ""
	}
	log.Debug("page not written", "url", doc.URL, "reason", "near_duplicate", "copy_of", m.URL, "distance", m.Distance)
	return "near_duplicate"
}
