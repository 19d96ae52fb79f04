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
// proxy that counts the round trips on each connection (the commands a
// client sends before it reads an answer: a pipeline is one round trip),
// everything counted: leases, host slots, commits, acks, template evidence,
// renewals and the replicas' polling for runs to join. It also reports the
// commands sent per page.
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
// commands clients send (top-level RESP arrays) and the round trips they
// make. A client sends a request (one command, or a pipeline of several)
// and reads all its answers before it sends the next request on that
// connection, so a command begins a round trip when, as its first byte was
// read from the client, every command before it on the connection had had
// its answer forwarded; a pipeline's later commands arrive before that.
// Redis' own command counts include the commands scripts run, which are no
// round trips.
type countingProxy struct {
	ln         net.Listener
	commands   atomic.Int64
	roundTrips atomic.Int64

	mu     sync.Mutex
	byName map[string]int // commands by name (EVALSHA with the script's hash prefix)
	byTrip map[string]int // round trips by their last command's name
}

func newCountingProxy(b *testing.B, target string) *countingProxy {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p := &countingProxy{ln: ln, byName: map[string]int{}, byTrip: map[string]int{}}
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
			pc := &proxyConn{client: c}
			go func() { pc.answers(bufio.NewReader(s)); c.Close() }()
			go func() { p.count(pc, bufio.NewReader(&readTap{r: c, pc: pc}), s); s.Close() }()
		}
	}()
	return p
}

// proxyConn is one client connection of the proxy.
type proxyConn struct {
	client    net.Conn
	forwarded atomic.Int64 // answers forwarded to the client

	mu     sync.Mutex
	chunks []chunk // reads from the client not yet parsed through
	read   int64   // bytes read from the client
}

// chunk is one read from the client: the offset it ends at and how many
// answers had been forwarded when it returned.
type chunk struct {
	end       int64
	forwarded int64
}

// readTap notes each read from the client.
type readTap struct {
	r  io.Reader
	pc *proxyConn
}

func (t *readTap) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	// Read after the bytes came: an answer forwarded meanwhile makes a
	// pipeline's later part count as a round trip of its own (too many,
	// never too few).
	fw := t.pc.forwarded.Load()
	if n > 0 {
		t.pc.mu.Lock()
		t.pc.read += int64(n)
		t.pc.chunks = append(t.pc.chunks, chunk{end: t.pc.read, forwarded: fw})
		t.pc.mu.Unlock()
	}
	return n, err
}

// forwardedAt returns how many answers had been forwarded when the byte
// at offset off was read from the client, dropping the chunks before it.
func (pc *proxyConn) forwardedAt(off int64) int64 {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for len(pc.chunks) > 1 && pc.chunks[0].end <= off {
		pc.chunks = pc.chunks[1:]
	}
	return pc.chunks[0].forwarded
}

// answers copies the server's answers to the client one whole answer at a
// time, counting each before it is written.
func (pc *proxyConn) answers(r *bufio.Reader) {
	var buf bytes.Buffer
	for {
		buf.Reset()
		if err := readAnswer(r, &buf); err != nil {
			return
		}
		pc.forwarded.Add(1)
		if _, err := pc.client.Write(buf.Bytes()); err != nil {
			return
		}
	}
}

// readAnswer reads one RESP2/RESP3 answer from r into w (an attribute
// goes with the answer it precedes).
func readAnswer(r *bufio.Reader, w *bytes.Buffer) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	w.Write(line)
	if len(line) < 3 {
		return nil
	}
	n, _ := strconv.Atoi(string(bytes.TrimSpace(line[1:])))
	switch line[0] {
	case '$', '!', '=': // blob string, blob error, verbatim string
		if n < 0 {
			return nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		w.Write(b)
	case '*', '~', '>': // array, set, push
		for range max(n, 0) {
			if err := readAnswer(r, w); err != nil {
				return err
			}
		}
	case '%', '|': // map, attribute
		for range 2 * max(n, 0) {
			if err := readAnswer(r, w); err != nil {
				return err
			}
		}
		if line[0] == '|' {
			return readAnswer(r, w)
		}
	}
	return nil
}

// count copies RESP commands from the client (r) to the server (w),
// counting them and the round trips they make.
func (p *countingProxy) count(pc *proxyConn, r *bufio.Reader, w io.Writer) {
	var (
		consumed int64  // bytes of r parsed
		sent     int64  // commands read so far
		last     string // the last command of the round trip in progress
	)
	endTrip := func() {
		if last != "" {
			p.mu.Lock()
			p.byTrip[last]++
			p.mu.Unlock()
		}
	}
	defer endTrip()
	read := func(b []byte) error {
		_, err := io.ReadFull(r, b)
		consumed += int64(len(b))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	readLine := func() ([]byte, error) {
		line, err := r.ReadBytes('\n')
		consumed += int64(len(line))
		if err != nil {
			return nil, err
		}
		_, err = w.Write(line)
		return line, err
	}
	for {
		if _, err := r.Peek(1); err != nil {
			return
		}
		if pc.forwardedAt(consumed) == sent {
			endTrip()
			p.roundTrips.Add(1)
		}
		line, err := readLine()
		if err != nil {
			return
		}
		sent++
		if len(line) < 3 || line[0] != '*' {
			last = "inline"
			continue
		}
		p.commands.Add(1)
		n, _ := strconv.Atoi(string(bytes.TrimSpace(line[1:])))
		var name string
		for i := range n {
			hdr, err := readLine()
			if err != nil {
				return
			}
			size, _ := strconv.Atoi(string(bytes.TrimSpace(hdr[1:])))
			buf := make([]byte, size+2)
			if err := read(buf); err != nil {
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
		last = name
	}
}

func benchClusterRun(b *testing.B, n, replicas int) {
	b.StopTimer()
	srv := testredis.Start(b)
	proxy := newCountingProxy(b, srv.Addr)
	site := newClusterSite(b, n, 0)
	ds, _ := startCluster(b, replicas, site.URL, proxy.ln.Addr().String(), "@every 1h", 4)
	before, tripsBefore := proxy.commands.Load(), proxy.roundTrips.Load()
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
	cmds, trips := proxy.commands.Load()-before, proxy.roundTrips.Load()-tripsBefore
	pages := 0.0
	for _, d := range ds {
		pages += metricSum(d, "winnow_requests_total", `crawl_job="news"`)
	}
	if got := site.articlesServed(); got != n {
		b.Errorf("%d articles fetched, want %d", got, n)
	}
	if os.Getenv("WINNOW_CLUSTER_COMMANDSTATS") != "" {
		proxy.mu.Lock()
		perPage := func(m map[string]int) string {
			var lines []string
			for name, c := range m {
				lines = append(lines, fmt.Sprintf("%8.3f/page %s", float64(c)/pages, name))
			}
			sort.Sort(sort.Reverse(sort.StringSlice(lines)))
			return strings.Join(lines, "\n")
		}
		b.Logf("replicas=%d, round trips by their last command (whole process life):\n%s", replicas, perPage(proxy.byTrip))
		b.Logf("replicas=%d, commands (whole process life):\n%s", replicas, perPage(proxy.byName))
		proxy.mu.Unlock()
	}
	b.ReportMetric(pages/took.Seconds(), "pages/s")
	b.ReportMetric(float64(trips)/pages, "redis_roundtrips/page")
	b.ReportMetric(float64(cmds)/pages, "redis_commands/page")
	b.ReportMetric(pages, "pages")
	for _, d := range ds {
		d.cmd.Process.Kill()
		<-d.done
	}
}
