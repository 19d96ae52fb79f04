package crawler

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Near-duplicate index. The store keeps, per job, the 64-bit SimHash
// fingerprint of every document written, so that a syndicated copy of one
// (the same agency story on another site) can be found without comparing
// with every document. A fingerprint is cut into maxDist+1 bands of
// consecutive bits: two fingerprints at most maxDist bits apart agree
// exactly on at least one band (pigeonhole), so a lookup reads only the
// entries that share a band with it and checks their distance. With
// uniformly spread fingerprints that is about (maxDist+1)·N / 2^(64/(maxDist+1))
// of a job's N documents: 4·N/65536 at the default 3, 8·N/256 at 7, the
// largest distance accepted (MaxNearDistance). The band layout depends on
// maxDist, so changing it starts a new, empty index.

// MaxNearDistance is the largest maxDist the index accepts: past it, the
// bands are so narrow that a lookup reads a large part of the index.
const MaxNearDistance = 7

// NearMatch is a document recorded with a fingerprint close to another's.
type NearMatch struct {
	URL      string // as recorded
	Distance int    // bits apart
}

// nearBand is one band of a fingerprint as a key prefix: the band count,
// the band's index and its bits (8 bytes, big endian).
func nearBands(fp uint64, maxDist int) [][]byte {
	n := maxDist + 1
	out := make([][]byte, n)
	for i := range n {
		lo, hi := i*64/n, (i+1)*64/n
		v := (fp >> lo) & (1<<(hi-lo) - 1)
		k := make([]byte, 2, 10)
		k[0], k[1] = byte(n), byte(i)
		out[i] = binary.BigEndian.AppendUint64(k, v)
	}
	return out
}

func checkNearDistance(maxDist int) error {
	if maxDist < 0 || maxDist > MaxNearDistance {
		return fmt.Errorf("near-duplicate distance %d: want 0 to %d", maxDist, MaxNearDistance)
	}
	return nil
}

func hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }
