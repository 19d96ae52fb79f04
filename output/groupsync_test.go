package output

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupSyncCovers: whatever the interleaving, Sync returns only after
// an fsync that started after the caller's change has finished. Each
// writer makes a change (a sequence number), then syncs; the fake fsync
// notes the last change made when it starts and, when it returns, that
// much is durable.
func TestGroupSyncCovers(t *testing.T) {
	var (
		mu      sync.Mutex
		changes int // changes made
		durable atomic.Int64
		syncs   atomic.Int64
	)
	g := newGroupSync(func() error {
		mu.Lock()
		upTo := changes
		mu.Unlock()
		syncs.Add(1)
		time.Sleep(50 * time.Microsecond) // the disk
		if int64(upTo) > durable.Load() {
			durable.Store(int64(upTo))
		}
		return nil
	})
	const writers, each = 16, 200
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				mu.Lock()
				changes++
				mine := changes
				mu.Unlock()
				if err := g.Sync(); err != nil {
					t.Error(err)
					return
				}
				if d := durable.Load(); d < int64(mine) {
					t.Errorf("Sync returned with change %d made and only %d durable", mine, d)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d changes, %d fsyncs", writers*each, syncs.Load())
}

// TestGroupSyncShares: writers arriving while an fsync is under way share
// the next one, which reports its error to each of them.
func TestGroupSyncShares(t *testing.T) {
	started := make(chan int, 3)
	release := make(chan error)
	var n int
	g := newGroupSync(func() error {
		n++
		started <- n
		return <-release
	})
	first := make(chan error, 1)
	go func() { first <- g.Sync() }()
	if got := <-started; got != 1 {
		t.Fatalf("fsync %d started first", got)
	}
	const waiting = 10
	errs := make(chan error, waiting)
	for range waiting {
		go func() { errs <- g.Sync() }()
	}
	// Wait until all ten have joined the next round (no timing involved).
	for deadline := time.Now().Add(10 * time.Second); ; {
		g.mu.Lock()
		joined := 0
		if g.next != nil {
			joined = g.next.writers
		}
		g.mu.Unlock()
		if joined == waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d writers joined the next fsync", joined, waiting)
		}
		time.Sleep(time.Millisecond)
	}
	release <- nil
	if err := <-first; err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	if got := <-started; got != 2 {
		t.Fatalf("fsync %d started second", got)
	}
	boom := errors.New("disk gone")
	release <- boom
	for range waiting {
		if err := <-errs; !errors.Is(err, boom) {
			t.Errorf("a writer of the shared fsync got %v, want %v", err, boom)
		}
	}
	select {
	case got := <-started:
		t.Errorf("fsync %d ran: ten writers waiting for one fsync need one", got)
	default:
	}
	// The next writer gets an fsync of its own, not the failed one's error.
	go func() { release <- nil }()
	if err := g.Sync(); err != nil {
		t.Errorf("Sync after the failed fsync: %v", err)
	}
}
