package crawler

import (
	"context"
	"encoding/binary"
	"fmt"
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
		for i, fp := range fps {
			k := fpKey(fp)
			v := b.counts.Get([]byte(k))
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
// transaction, so a batch costs one commit.
func (s *BoltStore) RecordTemplates(ctx context.Context, pages []TemplatePage, lim TemplateLimits) error {
	lim = lim.withDefaults()
	err := s.db.Update(func(tx *bolt.Tx) error {
		var latest time.Time
		for _, p := range pages {
			if err := recordTemplate(tx, p, lim); err != nil {
				return fmt.Errorf("%s: %w", p.URL, err)
			}
			if p.At.After(latest) {
				latest = p.At
			}
		}
		return forgetStaleHosts(tx, latest.Add(-lim.MaxAge))
	})
	if err != nil {
		return fmt.Errorf("record template: %w", err)
	}
	return nil
}

func recordTemplate(tx *bolt.Tx, p TemplatePage, lim TemplateLimits) error {
	b, err := tplHost(tx, p.Host, true)
	if err != nil {
		return err
	}
	url := []byte(p.URL)
	if err := b.forget(url); err != nil {
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
	if err := b.add(blob, 1); err != nil {
		return err
	}
	if err := b.meta.Put(keyTplLast, stamp); err != nil {
		return err
	}
	// Forget the oldest pages beyond the window and those too old.
	pages := getU32(b.meta, keyTplPages)
	cutoff := uint64(p.At.Add(-lim.MaxAge).UnixNano())
	var victims [][]byte
	c := b.order.Cursor()
	for k, _ := c.First(); k != nil && len(k) > 8; k, _ = c.Next() {
		if pages-len(victims) <= lim.Window && binary.BigEndian.Uint64(k) >= cutoff {
			break
		}
		victims = append(victims, append([]byte(nil), k[8:]...))
	}
	for _, v := range victims {
		if err := b.forget(v); err != nil {
			return err
		}
	}
	return nil
}

// forget removes url's page and its counts, if it has one.
func (b *tplBuckets) forget(url []byte) error {
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
	return b.add(blob, -1)
}

// add counts a page entry in (d = 1) or out (d = -1).
func (b *tplBuckets) add(blob []byte, d int) error {
	article, fps := blobFPs(blob)
	a := 0
	if article {
		a = d
		if err := putU32(b.meta, keyTplArticles, getU32(b.meta, keyTplArticles)+d); err != nil {
			return err
		}
	}
	if err := putU32(b.meta, keyTplPages, getU32(b.meta, keyTplPages)+d); err != nil {
		return err
	}
	for _, k := range fps {
		var n, na int
		if v := b.counts.Get([]byte(k)); len(v) == 8 {
			n, na = int(binary.BigEndian.Uint32(v)), int(binary.BigEndian.Uint32(v[4:]))
		}
		n, na = n+d, na+a
		if n <= 0 {
			if err := b.counts.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		v := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(n)), uint32(max(na, 0)))
		if err := b.counts.Put([]byte(k), v); err != nil {
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
