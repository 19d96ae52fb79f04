package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"winnow/internal/testredis"
)

// BenchmarkCluster crawls a generated site of 1,000 articles (or
// WINNOW_CLUSTER_ARTICLES) with 1, 2 and 3 daemon processes on one Redis,
// one trigger each time, and reports pages/s (pages fetched by all
// replicas over the run's wall time, from the trigger to the run's end)
// and Redis round trips per page: the replicas talk to Redis through a
// proxy that counts the commands they send (they do not pipeline, so one
// command is one round trip), everything counted: leases, host slots,
// commits, acks, renewals and the replicas' polling for runs to join.
//
//	go test ./cmd/winnow -run '^$' -bench Cluster -benchtime 1x
func BenchmarkCluster(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("WINNOW_CLUSTER_ARTICLES")); err == nil && v > 0 {
		n = v
	}
	for _, replicas := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			for range b.N {
				benchClusterRun(b, n, replicas)
			}
		})
	}
}

// countingProxy forwards TCP connections to a Redis server and counts the
// commands clients send (top-level RESP arrays): Redis' own command counts
// include the commands scripts run, which are no round trips.
type countingProxy struct {
	ln       net.Listener
	commands atomic.Int64

	mu     sync.Mutex
	byName map[string]int // command name (EVALSHA with the script's hash prefix)
}

func newCountingProxy(b *testing.B, target string) *countingProxy {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p := &countingProxy{ln: ln, byName: map[string]int{}}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(c, s); c.Close() }()
			go func() { p.count(bufio.NewReader(c), s); s.Close() }()
		}
	}()
	return p
}

// count copies RESP commands from r to w, counting them.
func (p *countingProxy) count(r *bufio.Reader, w io.Writer) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		if _, err := w.Write(line); err != nil {
			return
		}
		if len(line) < 3 || line[0] != '*' {
			continue // inline command
		}
		p.commands.Add(1)
		n, _ := strconv.Atoi(string(bytes.TrimSpace(line[1:])))
		var name string
		for i := range n {
			hdr, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			if _, err := w.Write(hdr); err != nil {
				return
			}
			size, _ := strconv.Atoi(string(bytes.TrimSpace(hdr[1:])))
			buf := make([]byte, size+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			if _, err := w.Write(buf); err != nil {
				return
			}
			switch {
			case i == 0:
				name = strings.ToUpper(string(buf[:size]))
			case i == 1 && name == "EVALSHA":
				name += " " + string(buf[:min(size, 8)])
			}
		}
		p.mu.Lock()
		p.byName[name]++
		p.mu.Unlock()
	}
}

func benchClusterRun(b *testing.B, n, replicas int) {
	b.StopTimer()
	srv := testredis.Start(b)
	proxy := newCountingProxy(b, srv.Addr)
	site := newClusterSite(b, n, 0)
	ds, _ := startCluster(b, replicas, site.URL, proxy.ln.Addr().String(), "@every 1h", 4)
	before := proxy.commands.Load()
	start := time.Now()
	b.StartTimer()
	if r := runWinnow(b, "", "trigger", "--addr", ds[0].addr, "news"); r.code != 0 {
		b.Fatalf("trigger: %d %s", r.code, r.stderr)
	}
	// The trigger went to replica 0, which holds the run and records it:
	// its metrics (no Redis command) tell when the run is over.
	eventually(b, 10*time.Minute, "the run finished", func() bool {
		return metricSum(ds[0], "winnow_runs_total", `crawl_job="news"`) >= 1
	})
	b.StopTimer()
	took := time.Since(start)
	cmds := proxy.commands.Load() - before
	pages := 0.0
	for _, d := range ds {
		pages += metricSum(d, "winnow_requests_total", `crawl_job="news"`)
	}
	if got := site.articlesServed(); got != n {
		b.Errorf("%d articles fetched, want %d", got, n)
	}
	if os.Getenv("WINNOW_CLUSTER_COMMANDSTATS") != "" {
		proxy.mu.Lock()
		var lines []string
		for name, c := range proxy.byName {
			lines = append(lines, fmt.Sprintf("%8.3f/page %s", float64(c)/pages, name))
		}
		proxy.mu.Unlock()
		sort.Sort(sort.Reverse(sort.StringSlice(lines)))
		b.Logf("replicas=%d, round trips by command (whole process life):\n%s", replicas, strings.Join(lines, "\n"))
	}
	b.ReportMetric(pages/took.Seconds(), "pages/s")
	b.ReportMetric(float64(cmds)/pages, "redis_roundtrips/page")
	b.ReportMetric(pages, "pages")
	for _, d := range ds {
		d.cmd.Process.Kill()
		<-d.done
	}
}
