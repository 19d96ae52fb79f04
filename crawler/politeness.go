package crawler

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// hostGate spaces requests to each host by its delay and caps how many run
// at once. Hosts are few (a job's allow list), so the map stays small.
type hostGate struct {
	parallel int
	delay    time.Duration

	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	sem   chan struct{}
	mu    sync.Mutex
	delay time.Duration
	next  time.Time
}

func newHostGate(parallel int, delay time.Duration) *hostGate {
	return &hostGate{parallel: max(parallel, 1), delay: delay, hosts: make(map[string]*hostSlot)}
}

func (g *hostGate) slot(host string) *hostSlot {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.hosts[host]
	if !ok {
		s = &hostSlot{sem: make(chan struct{}, g.parallel), delay: g.delay}
		g.hosts[host] = s
	}
	return s
}

// setDelay raises the host's delay (robots.txt Crawl-delay).
func (g *hostGate) setDelay(host string, d time.Duration) {
	s := g.slot(host)
	s.mu.Lock()
	s.delay = max(s.delay, d)
	s.mu.Unlock()
}

// acquire waits for a free slot and the host's next turn.
func (g *hostGate) acquire(ctx context.Context, host string) error {
	s := g.slot(host)
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	now := time.Now()
	at := s.next
	if at.Before(now) {
		at = now
	}
	s.next = at.Add(s.delay)
	s.mu.Unlock()
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			<-s.sem
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func (g *hostGate) release(host string) { <-g.slot(host).sem }

// robotsCache fetches each host's robots.txt once per run.
type robotsCache struct {
	mu    sync.Mutex
	hosts map[string]*robotsEntry
}

type robotsEntry struct {
	once sync.Once
	data *robotstxt.RobotsData // nil: allow everything
}

// agentToken is the product token robots.txt groups are matched against.
func agentToken(ua string) string {
	tok, _, _ := strings.Cut(ua, "/")
	tok, _, _ = strings.Cut(tok, " ")
	if tok == "" {
		return "winnow"
	}
	return tok
}
