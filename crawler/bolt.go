package crawler

import (
	"bytes"
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
//	records  urlKey(url) -> Record (compact: see encodeRecord), kept across
//	         runs; the entry of a URL the run in progress has seen is marked
//	         with the run's number (see withVisit), so the records are the
//	         visited set too, and a URL seen without a record (a section
//	         page) has a marked entry holding nothing
//	frontier seq (8 bytes, big endian) -> Item (compact: see encodeItem)
//	hosts    the frontier's schemes and hosts: "p"+"https://example.com" ->
//	         number (uvarint), "n"+number -> "https://example.com"
//	meta     "active" while a run is unfinished; "run" -> the run's number
//
// State files written by older versions keyed the records and the visited
// set by the URL itself, with JSON values, in "pages" and "seen", or kept
// the visited set by urlKey in "visited". All are still read: "pages" when
// "records" has no record of a URL (a record moves to "records" when it is
// next written), "seen" and "visited" when resuming a run an older version
// began (FinishRun drops them). JSON frontier items are read too.
var (
	bucketRecords  = []byte("records")
	bucketFrontier = []byte("frontier")
	bucketHosts    = []byte("hosts")
	bucketMeta     = []byte("meta")
	bucketPages    = []byte("pages")   // older files: url -> Record (JSON)
	bucketSeen     = []byte("seen")    // older files: url -> empty
	bucketVisited  = []byte("visited") // older files: urlKey(url) -> empty
	keyActive      = []byte("active")
	keyRun         = []byte("run")
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
	records, frontier, hosts, meta *bolt.Bucket
	// An older version's buckets, nil when the file has none.
	oldPages, oldSeen, oldVisited *bolt.Bucket
	run                           uint64 // the run's number, from 1
}

// jobTx returns the job's buckets, creating them.
func jobTx(tx *bolt.Tx, job string) (*jobBuckets, error) {
	jb, err := tx.CreateBucketIfNotExists(jobBucket(job))
	if err != nil {
		return nil, err
	}
	b := &jobBuckets{oldPages: jb.Bucket(bucketPages), oldSeen: jb.Bucket(bucketSeen), oldVisited: jb.Bucket(bucketVisited)}
	for _, p := range []struct {
		name []byte
		dst  **bolt.Bucket
	}{{bucketRecords, &b.records}, {bucketFrontier, &b.frontier}, {bucketHosts, &b.hosts}, {bucketMeta, &b.meta}} {
		if *p.dst, err = jb.CreateBucketIfNotExists(p.name); err != nil {
			return nil, err
		}
	}
	// Items are appended in key order and taken from the front: full
	// pages, not the half-full ones a split leaves by default.
	b.frontier.FillPercent = 1
	if v := b.meta.Get(keyRun); len(v) == 8 {
		b.run = binary.BigEndian.Uint64(v)
	}
	if b.run == 0 { // a new file, or an older version's
		return b, b.setRun(1)
	}
	return b, nil
}

// hostID returns the number of url's scheme and host in the hosts
// bucket, adding them; 0 when url has none.
func (b *jobBuckets) hostID(url string) (uint64, error) {
	prefix, _ := splitURL(url)
	if prefix == "" {
		return 0, nil
	}
	k := append([]byte{'p'}, prefix...)
	if v := b.hosts.Get(k); v != nil {
		id, n := binary.Uvarint(v)
		if n <= 0 {
			return 0, fmt.Errorf("bad host number of %s", prefix)
		}
		return id, nil
	}
	id, err := b.hosts.NextSequence()
	if err != nil {
		return 0, err
	}
	if err := b.hosts.Put(k, binary.AppendUvarint(nil, id)); err != nil {
		return 0, err
	}
	return id, b.hosts.Put(append([]byte{'n'}, binary.AppendUvarint(nil, id)...), []byte(prefix))
}

// hostNames returns hostID's numbers' schemes and hosts from hosts (nil
// in a file without it), keeping those it read.
func hostNames(hosts *bolt.Bucket) func(uint64) (string, bool) {
	names := map[uint64]string{}
	return func(id uint64) (string, bool) {
		if name, ok := names[id]; ok {
			return name, true
		}
		if hosts == nil {
			return "", false
		}
		v := hosts.Get(append([]byte{'n'}, binary.AppendUvarint(nil, id)...))
		if v == nil {
			return "", false
		}
		names[id] = string(v)
		return names[id], true
	}
}

func (b *jobBuckets) setRun(run uint64) error {
	b.run = run
	return b.meta.Put(keyRun, binary.BigEndian.AppendUint64(nil, run))
}

// A records value marked as seen by a run: visitMark, the run's number
// (uvarint), then the record's own value, if any.
const visitMark = 2

// splitVisit returns the run that saw the entry (0: none) and its record's
// value (empty: none).
func splitVisit(v []byte) (run uint64, rec []byte) {
	if len(v) > 0 && v[0] == visitMark {
		if r, n := binary.Uvarint(v[1:]); n > 0 {
			return r, v[1+n:]
		}
	}
	return 0, v
}

// withVisit returns rec marked as seen by run (rec itself for run 0).
func withVisit(run uint64, rec []byte) []byte {
	if run == 0 {
		return rec
	}
	v := make([]byte, 0, 1+binary.MaxVarintLen64+len(rec))
	v = append(v, visitMark)
	v = binary.AppendUvarint(v, run)
	return append(v, rec...)
}

// record returns the stored record value of url (key: urlKey(url)), nil
// if none, and the run that saw the URL (0: none).
func (b *jobBuckets) record(key []byte, url string) (rec []byte, run uint64) {
	if b.records != nil {
		run, rec = splitVisit(b.records.Get(key))
	}
	if len(rec) == 0 {
		rec = nil
		if b.oldPages != nil {
			rec = b.oldPages.Get([]byte(url))
		}
	}
	return rec, run
}

// putRecord stores rec for url, seen by run (0: not by this run), moving
// it out of an older version's bucket.
func (b *jobBuckets) putRecord(key []byte, url string, rec *Record, run uint64) error {
	v, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	if err := b.records.Put(key, withVisit(run, v)); err != nil {
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
		// A new run: the entries the last one marked count as unseen.
		if err := b.setRun(b.run + 1); err != nil {
			return err
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
	records := b.records.Cursor()
	for _, it := range items {
		k := urlKey(it.URL)
		run, rec := splitVisit(cursorGet(records, k))
		if run == b.run || (b.oldVisited != nil && b.oldVisited.Get(k) != nil) || (b.oldSeen != nil && b.oldSeen.Get([]byte(it.URL)) != nil) {
			continue
		}
		if err := b.records.Put(k, withVisit(b.run, rec)); err != nil {
			return added, err
		}
		seq, err := b.frontier.NextSequence()
		if err != nil {
			return added, err
		}
		host, err := b.hostID(it.URL)
		if err != nil {
			return added, err
		}
		if err := b.frontier.Put(seqKey(seq), encodeItem(it, host)); err != nil {
			return added, err
		}
		added++
	}
	return added, nil
}

// cursorGet is Get(k) of c's bucket through c. A bucket's Get makes a
// cursor of its own and allocates its path through the tree anew; a loop
// of lookups reuses one cursor instead. Writes to the bucket between two
// calls are fine: Seek positions the cursor afresh.
func cursorGet(c *bolt.Cursor, k []byte) []byte {
	key, v := c.Seek(k)
	if !bytes.Equal(key, k) {
		return nil
	}
	return v
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
		names := hostNames(jb.Bucket(bucketHosts))
		c := front.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(items) < n; k, v = c.Next() {
			it, err := decodeItem(v, names)
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
			old, run := b.record(key, it.URL)
			if old != nil && rec.OutputID == "" {
				if o, err := decodeRecord(old); err == nil {
					rec.OutputID = o.OutputID
				}
			}
			if err := b.putRecord(key, it.URL, rec, run); err != nil {
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
		v, _ := b.record(urlKey(url), url)
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
		v, run := b.record(key, url)
		if v != nil {
			if rec, err = decodeRecord(v); err != nil {
				return err
			}
		}
		rec.OutputID = id
		return b.putRecord(key, url, &rec, run)
	})
	if err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	return nil
}

// FinishRun forgets the run's visited set and frontier: the entries of
// URLs seen without a record go, the marks on the others stay (the next
// run has another number), and so does an older version's records bucket
// until all its records have moved.
func (s *BoltStore) FinishRun(ctx context.Context, job string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		jb := tx.Bucket(jobBucket(job))
		if jb == nil {
			return nil
		}
		drop := [][]byte{bucketVisited, bucketSeen, bucketFrontier, bucketHosts}
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
		if r := jb.Bucket(bucketRecords); r != nil {
			var empty [][]byte
			c := r.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if run, rec := splitVisit(v); run != 0 && len(rec) == 0 {
					empty = append(empty, bytes.Clone(k))
				}
			}
			for _, k := range empty {
				if err := r.Delete(k); err != nil {
					return err
				}
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
