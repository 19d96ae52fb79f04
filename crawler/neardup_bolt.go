package crawler

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bbolt layout of the near-duplicate index: a top-level bucket "neardup"
// with one bucket per job holding
//
//	band (nearBands: 10 bytes) + url -> fingerprint (8 bytes, big endian)
var bucketNear = []byte("neardup")

// ClaimNear looks for a document of job other than url whose fingerprint
// is at most maxDist bits from fp. When there is one, it returns the
// closest and records nothing; otherwise it records fp for url. Lookup
// and record are one transaction, so of two copies claimed at once only
// one gets through.
func (s *BoltStore) ClaimNear(ctx context.Context, job, url string, fp uint64, maxDist int) (NearMatch, bool, error) {
	if err := checkNearDistance(maxDist); err != nil {
		return NearMatch{}, false, err
	}
	var best NearMatch
	found := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketNear)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists([]byte(job))
		if err != nil {
			return err
		}
		bands := nearBands(fp, maxDist)
		c := b.Cursor()
		for _, band := range bands {
			for k, v := c.Seek(band); k != nil && bytes.HasPrefix(k, band); k, v = c.Next() {
				u := string(k[len(band):])
				if u == url || len(v) != 8 {
					continue
				}
				if d := hamming(fp, binary.BigEndian.Uint64(v)); d <= maxDist && (!found || d < best.Distance) {
					best, found = NearMatch{URL: u, Distance: d}, true
				}
			}
		}
		if found {
			return nil
		}
		val := binary.BigEndian.AppendUint64(nil, fp)
		for _, band := range bands {
			if err := b.Put(append(band, url...), val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return NearMatch{}, false, fmt.Errorf("near-duplicate index of %s: %w", job, err)
	}
	return best, found, nil
}
