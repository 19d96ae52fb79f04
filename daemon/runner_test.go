package daemon

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"winnow/cleaner"
	"winnow/crawler"
	"winnow/metrics"
	"winnow/output"
)

// testSite serves a folder of crawler/testdata as text/html without a
// charset, with ETags, answering If-None-Match with 304.
type testSite struct {
	*httptest.Server
	mu       sync.Mutex
	override map[string]string
	ctype    string // Content-Type of every response; default text/html
}

func serveTestSite(t *testing.T, name string) *testSite {
	t.Helper()
	dir := filepath.Join("..", "crawler", "testdata", name)
	s := &testSite{override: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body, ok := s.override[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			p := filepath.Join(dir, filepath.FromSlash(r.URL.Path))
			var b []byte
			var err error
			for _, cand := range []string{p, p + ".html", filepath.Join(p, "index.html")} {
				if b, err = os.ReadFile(cand); err == nil {
					break
				}
			}
			if err != nil {
				http.NotFound(w, r)
				return
			}
			body = string(b)
		}
		sum := sha256.Sum256([]byte(body))
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		s.mu.Lock()
		ct := s.ctype
		s.mu.Unlock()
		if ct == "" {
			ct = "text/html"
		}
		w.Header().Set("Content-Type", ct)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *testSite) set(path, body string) {
	s.mu.Lock()
	s.override[path] = body
	s.mu.Unlock()
}

type runnerEnv struct {
	runner *Runner
	m      *metrics.Metrics
	out    string
}

func newRunnerEnv(t *testing.T) runnerEnv {
	t.Helper()
	out := t.TempDir()
	sink, err := output.NewSink(out, "txt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	store, err := crawler.OpenBolt(filepath.Join(out, ".winnow", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := metrics.New(prometheus.NewRegistry())
	return runnerEnv{runner: NewRunner(cleaner.New(cleaner.Options{}), sink, store, m, nil), m: m, out: out}
}

func runnerOptions(seed string, article ...string) RunOptions {
	o := RunOptions{Options: crawler.Options{
		Job: "news", Seeds: []string{seed}, MaxDepth: 3, Parallel: 4, Timeout: 5 * time.Second,
		RespectRobots: true, AllowPrivate: true, UserAgent: "winnow-test/1.0",
	}}
	for _, a := range article {
		o.Article = append(o.Article, regexp.MustCompile(a))
	}
	return o
}

func (e runnerEnv) run(t *testing.T, opts RunOptions) RunResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.runner.Run(ctx, "r1", opts, nil)
}

func (e runnerEnv) manifest(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(e.out, output.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// files lists the documents under out, relative, temp files included.
func (e runnerEnv) files(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(e.out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.IsDir() && d.Name() == ".winnow" {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(e.out, p)
		if rel != output.ManifestName {
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// resultCounts keeps the fields a test compares.
func resultCounts(r RunResult) RunResult {
	return RunResult{Result: r.Result, Fetched: r.Fetched, Written: r.Written, Replaced: r.Replaced,
		Unchanged: r.Unchanged, Skipped: r.Skipped, FetchErrors: r.FetchErrors, PageErrors: r.PageErrors}
}

func TestRunIncremental(t *testing.T) {
	site := serveTestSite(t, "site-news")
	env := newRunnerEnv(t)
	opts := runnerOptions(site.URL+"/", `/\d{4}/\d{2}/`)

	// robots.txt (404) is not counted as fetched: 2 sections + 3 articles.
	r := env.run(t, opts)
	if diff := cmp.Diff(RunResult{Result: "success", Fetched: 5, Written: 3}, resultCounts(r)); diff != "" {
		t.Fatalf("first run (-want +got):\n%s\nerr: %s", diff, r.Err)
	}
	if n := len(env.manifest(t)); n != 3 {
		t.Errorf("manifest has %d lines, want 3", n)
	}
	if got := testutil.ToFloat64(env.m.DocumentsWritten.WithLabelValues("news")); got != 3 {
		t.Errorf("documents written = %v, want 3", got)
	}
	// Each article's record names the file it was written as (the id goes
	// into the record with the crawler's Done).
	var ids, names []string
	for _, a := range []string{"first", "second", "third"} {
		rec, ok, err := env.runner.store.Record(context.Background(), "news", site.URL+"/2024/01/"+a+"-story.html")
		if err != nil || !ok {
			t.Fatalf("record of the %s story: %v %v", a, ok, err)
		}
		ids = append(ids, rec.OutputID)
	}
	for _, f := range env.files(t) {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".txt"))
	}
	slices.Sort(ids)
	slices.Sort(names)
	if diff := cmp.Diff(names, ids); diff != "" {
		t.Errorf("output ids in the records (-files +records):\n%s", diff)
	}

	// Unchanged site: 304s, nothing written.
	r = env.run(t, opts)
	if diff := cmp.Diff(RunResult{Result: "success", Fetched: 5, Unchanged: 3}, resultCounts(r)); diff != "" {
		t.Errorf("re-crawl (-want +got):\n%s", diff)
	}
	if n := len(env.manifest(t)); n != 3 {
		t.Errorf("after re-crawl manifest has %d lines, want 3", n)
	}
	if got := testutil.ToFloat64(env.m.DocumentsSkipped.WithLabelValues("news", "unchanged")); got != 3 {
		t.Errorf("skipped{unchanged} = %v, want 3", got)
	}

	// A changed article: its file is replaced and a manifest line appended.
	b, err := os.ReadFile("../crawler/testdata/site-news/2024/01/third-story.html")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), "A third paragraph closes the piece", "An update: the third paragraph now closes the piece", 1)
	site.set("/2024/01/third-story.html", changed)
	r = env.run(t, opts)
	if diff := cmp.Diff(RunResult{Result: "success", Fetched: 5, Replaced: 1, Unchanged: 2}, resultCounts(r)); diff != "" {
		t.Errorf("changed article (-want +got):\n%s", diff)
	}
	lines := env.manifest(t)
	if len(lines) != 4 || !strings.Contains(lines[3], "third-story") {
		t.Errorf("manifest after change: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	files := env.files(t)
	if len(files) != 3 {
		t.Fatalf("files %v, want 3", files)
	}
	found := false
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(env.out, f))
		if strings.Contains(string(b), "An update: the third paragraph") {
			found = true
		}
	}
	if !found {
		t.Errorf("no file holds the changed text")
	}
	if got := testutil.ToFloat64(env.m.Runs.WithLabelValues("news", "success")); got != 3 {
		t.Errorf("runs{success} = %v, want 3", got)
	}
	if got := testutil.ToFloat64(env.m.RunInProgress.WithLabelValues("news")); got != 0 {
		t.Errorf("run_in_progress = %v after the run", got)
	}
}

func TestRunSameCanonicalWrittenOnce(t *testing.T) {
	site := serveTestSite(t, "site-canonical")
	env := newRunnerEnv(t)
	r := env.run(t, runnerOptions(site.URL+"/", `/story|/amp/`))
	if r.Result != "success" || r.Written != 1 || r.Skipped+r.Unchanged != 1 {
		t.Errorf("run: %+v", resultCounts(r))
	}
	if files := env.files(t); len(files) != 1 {
		t.Errorf("files %v, want one", files)
	}
	if n := len(env.manifest(t)); n != 1 {
		t.Errorf("manifest has %d lines, want 1", n)
	}
}

func TestRunGBKPage(t *testing.T) {
	for _, ct := range []string{"text/html", "text/html; charset=GBK"} {
		t.Run(ct, func(t *testing.T) {
			site := serveTestSite(t, "site-gbk")
			site.ctype = ct
			env := newRunnerEnv(t)
			r := env.run(t, runnerOptions(site.URL+"/article.html"))
			if r.Written != 1 {
				t.Fatalf("run: %+v %s", resultCounts(r), r.Err)
			}
			files := env.files(t)
			b, err := os.ReadFile(filepath.Join(env.out, files[0]))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"中文新闻标题", "清洁器应该根据页面中的元标签正确地解码这段文字"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("document lacks %q:\n%s", want, b)
				}
			}
		})
	}
}

func TestRunNothingFetched(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused from now on
	env := newRunnerEnv(t)
	opts := runnerOptions("http://" + addr + "/")
	r := env.run(t, opts)
	if r.Result != "failed" || r.Fetched != 0 || r.FetchErrors == 0 || r.Err == "" {
		t.Errorf("run: %+v", r)
	}
	if got := testutil.ToFloat64(env.m.Runs.WithLabelValues("news", "failed")); got != 1 {
		t.Errorf("runs{failed} = %v", got)
	}
	if got := testutil.ToFloat64(env.m.FetchErrors.WithLabelValues("news", "refused")); got == 0 {
		t.Errorf("no refused fetch error counted")
	}
}

func TestRunPartialAndProgress(t *testing.T) {
	site := serveTestSite(t, "site-news")
	env := newRunnerEnv(t)
	env.runner.ProgressEvery = 5 * time.Millisecond
	site.set("/world/", `<html><body><a href="/2024/01/missing.html">gone</a><a href="/2024/01/third-story.html">3</a></body></html>`)
	var mu sync.Mutex
	var last Progress
	calls := 0
	opts := runnerOptions(site.URL+"/", `/\d{4}/\d{2}/`)
	r := env.runner.Run(context.Background(), "r1", opts, func(p Progress) {
		mu.Lock()
		last, calls = p, calls+1
		mu.Unlock()
	})
	// The 404 article is an HTTP error: the run is partial, the rest written.
	if r.Result != "partial" || r.Written != 3 || r.FetchErrors != 1 {
		t.Errorf("run: %+v", resultCounts(r))
	}
	mu.Lock()
	defer mu.Unlock()
	if calls == 0 || last.Written != 3 || last.Fetched != r.Fetched {
		t.Errorf("progress: %d calls, last %+v", calls, last)
	}
}

func TestRunCancelledThenResumed(t *testing.T) {
	const n = 20
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		for i := range n {
			fmt.Fprintf(w, `<a href="/2024/01/s%d.html">s%d</a> `, i, i)
		}
	})
	mux.HandleFunc("/2024/01/{name}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		name := r.PathValue("name")
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><head><title>Story %s</title></head><body><article><h1>Story %s</h1>
<p>This is the first paragraph of story %s, long enough to be kept by the cleaner as article text.</p>
<p>The second paragraph of story %s adds more words so that the page reads as an article and not a list.</p>
</article></body></html>`, name, name, name, name)
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	env := newRunnerEnv(t)
	opts := runnerOptions(site.URL+"/", `/\d{4}/\d{2}/`)
	opts.Parallel = 2

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for manifestCount(env.out) < 4 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	r := env.runner.Run(ctx, "r1", opts, nil)
	if r.Result != "partial" || r.Written >= n || r.Written < 4 {
		t.Fatalf("cancelled run: %+v", resultCounts(r))
	}
	first := len(env.manifest(t))
	if first != r.Written {
		t.Errorf("manifest has %d lines, run reports %d written", first, r.Written)
	}
	r = env.run(t, opts)
	if r.Result != "success" || r.Written+first != n || r.Unchanged != 0 {
		t.Errorf("resumed run: %+v (first run wrote %d)", resultCounts(r), first)
	}
	if lines := env.manifest(t); len(lines) != n {
		t.Errorf("manifest has %d lines, want %d", len(lines), n)
	}
}

func manifestCount(out string) int {
	b, _ := os.ReadFile(filepath.Join(out, output.ManifestName))
	return strings.Count(string(b), "\n")
}

// A run's log lines, the crawler's included, carry each key once: JSON
// readers keep only one of two "component" or "job" keys.
func TestRunLogKeysOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused: the crawler logs a warning
	env := newRunnerEnv(t)
	var buf syncBuffer
	env.runner.log = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env.run(t, runnerOptions("http://"+addr+"/"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var crawlerLines int
	for _, line := range lines {
		keys, err := jsonKeys(line)
		if err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				t.Errorf("key %q twice in log line %s", k, line)
			}
			seen[k] = true
		}
		if strings.Contains(line, `"component":"crawler"`) {
			crawlerLines++
			if !strings.Contains(line, `"run_id":`) || !strings.Contains(line, `"job":"news"`) {
				t.Errorf("crawler log line without job or run_id: %s", line)
			}
		}
	}
	if crawlerLines == 0 {
		t.Errorf("no crawler log line in:\n%s", buf.String())
	}
}

// jsonKeys returns the top-level keys of a JSON object, repeats included.
func jsonKeys(s string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// When the output directory is emptied (or a new one is used) while the
// state still remembers every article, the next run writes them all again
// instead of calling them unchanged.
func TestRunRebuildsEmptiedOutput(t *testing.T) {
	site := serveTestSite(t, "site-news")
	env := newRunnerEnv(t)
	opts := runnerOptions(site.URL+"/", `/\d{4}/\d{2}/`)
	if r := env.run(t, opts); r.Written != 3 {
		t.Fatalf("first run: %+v", r)
	}
	fresh := t.TempDir()
	sink, err := output.NewSink(fresh, "txt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env.runner.sink = sink
	r := env.run(t, opts)
	if diff := cmp.Diff(RunResult{Result: "success", Fetched: 5, Written: 3}, resultCounts(r)); diff != "" {
		t.Errorf("run into an empty directory (-want +got):\n%s", diff)
	}
	// From then on the state is used again: an unchanged site writes nothing.
	r = env.run(t, opts)
	if diff := cmp.Diff(RunResult{Result: "success", Fetched: 5, Unchanged: 3}, resultCounts(r)); diff != "" {
		t.Errorf("re-crawl (-want +got):\n%s", diff)
	}
}
