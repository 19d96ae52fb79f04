package crawler

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The bbolt store keeps its records, visited set and frontier compact: a
// 20,000-article crawl reads and rewrites these B-tree pages all the time,
// and every page it touches counts in the process's memory (the file is
// mapped) and, when written, in the commit's buffers. Values written by
// older versions are JSON objects (first byte '{'); they are still read.

// urlKey is the key of url in the records and visited buckets: the first
// 16 bytes of its SHA-256 instead of the URL itself (about 50 bytes, and
// up to 2 KB). A collision needs some 2^64 URLs.
func urlKey(url string) []byte {
	sum := sha256.Sum256([]byte(url))
	return sum[:16]
}

// Compact value formats, told from JSON by their first byte.
const (
	itemV1   = 1 // frontier item: kind, depth (uvarint), URL
	itemV2   = 2 // frontier item: kind, depth, host (uvarint: see hostID), the URL after it
	recordV1 = 1 // record: fields (below)
)

// splitURL cuts url after its scheme and host ("https://example.com",
// "/a/b?c"); prefix is empty when url has no "://".
func splitURL(url string) (prefix, rest string) {
	i := strings.Index(url, "://")
	if i < 0 {
		return "", url
	}
	j := strings.IndexByte(url[i+3:], '/')
	if j < 0 {
		return url, ""
	}
	return url[:i+3+j], url[i+3+j:]
}

// encodeItem returns it in the compact form: with the scheme and host of
// its URL given as host, the number hostID gave them, when host is not 0.
func encodeItem(it Item, host uint64) []byte {
	b := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(it.URL))
	ver, url := byte(itemV1), it.URL
	if host != 0 {
		ver = itemV2
		_, url = splitURL(url)
	}
	b = append(b, ver, byte(it.Kind))
	b = binary.AppendUvarint(b, uint64(max(it.Depth, 0)))
	if host != 0 {
		b = binary.AppendUvarint(b, host)
	}
	return append(b, url...)
}

// decodeItem reads a frontier item; hostName returns the scheme and host
// of a number hostID gave.
func decodeItem(v []byte, hostName func(uint64) (string, bool)) (Item, error) {
	var it Item
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &it)
		return it, err
	}
	if len(v) < 3 || (v[0] != itemV1 && v[0] != itemV2) {
		return it, errors.New("unknown frontier item format")
	}
	ver := v[0]
	d, n := binary.Uvarint(v[2:])
	if n <= 0 {
		return it, errors.New("bad frontier item depth")
	}
	it.Kind, it.Depth, v = Kind(v[1]), int(d), v[2+n:]
	if ver == itemV1 {
		it.URL = string(v)
		return it, nil
	}
	host, n := binary.Uvarint(v)
	if n <= 0 {
		return it, errors.New("bad frontier item host")
	}
	name, ok := hostName(host)
	if !ok {
		return it, fmt.Errorf("frontier item of unknown host %d", host)
	}
	it.URL = name + string(v[n:])
	return it, nil
}

// Record fields present in a recordV1 value, in this order after the
// version and flag bytes: the body hash (32 raw bytes), FetchedAt and
// WARCDate (8 bytes each, Unix nanoseconds, UTC), an output id of 16 hex
// digits as its 8 bytes (recOutputID8), then the strings (uvarint length
// + bytes).
const (
	recSHA256 = 1 << iota
	recFetchedAt
	recWARCDate
	recETag
	recLastModified
	recOutputID
	recWARCID
	recOutputID8
)

// compactTime reports whether t survives the 8-byte form as it is: UTC,
// within Unix nanoseconds' range (years 1678 to 2262). Zero is not stored.
func compactTime(t time.Time) bool {
	return t.IsZero() || (t.Location() == time.UTC && time.Unix(0, t.UnixNano()).Equal(t))
}

// encodeRecord returns rec in the compact form, or as JSON when a field
// does not fit it (a hash that is not 64 lowercase hex digits, a time
// outside UTC), so that nothing is ever lost.
func encodeRecord(rec *Record) ([]byte, error) {
	var sum [32]byte
	hashOK := rec.SHA256 == "" || (len(rec.SHA256) == 64 && hexInto(sum[:], rec.SHA256))
	if !hashOK || !compactTime(rec.FetchedAt) || !compactTime(rec.WARCDate) {
		return json.Marshal(rec)
	}
	var flags byte
	b := make([]byte, 2, 2+32+16+len(rec.ETag)+len(rec.LastModified)+len(rec.OutputID)+len(rec.WARCID)+4*binary.MaxVarintLen64)
	if rec.SHA256 != "" {
		flags |= recSHA256
		b = append(b, sum[:]...)
	}
	outputID := rec.OutputID
	var id [8]byte
	if len(outputID) == 16 && hexInto(id[:], outputID) { // output.ID's form
		flags |= recOutputID8
		outputID = ""
	}
	for _, f := range []struct {
		t    time.Time
		flag byte
	}{{rec.FetchedAt, recFetchedAt}, {rec.WARCDate, recWARCDate}} {
		if !f.t.IsZero() {
			flags |= f.flag
			b = binary.BigEndian.AppendUint64(b, uint64(f.t.UnixNano()))
		}
	}
	if flags&recOutputID8 != 0 {
		b = append(b, id[:]...)
	}
	for _, f := range []struct {
		s    string
		flag byte
	}{{rec.ETag, recETag}, {rec.LastModified, recLastModified}, {outputID, recOutputID}, {rec.WARCID, recWARCID}} {
		if f.s != "" {
			flags |= f.flag
			b = binary.AppendUvarint(b, uint64(len(f.s)))
			b = append(b, f.s...)
		}
	}
	b[0], b[1] = recordV1, flags
	return b, nil
}

// hexInto decodes the lowercase hex s into dst, reporting whether s was
// exactly that (so that encoding dst again gives s back).
func hexInto(dst []byte, s string) bool {
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}

func decodeRecord(v []byte) (Record, error) {
	var rec Record
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &rec)
		return rec, err
	}
	if len(v) < 2 || v[0] != recordV1 {
		return rec, errors.New("unknown record format")
	}
	flags, p := v[1], v[2:]
	short := func() error { return fmt.Errorf("record truncated (flags %#x)", flags) }
	if flags&recSHA256 != 0 {
		if len(p) < 32 {
			return rec, short()
		}
		rec.SHA256, p = hex.EncodeToString(p[:32]), p[32:]
	}
	for _, f := range []struct {
		t    *time.Time
		flag byte
	}{{&rec.FetchedAt, recFetchedAt}, {&rec.WARCDate, recWARCDate}} {
		if flags&f.flag != 0 {
			if len(p) < 8 {
				return rec, short()
			}
			*f.t, p = time.Unix(0, int64(binary.BigEndian.Uint64(p))).UTC(), p[8:]
		}
	}
	if flags&recOutputID8 != 0 {
		if len(p) < 8 {
			return rec, short()
		}
		rec.OutputID, p = hex.EncodeToString(p[:8]), p[8:]
	}
	for _, f := range []struct {
		s    *string
		flag byte
	}{{&rec.ETag, recETag}, {&rec.LastModified, recLastModified}, {&rec.OutputID, recOutputID}, {&rec.WARCID, recWARCID}} {
		if flags&f.flag != 0 {
			n, w := binary.Uvarint(p)
			if w <= 0 || uint64(len(p)-w) < n {
				return rec, short()
			}
			*f.s, p = string(p[w:w+int(n)]), p[w+int(n):]
		}
	}
	if len(p) != 0 {
		return rec, fmt.Errorf("record has %d trailing bytes", len(p))
	}
	return rec, nil
}
