package crawler

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket layout: one top-level bucket per job ("job/<name>") holding
//
//	records  urlKey(url) -> Record (compact: see encodeRecord), kept across runs
//	visited  urlKey(url) -> empty, the visited set of the run in progress
//	frontier seq (8 bytes, big endian) -> Item (compact: see encodeItem)
//	meta     "active" while a run is unfinished
//
// State files written by older versions keyed the records and the visited
// set by the URL itself, with JSON values, in "pages" and "seen". Both are
// still read: "pages" when "records" has no record of a URL (a record
// moves to "records" when it is next written), "seen" when resuming a run
// an older version began (FinishRun drops it). JSON frontier items are
// read too.
var (
	bucketRecords  = []byte("records")
	bucketVisited  = []byte("visited")
	bucketFrontier = []byte("frontier")
	bucketMeta     = []byte("meta")
	bucketPages    = []byte("pages") // older files: url -> Record (JSON)
	bucketSeen     = []byte("seen")  // older files: url -> empty
	keyActive      = []byte("active")
)

// BoltStore is the embedded bbolt state backend.
type BoltStore struct {
	db *bolt.DB
}

// OpenBolt opens (creating) the bbolt state file at path. It fails when
// another process holds the file.
// ErrStateLocked is returned by OpenBolt when another process has the
// state file open.
var ErrStateLocked = errors.New("state file is locked")

