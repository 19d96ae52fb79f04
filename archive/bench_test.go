package archive

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWrite archives the real news pages of the extraction benchmark
// as a crawl hands them over (plain bodies, as the bench site serves them),
// one exchange per iteration: the archive's CPU cost per page.
func BenchmarkWrite(b *testing.B) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "article-extraction-benchmark", "html", "*.html.gz"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no benchmark pages: %v", err)
	}
	var bodies [][]byte
	var total int64
	for _, p := range paths[:min(len(paths), 40)] {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
		total += int64(len(body))
	}
	w, err := Open(Options{Dir: b.TempDir(), Job: "bench", Software: "winnow/bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	u, _ := url.Parse("http://news.example/2024/01/a-story.html")
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{"User-Agent": {"winnow/bench"}, "Accept-Encoding": {"gzip"}}}
	hdr := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Date": {"Mon, 01 Jan 2024 00:00:00 GMT"}}
	b.SetBytes(total / int64(len(bodies)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		body := bodies[i%len(bodies)]
		res := &http.Response{Proto: "HTTP/1.1", Status: "200 OK", StatusCode: 200, Header: hdr}
		if _, err := w.Archive(req, res, body, time.Now(), "127.0.0.1", "", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	st, err := w.f.Stat()
	if err == nil {
		b.ReportMetric(float64(st.Size())/float64(b.N), "disk-B/op")
	}
}

// cpuTime is the process's user and system CPU time: on a busy machine a
// steadier figure than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
