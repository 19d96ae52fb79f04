package crawler

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bbolt layout of the template evidence: a top-level bucket "template"
// with one bucket per host holding
//
//	urls   url -> recorded at (8 bytes, unix ns) + page entry (pageBlob)
//	order  recorded at (8 bytes) + url -> empty, oldest first
//	counts fingerprint (8 bytes) -> pages (4 bytes) + article pages (4 bytes)
//	meta   "pages", "articles" -> count (4 bytes); "last" -> last recorded (8 bytes)
//
// A host not recorded for MaxAge is dropped whole, as its Redis keys expire.
var (
	bucketTemplate = []byte("template")
	bucketTplURLs  = []byte("urls")
	bucketTplOrder = []byte("order")
	bucketTplCount = []byte("counts")
	keyTplPages    = []byte("pages")
	keyTplArticles = []byte("articles")
	keyTplLast     = []byte("last")
)

type tplBuckets struct{ urls, order, counts, meta *bolt.Bucket }

func tplHost(tx *bolt.Tx, host string, create bool) (*tplBuckets, error) {
	if !create {
		top := tx.Bucket(bucketTemplate)
		if top == nil {
			return nil, nil
		}
		hb := top.Bucket([]byte(host))
		if hb == nil {
			return nil, nil
		}
		return &tplBuckets{urls: hb.Bucket(bucketTplURLs), order: hb.Bucket(bucketTplOrder), counts: hb.Bucket(bucketTplCount), meta: hb.Bucket(bucketMeta)}, nil
	}
	top, err := tx.CreateBucketIfNotExists(bucketTemplate)
	if err != nil {
		return nil, err
	}
	hb, err := top.CreateBucketIfNotExists([]byte(host))
	if err != nil {
		return nil, err
	}
	var b tplBuckets
	for _, p := range []struct {
		name []byte
		dst  **bolt.Bucket
	}{{bucketTplURLs, &b.urls}, {bucketTplOrder, &b.order}, {bucketTplCount, &b.counts}, {bucketMeta, &b.meta}} {
		if *p.dst, err = hb.CreateBucketIfNotExists(p.name); err != nil {
			return nil, err
		}
	}
	return &b, nil
}

func getU32(b *bolt.Bucket, k []byte) int {
	if v := b.Get(k); len(v) == 4 {
		return int(binary.BigEndian.Uint32(v))
	}
	return 0
}

func putU32(b *bolt.Bucket, k []byte, n int) error {
	return b.Put(k, binary.BigEndian.AppendUint32(nil, uint32(max(n, 0))))
}

// TemplateCounts returns the evidence of host's pages other than url for fps.
func (s *BoltStore) TemplateCounts(ctx context.Context, host, url string, fps []uint64) (TemplateCounts, error) {
	tc := TemplateCounts{Count: make([]int, len(fps)), Articles: make([]int, len(fps))}
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := tplHost(tx, host, false)
		if b == nil || err != nil {
			return err
		}
		tc.Pages, tc.ArticlePages = getU32(b.meta, keyTplPages), getU32(b.meta, keyTplArticles)
		self := map[string]bool{}
		selfArticle := false
		if v := b.urls.Get([]byte(url)); len(v) > 8 {
			var own []string
			selfArticle, own = blobFPs(v[8:])
			for _, k := range own {
				self[k] = true
			}
			tc.Pages--
			if selfArticle {
				tc.ArticlePages--
			}
		}
		counts := b.counts.Cursor()
		for i, fp := range fps {
			k := fpKey(fp)
			v := cursorGet(counts, []byte(k))
			if len(v) != 8 {
				continue
			}
			tc.Count[i], tc.Articles[i] = int(binary.BigEndian.Uint32(v)), int(binary.BigEndian.Uint32(v[4:]))
			if self[k] {
				tc.Count[i]--
				if selfArticle {
					tc.Articles[i]--
				}
			}
		}
		return nil
	})
	if err != nil {
		return TemplateCounts{}, fmt.Errorf("read template of %s: %w", host, err)
	}
	return tc, nil
}

// RecordTemplates stores the fingerprints of pages, each replacing what
// its URL said before, and forgets the pages beyond lim: all in one
// transaction, so a batch costs one commit. The pages are recorded in
// order, but the counts they change are summed per host and fingerprint
// and written once each at the end: the pages of a site share most of
// their fingerprints (its chrome), and a page leaving the window takes
// back what an earlier one added, so a batch writes each key once instead
// of once per page that has it.
func (s *BoltStore) RecordTemplates(ctx context.Context, pages []TemplatePage, lim TemplateLimits) error {
	lim = lim.withDefaults()
	err := s.db.Update(func(tx *bolt.Tx) error {
		var (
			latest time.Time
			hosts  = map[string]*tplBatch{}
			order  []*tplBatch
		)
		for _, p := range pages {
			h := hosts[p.Host]
			if h == nil {
				b, err := tplHost(tx, p.Host, true)
				if err != nil {
					return fmt.Errorf("%s: %w", p.URL, err)
				}
				h = newTplBatch(b)
				hosts[p.Host] = h
				order = append(order, h)
			}
			if err := h.record(p, lim); err != nil {
				return fmt.Errorf("%s: %w", p.URL, err)
			}
			if p.At.After(latest) {
				latest = p.At
			}
		}
		for _, h := range order {
			if err := h.flush(); err != nil {
				return err
			}
		}
		return forgetStaleHosts(tx, latest.Add(-lim.MaxAge))
	})
	if err != nil {
		return fmt.Errorf("record template: %w", err)
	}
	return nil
}

