package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/archive"
)

// outputContents reads every file under out but the state: documents by path,
// and the manifest's lines sorted (clean workers append in any order).
func outputContents(t *testing.T, out string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".winnow" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if rel == "manifest.jsonl" {
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			slices.Sort(lines)
			b = []byte(strings.Join(lines, "\n"))
		}
		files[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// winnow reclean over the archive of a crawl, with the site gone, writes
// the crawl's documents byte for byte; run again, it writes nothing.
func TestRecleanReproducesCrawl(t *testing.T) {
	t.Parallel()
	const n = 120
	site := serveNews(t, n, 0)
	warc, crawled, recleaned := t.TempDir(), t.TempDir(), t.TempDir()
	r := runWinnow(t, "", "crawl", "--allow-private", "--delay", "0", "--log-level", "warn", "--format", "json",
		"--article", `/\d{4}/\d{2}/`, "--out", crawled, "--warc", warc, site.URL+"/")
	if r.code != 0 {
		t.Fatalf("crawl: exit %d\n%s", r.code, r.stderr)
	}
	site.Close() // from here on, nothing answers: reclean must not need the network

	args := []string{"reclean", "--log-level", "warn", "--format", "json", "--article", `/\d{4}/\d{2}/`, "--out", recleaned, warc}
	r = runWinnow(t, "", args...)
	if r.code != 0 {
		t.Fatalf("reclean: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "written      120 (120 new, 0 replaced)") {
		t.Errorf("reclean summary:\n%s", r.stdout)
	}
	want, got := outputContents(t, crawled), outputContents(t, recleaned)
	if len(want) != n+1 {
		t.Fatalf("the crawl wrote %d files, want %d documents and the manifest", len(want), n)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reclean output differs from the crawl's (-crawl +reclean):\n%s", diff)
	}

	r = runWinnow(t, "", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "unchanged    120") {
		t.Errorf("second reclean: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if diff := cmp.Diff(want, outputContents(t, recleaned)); diff != "" {
		t.Errorf("second reclean changed the output (-want +got):\n%s", diff)
	}
}

func TestRecleanUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no input", []string{"reclean", "--out", t.TempDir()}, 2, "winnow: reclean: give at least one WARC file or directory\n"},
		{"missing input", []string{"reclean", "--out", t.TempDir(), "no-such.warc.gz"}, 1, "winnow: reclean: stat no-such.warc.gz: no such file or directory\n"},
		{"bad article", []string{"reclean", "--article", "(", "--out", t.TempDir(), "."}, 2, "winnow: --article \"(\": error parsing regexp: missing closing ): `(`\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWinnow(t, "", tt.args...)
			if r.code != tt.code || r.stderr != tt.stderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
	r := runWinnow(t, "", "reclean", "--help")
	if r.code != 0 || !bytes.Contains([]byte(r.stdout), []byte("Usage: winnow reclean --out DIR")) {
		t.Errorf("--help: exit %d\n%s", r.code, r.stdout)
	}
}

// A response reached through a redirect is replayed as the page first
// requested, as the crawl emitted it: article patterns match that URL.
func TestReplayPagesFollowsRedirectsBack(t *testing.T) {
	dir := t.TempDir()
	w, err := archive.Open(archive.Options{Dir: dir, Job: "news"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exchange := func(u string, status int, hdr http.Header, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		res := &http.Response{StatusCode: status, Proto: "HTTP/1.1", Header: hdr}
		if _, err := w.Archive(req, res, []byte(body), at, "", "", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	exchange("http://news.example/2024/01/old.html", 301, http.Header{"Location": {"/story/new"}}, "")
	exchange("http://news.example/story/new", 200, http.Header{"Content-Type": {"text/html; charset=utf-8"}}, "<p>new</p>")
	exchange("http://news.example/robots.txt", 404, http.Header{"Content-Type": {"text/plain"}}, "")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := archive.Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		URL, FinalURL string
		Status        int
		Body          string
		FetchedAt     time.Time
	}
	var pages []got
	for p, err := range replayPages(files, slog.New(slog.DiscardHandler)) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, got{p.URL, p.FinalURL, p.Status, string(p.Body), p.FetchedAt})
	}
	want := []got{
		{"http://news.example/2024/01/old.html", "http://news.example/story/new", 200, "<p>new</p>", at},
		{"http://news.example/robots.txt", "http://news.example/robots.txt", 404, "", at},
	}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("replayed pages (-want +got):\n%s", diff)
	}
}
