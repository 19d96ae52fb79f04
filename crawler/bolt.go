package crawler

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket layout: one top-level bucket per job ("job/<name>") holding
//
//	pages    url -> Record (JSON), kept across runs
//	seen     url -> empty, the visited set of the run in progress
//	frontier seq (8 bytes, big endian) -> Item (JSON)
//	meta     "active" while a run is unfinished
var (
	bucketPages    = []byte("pages")
	bucketSeen     = []byte("seen")
	bucketFrontier = []byte("frontier")
	bucketMeta     = []byte("meta")
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

// jobTx returns the job's bucket and its sub-buckets, creating them.
func jobTx(tx *bolt.Tx, job string) (map[string]*bolt.Bucket, error) {
	jb, err := tx.CreateBucketIfNotExists(jobBucket(job))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*bolt.Bucket, 4)
	for _, name := range [][]byte{bucketPages, bucketSeen, bucketFrontier, bucketMeta} {
		b, err := jb.CreateBucketIfNotExists(name)
		if err != nil {
			return nil, err
		}
		out[string(name)] = b
	}
	return out, nil
}

// BeginRun starts or resumes the job's run.
func (s *BoltStore) BeginRun(ctx context.Context, job string) (resumed bool, queued int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := jobTx(tx, job)
		if err != nil {
			return err
		}
		if b["meta"].Get(keyActive) != nil {
			resumed = true
			queued = b["frontier"].Stats().KeyN
			return nil
		}
		return b["meta"].Put(keyActive, []byte(time.Now().UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return false, 0, fmt.Errorf("begin run of %s: %w", job, err)
	}
	return resumed, queued, nil
}

func enqueue(b map[string]*bolt.Bucket, items []Item) (int, error) {
	added := 0
	seen, front := b["seen"], b["frontier"]
	for _, it := range items {
		k := []byte(it.URL)
		if seen.Get(k) != nil {
			continue
		}
		if err := seen.Put(k, []byte{}); err != nil {
			return added, err
		}
		seq, err := front.NextSequence()
		if err != nil {
			return added, err
		}
		v, err := json.Marshal(it)
		if err != nil {
			return added, err
		}
		if err := front.Put(seqKey(seq), v); err != nil {
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
			var it Item
			if err := json.Unmarshal(v, &it); err != nil {
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
		if err := b["frontier"].Delete(seqKey(it.Seq)); err != nil {
			return err
		}
		if rec != nil {
			if old := b["pages"].Get([]byte(it.URL)); old != nil && rec.OutputID == "" {
				var o Record
				if json.Unmarshal(old, &o) == nil {
					rec.OutputID = o.OutputID
				}
			}
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := b["pages"].Put([]byte(it.URL), v); err != nil {
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
		pages := jb.Bucket(bucketPages)
		if pages == nil {
			return nil
		}
		v := pages.Get([]byte(url))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &rec)
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
		if v := b["pages"].Get([]byte(url)); v != nil {
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
		}
		rec.OutputID = id
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b["pages"].Put([]byte(url), v)
	})
	if err != nil {
		return fmt.Errorf("set output id of %s: %w", url, err)
	}
	return nil
}

// FinishRun forgets the run's visited set and frontier.
func (s *BoltStore) FinishRun(ctx context.Context, job string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		jb := tx.Bucket(jobBucket(job))
		if jb == nil {
			return nil
		}
		for _, name := range [][]byte{bucketSeen, bucketFrontier} {
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
