package output

import "sync"

// groupSync lets concurrent writers share the fsyncs of one file (the
// manifest, a host directory). A writer makes its change first (appends
// its line, renames its file into the directory), then calls Sync, which
// returns once an fsync that started after the change has finished, with
// that fsync's error. Writers that call Sync while an fsync is under way
// wait for it to end and then share the next one: when the disk is slow
// and many writers are waiting, one fsync covers them all, rather than
// each taking its turn.
//
// Crash safety is that of one fsync per change: Sync never returns before
// an fsync covering the change has completed, because an fsync covers
// everything written to the file before it starts, and a round only
// starts after the writers waiting for it had made their changes (they
// call Sync after the change).
type groupSync struct {
	sync func() error

	mu      sync.Mutex
	running *syncRound // the fsync under way; nil when none
	next    *syncRound // the fsync writers that came during running wait for
}

// syncRound is one fsync and the writers it covers.
type syncRound struct {
	done    chan struct{} // closed when the fsync has returned
	err     error
	writers int // writers the round covers (under groupSync.mu until it runs)
}

func newGroupSync(sync func() error) *groupSync { return &groupSync{sync: sync} }

// Sync returns once an fsync started after the call has finished.
func (g *groupSync) Sync() error {
	g.mu.Lock()
	if g.running == nil {
		// Nothing under way: run the fsync now, for this writer and any
		// left waiting for the next one.
		r := g.next
		if r == nil {
			r = &syncRound{done: make(chan struct{})}
		}
		r.writers++
		g.running, g.next = r, nil
		g.mu.Unlock()
		return g.run(r)
	}
	// An fsync is under way and may have started before this writer's
	// change: wait for the next one.
	if g.next == nil {
		g.next = &syncRound{done: make(chan struct{})}
	}
	g.next.writers++
	r, running := g.next, g.running
	g.mu.Unlock()
	for {
		<-running.done
		g.mu.Lock()
		if g.next != r {
			// Another writer of r has started it (it is running or done).
			g.mu.Unlock()
			<-r.done
			return r.err
		}
		if g.running == nil {
			g.running, g.next = r, nil
			g.mu.Unlock()
			return g.run(r)
		}
		running = g.running
		g.mu.Unlock()
	}
}

// run does round r's fsync and releases its writers.
func (g *groupSync) run(r *syncRound) error {
	r.err = g.sync()
	g.mu.Lock()
	g.running = nil
	g.mu.Unlock()
	close(r.done)
	return r.err
}
