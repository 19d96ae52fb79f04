package crawler

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBoltDone is the bbolt store's share of a crawled article: its
// Record read, then Done with its record and its links (30, of which 3 are
// new), on a state already holding a 20,000-article site's records and
// visited set. Commits are not synced (the disk's fsync is not the
// store's CPU) and batches are not held back.
func BenchmarkBoltDone(b *testing.B) {
	s, err := OpenScratchBolt(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.db.MaxBatchDelay = time.Microsecond
	ctx := context.Background()
	const job, site = "bench", 20000
	article := func(i int) string {
		return fmt.Sprintf("https://news.example/%d/%02d/%02d/story-%d-%s", 2020+i%6, 1+i%12, 1+i%28, i, strings.Repeat("word-", 1+i%5))
	}
	if _, _, err := s.BeginRun(ctx, job); err != nil {
		b.Fatal(err)
	}
	sha := strings.Repeat("0123456789abcdef", 4)
	for i := 0; i < site; i += 500 {
		var items []Item
		for j := i; j < i+500; j++ {
			items = append(items, Item{URL: article(j), Depth: 2})
		}
		if _, err := s.Enqueue(ctx, job, items); err != nil {
			b.Fatal(err)
		}
		front, err := s.Frontier(ctx, job, 0, 500)
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range front {
			rec := &Record{SHA256: sha, OutputID: "0123456789abcdef", FetchedAt: time.Now().UTC()}
			if _, err := s.Done(ctx, job, it, rec, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := site
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		url := article(n)
		if _, _, err := s.Record(ctx, job, url); err != nil {
			b.Fatal(err)
		}
		links := make([]Item, 0, 30)
		for j := range 27 {
			links = append(links, Item{URL: article((n * 7919 / (j + 1)) % site), Depth: 3})
		}
		for j := range 3 {
			links = append(links, Item{URL: article(site*10 + 3*n + j), Depth: 3})
		}
		rec := &Record{SHA256: sha, OutputID: "0123456789abcdef", FetchedAt: time.Now().UTC()}
		if _, err := s.Done(ctx, job, Item{Seq: uint64(n), URL: url}, rec, links); err != nil {
			b.Fatal(err)
		}
		n++
	}
	// Wall time on a shared machine is mostly waiting; the process's CPU
	// time is what the store costs.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n-site), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