// tplBatch is one host's part of a RecordTemplates call: the page entries
// are written as they come, the counts they change are summed here and
// written by flush.
type tplBatch struct {
	b               *tplBuckets
	pages, articles int // the host's counts, with the batch's changes
	articlesChanged bool
	last            []byte            // stamp of the last page recorded
	deltas          map[uint64][2]int // fingerprint -> change of (pages, article pages)
}

func newTplBatch(b *tplBuckets) *tplBatch {
	return &tplBatch{b: b, pages: getU32(b.meta, keyTplPages), articles: getU32(b.meta, keyTplArticles), deltas: map[uint64][2]int{}}
}

func (h *tplBatch) record(p TemplatePage, lim TemplateLimits) error {
	b := h.b
	url := []byte(p.URL)
	if err := h.forget(url); err != nil {
		return err
	}
	stamp := binary.BigEndian.AppendUint64(nil, uint64(p.At.UnixNano()))
	blob := pageBlob(p.FPs, p.Article)
	if err := b.urls.Put(url, append(append([]byte(nil), stamp...), blob...)); err != nil {
		return err
	}
	if err := b.order.Put(append(append([]byte(nil), stamp...), url...), nil); err != nil {
		return err
	}
	h.add(blob, 1)
	h.last = stamp
	// Forget the oldest pages beyond the window and those too old.
	cutoff := uint64(p.At.Add(-lim.MaxAge).UnixNano())
	var victims [][]byte
	c := b.order.Cursor()
	for k, _ := c.First(); k != nil && len(k) > 8; k, _ = c.Next() {
		if h.pages-len(victims) <= lim.Window && binary.BigEndian.Uint64(k) >= cutoff {
			break
		}
		victims = append(victims, append([]byte(nil), k[8:]...))
	}
	for _, v := range victims {
		if err := h.forget(v); err != nil {
			return err
		}
	}
	return nil
}

// forget removes url's page and takes back its counts, if it has one.
func (h *tplBatch) forget(url []byte) error {
	b := h.b
	v := b.urls.Get(url)
	if len(v) <= 8 {
		return nil
	}
	blob := append([]byte(nil), v[8:]...)
	if err := b.order.Delete(append(append([]byte(nil), v[:8]...), url...)); err != nil {
		return err
	}
	if err := b.urls.Delete(url); err != nil {
		return err
	}
	h.add(blob, -1)
	return nil
}

// add counts a page entry in (d = 1) or out (d = -1).
func (h *tplBatch) add(blob []byte, d int) {
	if len(blob) == 0 {
		return
	}
	a := 0
	if blob[0] == 1 {
		a = d
		h.articles += d
		h.articlesChanged = true
	}
	h.pages += d
	for i := 1; i+8 <= len(blob); i += 8 {
		fp := binary.BigEndian.Uint64(blob[i:])
		c := h.deltas[fp]
		h.deltas[fp] = [2]int{c[0] + d, c[1] + a}
	}
}

// flush writes the host's counts: each fingerprint whose count changed
// once, in key order; a fingerprint no page has any more is deleted.
func (h *tplBatch) flush() error {
	b := h.b
	if err := putU32(b.meta, keyTplPages, h.pages); err != nil {
		return err
	}
	if h.articlesChanged {
		if err := putU32(b.meta, keyTplArticles, h.articles); err != nil {
			return err
		}
	}
	if h.last != nil {
		if err := b.meta.Put(keyTplLast, h.last); err != nil {
			return err
		}
	}
	var k [8]byte
	counts := b.counts.Cursor()
	for _, fp := range slices.Sorted(maps.Keys(h.deltas)) {
		d := h.deltas[fp]
		if d == [2]int{} {
			continue
		}
		binary.BigEndian.PutUint64(k[:], fp)
		var n, na int
		if v := cursorGet(counts, k[:]); len(v) == 8 {
			n, na = int(binary.BigEndian.Uint32(v)), int(binary.BigEndian.Uint32(v[4:]))
		}
		n, na = n+d[0], na+d[1]
		if n <= 0 {
			if err := b.counts.Delete(k[:]); err != nil {
				return err
			}
			continue
		}
		v := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(make([]byte, 0, 8), uint32(n)), uint32(max(na, 0)))
		if err := b.counts.Put(bytes.Clone(k[:]), v); err != nil {
			return err
		}
	}
	return nil
}

// forgetStaleHosts drops the hosts last recorded before cutoff. It reads
// one key per host, once per batch.
func forgetStaleHosts(tx *bolt.Tx, cutoff time.Time) error {
	top := tx.Bucket(bucketTemplate)
	if top == nil {
		return nil
	}
	var stale [][]byte
	err := top.ForEachBucket(func(host []byte) error {
		hb := top.Bucket(host)
		meta := hb.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		if v := meta.Get(keyTplLast); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff.UnixNano() {
			stale = append(stale, append([]byte(nil), host...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range stale {
		if err := top.DeleteBucket(h); err != nil {
			return err
		}
	}
	return nil
}
