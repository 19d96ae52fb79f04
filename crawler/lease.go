package crawler

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Distributed crawling: with Options.Shared, several crawlers (one per
// replica of the daemon) work one job's frontier at once. The store must
// then be a sharedFrontier (RedisStore is): each crawler leases a few items
// at a time, renews its leases while it works on them and acknowledges each
// with the store's Done. A crawler that dies stops renewing, and its items
// go back to the others once their lease expires. bbolt has no leases: a
// single process reads its frontier with a cursor, as before.

// DefaultLeaseTTL is how long a leased frontier item stays with the crawler
// that took it without a renewal.
const DefaultLeaseTTL = 30 * time.Second

// sharedFrontier is a Store whose frontier several crawlers share.
type sharedFrontier interface {
	// Lease takes up to n items for owner for ttl: first the items whose
	// lease expired, then items never leased, in sequence order. Each
	// item comes with its stored record, if any. remaining is how many
	// items are in the frontier, leased or not; seeded reports that the
	// run's sources were enqueued.
	Lease(ctx context.Context, job string, n int, ttl time.Duration) (items []Leased, remaining int, seeded bool, err error)
	// Renew extends the leases of the items with these sequence numbers.
	Renew(ctx context.Context, job string, seqs []uint64, ttl time.Duration) error
	// Unlease gives items back at once (a crawler stopping early).
	Unlease(ctx context.Context, job string, seqs []uint64) error
	// MarkSeeded records that the run's sources are in the frontier.
	MarkSeeded(ctx context.Context, job string) error
	// DoneLater is Done without waiting for it: the acknowledgement goes
	// to the store with its next request or soon after (the item's lease
	// keeps it from the others meanwhile). A failed one fails the job's
	// next DoneLater or Lease.
	DoneLater(job string, it Item, rec *Record, links []Item) error
	// Gate returns the cluster-wide politeness gate of the job's hosts;
	// a request's slot lapses after hold without a renewal.
	Gate(job string, parallel int, delay, hold time.Duration) politeGate
}

// politeGate spaces requests to a host and caps how many run at once.
type politeGate interface {
	acquire(ctx context.Context, host string) error
	release(host string)
	setDelay(host string, d time.Duration)
}

// Leased is a leased frontier item with its URL's stored record (nil: none).
type Leased struct {
	Item
	Record *Record
}

// prefetched is a record read along with a lease, for handle.
type prefetched struct {
	rec Record
	ok  bool
}

// leaseSet is the sequence numbers a crawler holds leases on.
type leaseSet struct {
	mu   sync.Mutex
	seqs map[uint64]bool
}

func (l *leaseSet) add(items []Leased) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, it := range items {
		l.seqs[it.Seq] = true
	}
}

func (l *leaseSet) remove(seq uint64) {
	l.mu.Lock()
	delete(l.seqs, seq)
	l.mu.Unlock()
}

func (l *leaseSet) list() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]uint64, 0, len(l.seqs))
	for s := range l.seqs {
		out = append(out, s)
	}
	return out
}

// dispatchLeased feeds the workers from leases on the shared frontier.
// The buffer is topped up to about two items per worker whenever it holds
// half an item per worker or less, so a lease costs one round trip per
// several pages and no replica sits on work the others could do. When
// nothing can be leased
// but items are still leased by others (their links may add more, or
// their leases may expire), it polls. complete reports that the shared
// frontier is empty.
func (c *Crawler) dispatchLeased(ctx context.Context, sf sharedFrontier, work chan<- Item, done <-chan finished) (complete bool, err error) {
	ttl := c.opts.LeaseTTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	poll := min(max(ttl/20, 20*time.Millisecond), time.Second)
	batch := 2 * c.opts.Parallel
	held := &leaseSet{seqs: map[uint64]bool{}}

	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				if seqs := held.list(); len(seqs) > 0 {
					if err := sf.Renew(renewCtx, c.opts.Job, seqs, ttl); err != nil && renewCtx.Err() == nil {
						c.log.Warn("lease renewal failed", "err", err)
					}
				}
				if r, ok := c.gate.(interface{ renew(context.Context) error }); ok {
					if err := r.renew(renewCtx); err != nil && renewCtx.Err() == nil {
						c.log.Warn("host slot renewal failed", "err", err)
					}
				}
			}
		}
	}()
	defer func() {
		stopRenew()
		<-renewDone
		// Items leased but not handed out (or not finished) go back now
		// rather than after their lease.
		if seqs := held.list(); len(seqs) > 0 {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := sf.Unlease(uctx, c.opts.Job, seqs); err != nil {
				c.log.Warn("give back leases", "err", err)
			}
			cancel()
		}
	}()

	var (
		buf      []Item
		inflight int
		sent     int
		limitHit bool
		idle     *time.Timer
	)
	for {
		if len(buf) <= c.opts.Parallel/2 && !limitHit && idle == nil {
			items, remaining, seeded, err := sf.Lease(ctx, c.opts.Job, batch-len(buf), ttl)
			if err != nil {
				drain(ctx, done, inflight, held)
				if ctx.Err() != nil {
					return false, nil
				}
				return false, fmt.Errorf("lease frontier of %s: %w", c.opts.Job, err)
			}
			held.add(items)
			for _, l := range items {
				p := prefetched{}
				if l.Record != nil {
					p = prefetched{rec: *l.Record, ok: true}
				}
				c.prefetched.Store(l.Seq, p)
				buf = append(buf, l.Item)
			}
			c.queue.Store(int64(remaining))
			c.m.QueueDepth.WithLabelValues(c.opts.Job).Set(float64(remaining))
			if len(items) == 0 {
				if remaining == 0 && inflight == 0 && len(buf) == 0 && (seeded || !c.opts.Join) {
					return ctx.Err() == nil, nil
				}
				idle = time.NewTimer(poll)
			}
		}
		var (
			send chan<- Item
			next Item
			wake <-chan time.Time
		)
		if len(buf) > 0 && !limitHit {
			send, next = work, buf[0]
		}
		if idle != nil {
			wake = idle.C
		}
		if send == nil && inflight == 0 && wake == nil {
			return ctx.Err() == nil, nil // MaxPages reached and everything finished
		}
		select {
		case send <- next:
			buf = buf[1:]
			inflight++
			sent++
			if c.opts.MaxPages > 0 && sent >= c.opts.MaxPages {
				limitHit = true
			}
		case f := <-done:
			if f.acked {
				held.remove(f.seq)
			}
			inflight--
		case <-wake:
			idle = nil
		case <-ctx.Done():
			if idle != nil {
				idle.Stop()
			}
			return drain(ctx, done, inflight, held)
		}
	}
}

// drain waits for the items in flight after ctx ended.
func drain(ctx context.Context, done <-chan finished, inflight int, held *leaseSet) (bool, error) {
	for ; inflight > 0; inflight-- {
		if f := <-done; f.acked {
			held.remove(f.seq)
		}
	}
	return false, nil
}

// finished is a worker's word that it is through with an item; acked
// reports that the item was marked done in the store.
type finished struct {
	seq   uint64
	acked bool
}
