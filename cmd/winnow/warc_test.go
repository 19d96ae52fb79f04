package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"winnow/internal/testwarc"
)

// warcFiles lists dir's finished WARC files and the ones still open.
func warcFiles(t *testing.T, dir string) (finished, open []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".warc.gz"):
			finished = append(finished, p)
		case strings.HasSuffix(e.Name(), ".warc.gz.open"):
			open = append(open, p)
		default:
			t.Errorf("stray file in the archive: %s", p)
		}
	}
	return finished, open
}

// A crawl killed with SIGKILL leaves whole WARC files and at most the file
// it was writing under its temporary name; the next run finishes that file
// (its whole records kept) before it goes on, and every record of every
// file then reads back with warcio, digests matching.
func TestCrawlWARCKillAndResume(t *testing.T) {
	t.Parallel()
	const n = 200
	site := serveNews(t, n, time.Millisecond)
	out, warc := t.TempDir(), t.TempDir()
	args := []string{"crawl", "--allow-private", "--delay", "0", "--parallel", "4", "--log-level", "warn",
		"--article", `/\d{4}/\d{2}/`, "--out", out, "--warc", warc, site.URL + "/"}

	killCrawlAfter(t, args, out, 40)
	if manifestLines(out) >= n {
		t.Fatal("crawl finished before it could be killed")
	}
	finished, open := warcFiles(t, warc)
	if len(open) != 1 {
		t.Fatalf("after SIGKILL: %d open files (%v), want the one being written", len(open), open)
	}
	if len(finished) > 0 {
		testwarc.Check(t, testwarc.Read(t, finished...))
	}

	r := runWinnow(t, "", args...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	finished, open = warcFiles(t, warc)
	if len(open) != 0 || len(finished) < 2 {
		t.Fatalf("after the resumed run: finished %v, open %v; want the killed run's file finished and the new run's", finished, open)
	}
	recs := testwarc.Read(t, finished...)
	testwarc.Check(t, recs)
	articles := map[string]bool{}
	for _, rec := range recs {
		if rec.Type == "response" && strings.Contains(rec.URI, "/2024/01/") && rec.Status == 200 {
			articles[rec.URI] = true
		}
	}
	// Articles fetched by the killed run after its last whole record are
	// not in the archive; the resumed run does not fetch them again.
	if len(articles) < n-10 {
		t.Errorf("%d of %d articles archived", len(articles), n)
	}
	t.Logf("%d files, %d records, %d articles archived", len(finished), len(recs), len(articles))
}
