package crawler

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"winnow/archive"
	"winnow/internal/testwarc"
	"winnow/metrics"
)

// archiveRun crawls with a WARC writer of its own, as the daemon's Runner
// does each run, and closes it.
func archiveRun(t *testing.T, opts Options, store Store, dir string) crawlResult {
	t.Helper()
	w, err := archive.Open(archive.Options{Dir: dir, Job: opts.Job, Metrics: metrics.New(prometheus.NewRegistry())})
	if err != nil {
		t.Fatal(err)
	}
	opts.Archive = w
	r := crawl(t, opts, store, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// archived reads every response record under dir, by URI (the last wins).
func archived(t *testing.T, dir string) (map[string]archive.Response, []string) {
	t.Helper()
	files, err := archive.Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]archive.Response{}
	for _, f := range files {
		if err := archive.ReadResponses(f, func(r archive.Response) error { out[r.URI] = r; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return out, files
}

// Every response is archived, pages read for links, robots.txt and
// non-UTF-8 and gzipped articles included; ArchivedPage gives back the very
// page the crawler emitted; a re-crawl's 304s are revisits of the first
// run's records.
func TestArchiveEveryResponse(t *testing.T) {
	gbk := []byte("<html><head><title>\xd6\xd0\xce\xc4</title></head><body><p>\xd6\xd0\xce\xc4\xd0\xc2\xce\xc5</p></body></html>")
	s := serveSite(t, "site-news", map[string]http.HandlerFunc{
		"/2024/01/gbk.html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=gbk")
			w.Write(gbk)
		},
		"/2024/01/gz.html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte("<html><body><p>A gzipped story.</p></body></html>"))
			zw.Close()
		},
	})
	dir := t.TempDir()
	store := openTestStore(t)
	opts := testOptions(s.URL+"/", s.URL+"/2024/01/gbk.html", s.URL+"/2024/01/gz.html")
	opts.Article = mustRe(newsArticles)
	first := archiveRun(t, opts, store, dir)

	res, files := archived(t, dir)
	for _, path := range []string{"/robots.txt", "/", "/world/", "/2024/01/first-story.html", "/2024/01/gbk.html", "/2024/01/gz.html"} {
		if _, ok := res[s.URL+path]; !ok {
			t.Errorf("%s not archived", path)
		}
	}
	if got, want := len(res), int(first.stats.Fetched)+1; got != want { // robots.txt is not counted as fetched
		t.Errorf("%d responses archived, want %d (every fetch and robots.txt)", got, want)
	}
	if r := res[s.URL+"/2024/01/gz.html"]; r.Header.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(r.Body, []byte{0x1f, 0x8b}) {
		t.Errorf("gzipped article not archived as received: %v", r.Header)
	}
	for u, p := range first.pages {
		r := res[u]
		if !p.FetchedAt.Equal(r.Date) {
			t.Errorf("%s: page fetched at %v, archived at %v", u, p.FetchedAt, r.Date)
		}
		back, err := ArchivedPage(u, r.URI, r.Status, r.Header, r.Body, r.Date)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Body, p.Body) || back.Header.Get("Content-Type") != p.Header.Get("Content-Type") {
			t.Errorf("%s: ArchivedPage gives %q (%s), the crawl emitted %q (%s)", u, back.Body, back.Header.Get("Content-Type"), p.Body, p.Header.Get("Content-Type"))
		}
	}
	if p := first.pages[s.URL+"/2024/01/gbk.html"]; !strings.Contains(string(p.Body), "中文") {
		t.Errorf("gbk article emitted as %q", p.Body)
	}

	time.Sleep(10 * time.Millisecond) // a distinct file name for the second run
	second := archiveRun(t, opts, store, dir)
	if p := second.pages[s.URL+"/2024/01/first-story.html"]; p.Status != http.StatusNotModified {
		t.Fatalf("second run: first story status %d, want 304", p.Status)
	}
	_, files2 := archived(t, dir)
	if len(files2) != len(files)+1 {
		t.Fatalf("files after two runs: %v", files2)
	}
	recs := testwarc.Read(t, files2...)
	testwarc.Check(t, recs)
	var revisits []string
	for _, r := range recs {
		if r.Type == "revisit" {
			revisits = append(revisits, strings.TrimPrefix(r.URI, s.URL))
		}
	}
	want := []string{"/2024/01/first-story.html", "/2024/01/second-story.html", "/2024/01/third-story.html"}
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(revisits))); diff != "" {
		t.Errorf("revisits (-want +got):\n%s", diff)
	}
	for _, f := range files2 {
		if _, err := os.Stat(f + archive.OpenExt); err == nil || !strings.HasSuffix(filepath.Base(f), archive.Ext) {
			t.Errorf("%s: not a finished file", f)
		}
	}
}
