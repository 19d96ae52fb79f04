package crawler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"winnow/internal/testredis"
)

// leaseAll enqueues urls and leases them all.
func leaseAll(t *testing.T, s *RedisStore, job string, urls ...string) []Leased {
	t.Helper()
	ctx := context.Background()
	var items []Item
	for _, u := range urls {
		items = append(items, Item{URL: u, Kind: KindPage})
	}
	if _, err := s.Enqueue(ctx, job, items); err != nil {
		t.Fatal(err)
	}
	got, _, _, err := s.Lease(ctx, job, len(urls), time.Minute)
	if err != nil || len(got) != len(urls) {
		t.Fatalf("lease: %d items, %v", len(got), err)
	}
	return got
}

// TestDoneLater: an acknowledgement left in the outbox is seen by this
// store's next request (it goes first in the same round trip), reaches
// Redis on its own soon when no request comes, and is sent by Close.
func TestDoneLater(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	newStore := func() *RedisStore {
		s, err := NewRedis(srv.Addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newStore(), newStore() // two replicas
	defer b.Close()
	job := "j"
	l := leaseAll(t, a, job, "https://x.example/1", "https://x.example/2", "https://x.example/3")

	// Carried: a's next lease sees the acknowledgement and its link.
	if err := a.DoneLater(job, l[0].Item, &Record{SHA256: "one"}, []Item{{URL: "https://x.example/4", Kind: KindPage}}); err != nil {
		t.Fatal(err)
	}
	got, remaining, _, err := a.Lease(ctx, job, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].URL != "https://x.example/4" || remaining != 3 {
		t.Errorf("lease after DoneLater: %v, remaining %d; want the link, remaining 3", got, remaining)
	}

	// Alone: no request of a follows; b sees it shortly.
	if err := a.DoneLater(job, l[1].Item, &Record{SHA256: "two"}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec, ok, err := b.Record(ctx, job, l[1].URL)
		if err != nil {
			t.Fatal(err)
		}
		if ok && rec.SHA256 == "two" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the acknowledgement never reached Redis on its own")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Close sends what waits.
	if err := a.DoneLater(job, l[2].Item, &Record{SHA256: "three"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if rec, ok, err := b.Record(ctx, job, l[2].URL); err != nil || !ok || rec.SHA256 != "three" {
		t.Errorf("after Close: %+v %v %v, want the record", rec, ok, err)
	}
	if err := a.DoneLater(job, Item{URL: "https://x.example/9", Seq: 99}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Lease(ctx, job, 1, time.Minute); err == nil {
		t.Error("a DoneLater after Close did not fail the next Lease")
	}
}

// TestRoundTripUnknownScript: after the server forgot its scripts (a
// restart without them, SCRIPT FLUSH), a pipeline's script calls are sent
// again with their source.
func TestRoundTripUnknownScript(t *testing.T) {
	ctx := context.Background()
	s := openTestRedis(t)
	job := "j"
	l := leaseAll(t, s, job, "https://x.example/1", "https://x.example/2")
	if err := s.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.DoneLater(job, l[0].Item, &Record{SHA256: "one"}, nil); err != nil {
		t.Fatal(err)
	}
	ok, _, err := s.Commit(ctx, job, l[1].URL, Write{ID: "id2", SHA: "sha2", Writer: "w", Rel: "x.example/id2.txt"})
	if err != nil || !ok {
		t.Fatalf("commit after SCRIPT FLUSH: %v %v", ok, err)
	}
	rec, found, err := s.Record(ctx, job, l[0].URL)
	if err != nil || !found || rec.SHA256 != "one" {
		t.Errorf("record after SCRIPT FLUSH: %+v %v %v", rec, found, err)
	}
}

// TestGateReusesSlot: back to back requests of one replica to a host
// without delay take the slot of the one before without asking Redis, up
// to maxTokenUses requests; with a delay each asks.
func TestGateReusesSlot(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		delay time.Duration
		want  int64
	}{
		{name: "no delay", want: 2},
		{name: "delay", delay: time.Millisecond, want: maxTokenUses + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestRedis(t)
			var acquires atomic.Int64
			s.AddHook(countScript{sha: acquireScript.Hash(), n: &acquires})
			g := s.Gate("j", 2, tc.delay, time.Minute)
			for range maxTokenUses + 2 {
				if err := g.acquire(ctx, "x.example"); err != nil {
					t.Fatal(err)
				}
				g.release("x.example")
			}
			if got := acquires.Load(); got != tc.want {
				t.Errorf("%d requests asked Redis %d times, want %d", maxTokenUses+2, got, tc.want)
			}
		})
	}
}

// TestGateSharedSlots: two replicas' gates on one host with parallel 2,
// three workers each: never more than 2 requests in flight across them,
// and every slot is given back once the requests stop.
func TestGateSharedSlots(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	var gates []politeGate
	for range 2 {
		s, err := NewRedis(srv.Addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		gates = append(gates, s.Gate("j", 2, 0, time.Minute))
	}
	const host = "x.example"
	var (
		mu          sync.Mutex
		inFlight    int
		maxInFlight int
		wg          sync.WaitGroup
	)
	for i := range 6 {
		g := gates[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if err := g.acquire(ctx, host); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inFlight++
				maxInFlight = max(maxInFlight, inFlight)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				inFlight--
				mu.Unlock()
				g.release(host)
			}
		}()
	}
	wg.Wait()
	if maxInFlight > 2 {
		t.Errorf("%d requests in flight at once, want at most 2", maxInFlight)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	key := keysOf("j").with("j", "host:"+host+":slots")
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := rdb.ZCard(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			toks, _ := rdb.ZRange(ctx, key, 0, -1).Result()
			t.Fatalf("slots still taken after the requests: %v", toks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countScript counts the calls of one script.
type countScript struct {
	sha string
	n   *atomic.Int64
}

func (c countScript) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c countScript) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (c countScript) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.count(cmds)
		return next(ctx, cmds)
	}
}

func (c countScript) count(cmds []redis.Cmder) {
	for _, cmd := range cmds {
		if a := cmd.Args(); len(a) > 1 && fmt.Sprint(a[0]) == "evalsha" && fmt.Sprint(a[1]) == c.sha {
			c.n.Add(1)
		}
	}
}

// TestGateLine: a replica refused a slot waits in line, and a replica that
// gives its slot back and asks again at once does not take it from it.
func TestGateLine(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	open := func() (*RedisStore, politeGate) {
		s, err := NewRedis(srv.Addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		// A delay, so that every request asks Redis (no slot kept).
		return s, s.Gate("j", 1, time.Millisecond, time.Minute)
	}
	sa, a := open()
	_, b := open()
	const host = "x.example"
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	waiters := keysOf("j").with("j", "host:"+host+":line")

	if err := a.acquire(ctx, host); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []string
	)
	got := func(who string) {
		mu.Lock()
		order = append(order, who)
		mu.Unlock()
	}
	bDone := make(chan struct{})
	go func() {
		defer close(bDone)
		if err := b.acquire(ctx, host); err != nil {
			t.Error(err)
			return
		}
		got("b")
		time.Sleep(50 * time.Millisecond)
		b.release(host)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for rdb.ZCard(ctx, waiters).Val() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("b never waited in line")
		}
		time.Sleep(time.Millisecond)
	}
	a.release(host)
	// The slot is free in Redis before a asks again (the release would
	// otherwise ride along with the ask, or be sent on its own by then).
	if err := sa.settle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.acquire(ctx, host); err != nil {
		t.Fatal(err)
	}
	got("a")
	a.release(host)
	<-bDone
	if diff := cmp.Diff([]string{"b", "a"}, order); diff != "" {
		t.Errorf("slots went (-want +got):\n%s", diff)
	}
}

// TestDoneLaterRedisPaused: acknowledgements queued while Redis does not
// answer reach it once it does.
func TestDoneLaterRedisPaused(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	open := func() *RedisStore {
		s, err := NewRedis(srv.Addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	job := "j"
	urls := []string{"https://x.example/1", "https://x.example/2", "https://x.example/3"}
	l := leaseAll(t, a, job, urls...)
	srv.Pause(t)
	for i, it := range l {
		if err := a.DoneLater(job, it.Item, &Record{SHA256: fmt.Sprint("sum", i)}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * outboxDelay) // each finds the one before still being sent
	}
	time.Sleep(300 * time.Millisecond)
	srv.Resume(t)
	deadline := time.Now().Add(20 * time.Second)
	for i, u := range urls {
		for {
			rec, ok, err := b.Record(ctx, job, u)
			if err == nil && ok && rec.SHA256 == fmt.Sprint("sum", i) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: record %+v %v %v after Redis came back", u, rec, ok, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