func OpenBolt(path string) (*BoltStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	// NoFreelistSync keeps commits small; a kill -9 loses nothing because
	// the page cache survives the process (power loss is out of scope).
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open state %s: %w: another winnow process (a daemon or a crawl) holds it", path, ErrStateLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// Ping reports whether the store answers.
func (s *BoltStore) Ping(ctx context.Context) error {
	return s.db.View(func(*bolt.Tx) error { return nil })
}

// Close closes the store.
func (s *BoltStore) Close() error { return s.db.Close() }

func jobBucket(job string) []byte { return []byte("job/" + job) }

// jobBuckets are a job's buckets in one transaction.
type jobBuckets struct {
	records, visited, frontier, meta *bolt.Bucket
	// An older version's buckets, nil when the file has none.
	oldPages, oldSeen *bolt.Bucket
}

// jobTx returns the job's buckets, creating them.
func jobTx(tx *bolt.Tx, job string) (*jobBuckets, error) {
	jb, err := tx.CreateBucketIfNotExists(jobBucket(job))
	if err != nil {
		return nil, err
	}
	b := &jobBuckets{oldPages: jb.Bucket(bucketPages), oldSeen: jb.Bucket(bucketSeen)}
	for _, p := range []struct {
		name []byte
		dst  **bolt.Bucket
	}{{bucketRecords, &b.records}, {bucketVisited, &b.visited}, {bucketFrontier, &b.frontier}, {bucketMeta, &b.meta}} {
		if *p.dst, err = jb.CreateBucketIfNotExists(p.name); err != nil {
			return nil, err
		}
	}
	// Items are appended in key order and taken from the front: full
	// pages, not the half-full ones a split leaves by default.
	b.frontier.FillPercent = 1
	return b, nil
}

// record returns the stored value of url (key: urlKey(url)), nil if none.
func (b *jobBuckets) record(key []byte, url string) []byte {
	if b.records != nil {
		if v := b.records.Get(key); v != nil {
			return v
		}
	}
	if b.oldPages != nil {
		return b.oldPages.Get([]byte(url))
	}
	return nil
}

// putRecord stores rec for url, moving it out of an older version's bucket.
func (b *jobBuckets) putRecord(key []byte, url string, rec *Record) error {
	v, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	if err := b.records.Put(key, v); err != nil {
		return err
	}
	if b.oldPages != nil {
		return b.oldPages.Delete([]byte(url))
	}
	return nil
}

// BeginRun starts or resumes the job's run.
func (s *BoltStore) BeginRun(ctx context.Context, job string) (resumed bool, queued int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := jobTx(tx, job)
		if err != nil {
			return err
		}
		if b.meta.Get(keyActive) != nil {
			resumed = true
			queued = b.frontier.Stats().KeyN
			return nil
		}
		return b.meta.Put(keyActive, []byte(time.Now().UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return false, 0, fmt.Errorf("begin run of %s: %w", job, err)
	}
	return resumed, queued, nil
}

func enqueue(b *jobBuckets, items []Item) (int, error) {
	added := 0
	for _, it := range items {
		k := urlKey(it.URL)
		if b.visited.Get(k) != nil || (b.oldSeen != nil && b.oldSeen.Get([]byte(it.URL)) != nil) {
			continue
		}
		if err := b.visited.Put(k, []byte{}); err != nil {
			return added, err
		}
		seq, err := b.frontier.NextSequence()
		if err != nil {
			return added, err
		}
		if err := b.frontier.Put(seqKey(seq), encodeItem(it)); err != nil {
			return added, err
		}
		added++
	}
	return added, nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Enqueue adds the items this run has not seen yet.
func (s *BoltStore) Enqueue(ctx context.Context, job string, items []Item) (int, error) {
	var added int
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, err := jobTx(tx, job)
		if err != nil {
			return err
		}
		added, err = enqueue(b, items)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue for %s: %w", job, err)
	}
	return added, nil
}

// Frontier returns up to n items with Seq > after.
func (s *BoltStore) Frontier(ctx context.Context, job string, after uint64, n int) ([]Item, error) {
	var items []Item
	err := s.db.View(func(tx *bolt.Tx) error {
		jb := tx.Bucket(jobBucket(job))
		if jb == nil {
			return nil
		}
		front := jb.Bucket(bucketFrontier)
		if front == nil {
			return nil
		}
		c := front.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(items) < n; k, v = c.Next() {
			it, err := decodeItem(v)
			if err != nil {
				return fmt.Errorf("frontier item %x: %w", k, err)
			}
			it.Seq = binary.BigEndian.Uint64(k)
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read frontier of %s: %w", job, err)
	}
	return items, nil
}

// Done removes it from the frontier, stores rec and enqueues links at once.
func (s *BoltStore) Done(ctx context.Context, job string, it Item, rec *Record, links []Item) (int, error) {
	var added int
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, err := jobTx(tx, job)
		if err != nil {
			return err
		}
		if err := b.frontier.Delete(seqKey(it.Seq)); err != nil {
			return err
		}
		if rec != nil {
			key := urlKey(it.URL)
			if rec.OutputID == "" {
				if old := b.record(key, it.URL); old != nil {
					if o, err := decodeRecord(old); err == nil {
						rec.OutputID = o.OutputID
					}
				}
			}
			if err := b.putRecord(key, it.URL, rec); err != nil {
				return err
			}
		}
		added, err = enqueue(b, links)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark %s done: %w", it.URL, err)
	}
	return added, nil
}

// Record returns the stored record of url.
func (s *BoltStore) Record(ctx context.Context, job, url string) (Record, bool, error) {
	var rec Record
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		jb := tx.Bucket(jobBucket(job))
		if jb == nil {
			return nil
		}
		b := jobBuckets{records: jb.Bucket(bucketRecords), oldPages: jb.Bucket(bucketPages)}
		v := b.record(urlKey(url), url)
		if v == nil {
			return nil
		}
		ok = true
		var err error
		rec, err = decodeRecord(v)
		return err
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("read state of %s: %w", url, err)
	}
	return rec, ok, nil
}

// SetOutputID remembers the id of the document written for url.
func (s *BoltStore) SetOutputID(ctx context.Context, job, url, id string) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, err := jobTx(tx, job)
		if err != nil {
			return err
		}
		var rec Record
		key := urlKey(url)
		if v := b.record(key, url); v != nil {
			if rec, err = decodeRecord(v); err != nil {
				return err
			}
		}
		rec.OutputID = id
		return b.putRecord(key, url, &rec)
	})
	if err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	return nil
}

// FinishRun forgets the run's visited set and frontier (and an older
// version's records bucket once all its records have moved).
func (s *BoltStore) FinishRun(ctx context.Context, job string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		jb := tx.Bucket(jobBucket(job))
		if jb == nil {
			return nil
		}
		drop := [][]byte{bucketVisited, bucketSeen, bucketFrontier}
		if p := jb.Bucket(bucketPages); p != nil {
			if k, _ := p.Cursor().First(); k == nil {
				drop = append(drop, bucketPages)
			}
		}
		for _, name := range drop {
			if err := jb.DeleteBucket(name); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
				return err
			}
		}
		if m := jb.Bucket(bucketMeta); m != nil {
			return m.Delete(keyActive)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish run of %s: %w", job, err)
	}
	return nil
}
