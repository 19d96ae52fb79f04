package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"winnow/metrics"
)

// site serves one crawler/testdata/site-* folder on 127.0.0.1. "{{base}}"
// in a file becomes the server's URL; "/x" is served from x, x.html or
// x/index.html; "/x.gz" is x gzipped when only x exists. Responses carry
// an ETag and Last-Modified and answer conditional requests with 304.
type site struct {
	*httptest.Server
	dir string

	mu       sync.Mutex
	hits     map[string]int    // path -> requests
	status   map[string]int    // path -> status of the last response
	override map[string]string // path -> body served instead of the file
	handlers map[string]http.HandlerFunc
	requests []request // every request, in order of arrival
}

type request struct {
	path, agent string
	at          time.Time
}

func serveSite(t *testing.T, name string, handlers map[string]http.HandlerFunc) *site {
	t.Helper()
	s := &site{
		dir: filepath.Join("testdata", name), hits: map[string]int{}, status: map[string]int{},
		override: map[string]string{}, handlers: handlers,
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

func (r *statusRecorder) Flush() { r.ResponseWriter.(http.Flusher).Flush() }

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, code: 200}
	defer func() {
		s.mu.Lock()
		s.status[r.URL.Path] = rec.code
		s.mu.Unlock()
	}()
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.requests = append(s.requests, request{path: r.URL.Path, agent: r.UserAgent(), at: time.Now()})
	h := s.handlers[r.URL.Path]
	body, overridden := s.override[r.URL.Path]
	s.mu.Unlock()
	if h != nil {
		h(rec, r)
		return
	}
	ctype := "text/html"
	if !overridden {
		b, ct, ok := s.file(r.URL.Path)
		if !ok {
			http.NotFound(rec, r)
			return
		}
		body, ctype = string(b), ct
	}
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	rec.Header().Set("ETag", etag)
	rec.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	rec.Header().Set("Content-Type", ctype)
	if r.Header.Get("If-None-Match") == etag {
		rec.WriteHeader(http.StatusNotModified)
		return
	}
	rec.Write([]byte(body))
}

func (s *site) file(path string) ([]byte, string, bool) {
	p := filepath.Join(s.dir, filepath.FromSlash(path))
	gz := false
	var b []byte
	var err error
	for _, cand := range []string{p, p + ".html", filepath.Join(p, "index.html")} {
		if b, err = os.ReadFile(cand); err == nil {
			p = cand
			break
		}
	}
	if err != nil && strings.HasSuffix(p, ".gz") {
		if b, err = os.ReadFile(strings.TrimSuffix(p, ".gz")); err == nil {
			gz = true
		}
	}
	if err != nil {
		return nil, "", false
	}
	b = bytes.ReplaceAll(b, []byte("{{base}}"), []byte(s.URL))
	ctype := "text/html"
	switch {
	case gz:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes(), "application/x-gzip", true
	case strings.HasSuffix(p, ".xml"):
		ctype = "application/xml"
	case strings.HasSuffix(p, ".json"):
		ctype = "application/feed+json"
	case strings.HasSuffix(p, ".txt"):
		ctype = "text/plain"
	}
	return b, ctype, true
}

func (s *site) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *site) statusOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status[path]
}

func (s *site) setBody(path, body string) {
	s.mu.Lock()
	s.override[path] = body
	s.mu.Unlock()
}

// testOptions are fast, loopback-allowed options for a test crawl.
func testOptions(seeds ...string) Options {
	return Options{
		Job: "test", Seeds: seeds, MaxDepth: 3, Parallel: 4, Timeout: 2 * time.Second,
		RespectRobots: true, AllowPrivate: true, UserAgent: "winnow-test/1.0", Retries: 2,
	}
}

// crawlResult is what one test crawl emitted and counted.
type crawlResult struct {
	pages   map[string]Page // by URL
	emits   []string        // URLs in emit order, repeats included
	stats   Stats
	metrics *metrics.Metrics
	err     error
}

func (r crawlResult) urls() []string {
	var out []string
	for u := range r.pages {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// crawl runs one crawl of opts against store (a fresh one when nil).
func crawl(t *testing.T, opts Options, store Store, tweak func(*Crawler)) crawlResult {
	t.Helper()
	if store == nil {
		store = openTestStore(t)
	}
	m := metrics.New(prometheus.NewRegistry())
	c, err := New(opts, store, m, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = 20 * time.Millisecond
	if tweak != nil {
		tweak(c)
	}
	res := crawlResult{pages: map[string]Page{}, metrics: m}
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res.err = c.Run(ctx, func(ctx context.Context, p Page) error {
		mu.Lock()
		defer mu.Unlock()
		res.pages[p.URL] = p
		res.emits = append(res.emits, p.URL)
		return nil
	})
	res.stats = c.Stats()
	return res
}

func openTestStore(t *testing.T) *BoltStore {
	t.Helper()
	s, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func mustRe(exprs ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, e := range exprs {
		out = append(out, regexp.MustCompile(e))
	}
	return out
}

func (s *site) log() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.requests...)
}
