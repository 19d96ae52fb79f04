package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/daemon"
)

// newsSite serves n generated articles: a front page linking to sections
// of 50 links, each linking to its articles. Every article waits delay.
type newsSite struct {
	*httptest.Server
	frontHits atomic.Int32
	articles  atomic.Int32
}

func serveNews(t *testing.T, n int, delay time.Duration) *newsSite {
	t.Helper()
	const per = 50
	s := &newsSite{}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.frontHits.Add(1)
		var b strings.Builder
		b.WriteString("<html><head><title>Front</title></head><body><ul>")
		for i := 0; i*per < n; i++ {
			fmt.Fprintf(&b, `<li><a href="/section/%d">Section %d</a></li>`, i, i)
		}
		b.WriteString("</ul></body></html>")
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/section/{s}", func(w http.ResponseWriter, r *http.Request) {
		sec, _ := strconv.Atoi(r.PathValue("s"))
		var b strings.Builder
		b.WriteString("<html><head><title>Section</title></head><body><ul>")
		for i := sec * per; i < min(n, (sec+1)*per); i++ {
			fmt.Fprintf(&b, `<li><a href="/2024/01/story-%d.html#top">Story %d</a></li>`, i, i)
		}
		b.WriteString("</ul></body></html>")
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/2024/01/{name}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.PathValue("name"), "story-"), ".html"))
		if err != nil || i >= n {
			http.NotFound(w, r)
			return
		}
		s.articles.Add(1)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Story number %d</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Story number %d</h1>
<p>The council of town %d met on Tuesday to discuss the budget for the coming year, and after a long debate it agreed to spend more on roads.</p>
<p>Residents of district %d had asked for the change for several years, saying the state of the streets made walking to school dangerous.</p>
<p>The final paragraph of story %d says that the opposition asked for a review in six months, which the council accepted.</p>
</article></body></html>`, i, i, i, i, i)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestCrawlUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{name: "help", args: []string{"crawl", "--help"}, code: 0, want: "Usage: winnow crawl"},
		{name: "no url", args: []string{"crawl"}, code: 2, want: "give at least one URL"},
		{name: "bad regex", args: []string{"crawl", "--article", "(", "http://127.0.0.1:1/"}, code: 2, want: `--article "("`},
		{name: "second regex bad", args: []string{"crawl", "--deny", "a", "--deny", "[", "http://127.0.0.1:1/"}, code: 2, want: `--deny "["`},
		{name: "bad url", args: []string{"crawl", "ftp://x/"}, code: 2, want: "not http or https"},
		{name: "bad flag", args: []string{"crawl", "--nope"}, code: 2, want: "flag provided but not defined"},
		{name: "bad format", args: []string{"crawl", "--format", "pdf", "http://127.0.0.1:1/"}, code: 2, want: "--format"},
		{name: "bad parallel", args: []string{"crawl", "--parallel", "0", "http://127.0.0.1:1/"}, code: 2, want: "--parallel"},
		{name: "bad duration", args: []string{"crawl", "--delay", "soon", "http://127.0.0.1:1/"}, code: 2, want: "-delay"},
		{name: "missing config", args: []string{"crawl", "--config", "does-not-exist.yaml"}, code: 2, want: "does-not-exist.yaml"},
		{name: "negative min-words", args: []string{"crawl", "--min-words", "-1", "http://127.0.0.1:1/"}, code: 2, want: "--min-words -1: want 0 or more"},
		{name: "language name", args: []string{"crawl", "--lang", "english", "http://127.0.0.1:1/"}, code: 2,
			want: `--lang: "english": want a two-letter ISO 639-1 code like "en" or "de"`},
		{name: "bad code in a list", args: []string{"crawl", "--lang", "en,DE", "http://127.0.0.1:1/"}, code: 2,
			want: `--lang: "DE": write language codes in lower case: "de"`},
		{name: "help names the filters", args: []string{"crawl", "--help"}, code: 0, want: "repeatable or comma-separated (--lang en,de)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In process: flag handling needs no binary.
			var stdout, stderr bytes.Buffer
			code := run(append(tt.args, "--out", t.TempDir()), strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String()+stdout.String(), tt.want) {
				t.Errorf("output %q does not contain %q", stderr.String()+stdout.String(), tt.want)
			}
		})
	}
}

func TestCrawlNothingFetched(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := runWinnow(t, "", "crawl", "--allow-private", "--retries", "0", "--out", t.TempDir(), "http://"+addr+"/")
	if r.code != 1 || !strings.Contains(r.stderr, "nothing could be fetched") || strings.Contains(r.stderr, "--allow-private is given") {
		t.Errorf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
}

func TestCrawlPrivateRefusedByDefault(t *testing.T) {
	site := serveNews(t, 5, 0)
	r := runWinnow(t, "", "crawl", "--delay", "0", "--out", t.TempDir(), site.URL+"/")
	if r.code != 1 || site.frontHits.Load() != 0 {
		t.Errorf("exit %d, front page hits %d; stderr:\n%s", r.code, site.frontHits.Load(), r.stderr)
	}
	// The last line says why and what to do.
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "--allow-private") {
		t.Errorf("last stderr line %q does not name --allow-private", last)
	}
}

type manifestLine struct {
	Path string `json:"path"`
	Job  string `json:"job"`
}

func readManifest(t *testing.T, out string) []manifestLine {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "manifest.jsonl"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var lines []manifestLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l manifestLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("manifest line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestCrawlSummaryAndRecrawl(t *testing.T) {
	t.Parallel()
	site := serveNews(t, 20, 0)
	out := t.TempDir()
	args := []string{"crawl", "--allow-private", "--delay", "0", "--article", `/\d{4}/\d{2}/`, "--out", out, site.URL + "/"}
	r := runWinnow(t, "", args...)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"job crawl: success in ", "fetched      22", "written      20 (20 new, 0 replaced)", "unchanged    0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".winnow", "state.db")); err != nil {
		t.Errorf("default state file: %v", err)
	}
	r = runWinnow(t, "", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "unchanged    20") || !strings.Contains(r.stdout, "written      0") {
		t.Errorf("re-crawl: exit %d\n%s", r.code, r.stdout)
	}
	if n := len(readManifest(t, out)); n != 20 {
		t.Errorf("manifest has %d lines, want 20", n)
	}
}

func TestCrawlConfigJob(t *testing.T) {
	t.Parallel()
	site := serveNews(t, 3, 0)
	dir := t.TempDir()
	out := filepath.Join(dir, "docs")
	cfg := fmt.Sprintf(`output: {dir: %q, format: json}
defaults:
  delay: 0s
  allow_private: true
jobs:
  - name: local
    schedule: "@every 1h"
    seeds: [%q]
    article: ['/\d{4}/\d{2}/']
  - name: other
    schedule: "@every 1h"
    seeds: ["https://example.org/"]
`, out, site.URL+"/")
	path := filepath.Join(dir, "winnow.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWinnow(t, "", "crawl", "--config", path)
	if r.code != 2 || !strings.Contains(r.stderr, "has 2 jobs") {
		t.Errorf("no --job with two jobs: exit %d\n%s", r.code, r.stderr)
	}
	r = runWinnow(t, "", "crawl", "--config", path, "--job", "nope")
	if r.code != 2 || !strings.Contains(r.stderr, `--job "nope"`) {
		t.Errorf("unknown job: exit %d\n%s", r.code, r.stderr)
	}
	r = runWinnow(t, "", "crawl", "--config", path, "--job", "local")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	lines := readManifest(t, out)
	if len(lines) != 3 || lines[0].Job != "local" || !strings.HasSuffix(lines[0].Path, ".json") {
		t.Errorf("manifest %+v", lines)
	}
	// With the config's state (state.path), --out elsewhere gets a state of
	// its own: the same job crawled into an empty directory writes it all.
	cfg2 := strings.Replace(cfg, "output:", fmt.Sprintf("state: {path: %q}\noutput:", filepath.Join(dir, "winnow.db")), 1)
	if err := os.WriteFile(path, []byte(cfg2), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{out, filepath.Join(dir, "fresh")} {
		r = runWinnow(t, "", "crawl", "--config", path, "--job", "local", "--out", o)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if n := len(readManifest(t, o)); n != 3 {
			t.Errorf("--out %s: manifest has %d lines, want 3", o, n)
		}
	}
}

// TestCrawlKillAndResume kills a crawl of a 200-page site with SIGKILL in
// the middle, then runs the same command again: every article ends up
// written exactly once, and no partial or temp file is ever left.
func TestCrawlKillAndResume(t *testing.T) {
	t.Parallel()
	const n = 200
	site := serveNews(t, n, time.Millisecond)
	out := t.TempDir()
	args := []string{"crawl", "--allow-private", "--delay", "0", "--parallel", "4", "--log-level", "warn",
		"--article", `/\d{4}/\d{2}/`, "--out", out, site.URL + "/"}

	killCrawlAfter(t, args, out, 60)
	killedAt := len(readManifest(t, out))
	if killedAt >= n {
		t.Fatalf("crawl finished (%d documents) before it could be killed", killedAt)
	}
	checkNoPartialFiles(t, out, true)

	r := runWinnow(t, "", args...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	if n := site.frontHits.Load(); n != 1 {
		t.Errorf("front page fetched %d times; the resumed run must continue, not start over", n)
	}
	lines := readManifest(t, out)
	seen := map[string]int{}
	for _, l := range lines {
		seen[l.Path]++
	}
	for p, c := range seen {
		if c > 1 {
			t.Errorf("%s written %d times", p, c)
		}
	}
	if len(seen) != n || len(lines) != n {
		t.Errorf("%d manifest lines for %d documents, want %d (killed at %d)", len(lines), len(seen), n, killedAt)
	}
	checkNoPartialFiles(t, out, false)
	for p := range seen {
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("which the council accepted.")) {
			t.Errorf("%s is incomplete:\n%s", p, b)
		}
	}
	t.Logf("killed after %d documents; %d article fetches in all", killedAt, site.articles.Load())
}

// manifestLines counts the complete lines of the manifest, which a running
// crawl may be appending to.
func manifestLines(out string) int {
	b, _ := os.ReadFile(filepath.Join(out, "manifest.jsonl"))
	return bytes.Count(b, []byte("\n"))
}

// checkNoPartialFiles fails on any file under out that is not a document,
// the manifest or the state. A hidden temp file, never a document, may be
// left by a write that SIGKILL cut (killed); the next run removes it.
func checkNoPartialFiles(t *testing.T, out string, killed bool) {
	t.Helper()
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".winnow" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(out, p)
		switch {
		case rel == "manifest.jsonl", strings.HasSuffix(rel, ".txt") && !strings.HasPrefix(d.Name(), "."):
		case killed && strings.HasPrefix(d.Name(), ".") && strings.HasSuffix(d.Name(), ".tmp"):
			t.Logf("temp file of the write SIGKILL cut: %s", rel)
		default:
			t.Errorf("stray file %s", rel)
		}
		return nil
	})
}

// On a terminal a log line never lands after the live progress text: the
// line is cleared first.
func TestProgressLineStepsAsideForLogs(t *testing.T) {
	var buf bytes.Buffer
	p := &progressReporter{term: &terminal{w: &buf}, every: time.Hour, start: time.Now()}
	p.bar = newProgressBar(p.term, 0)
	log := slog.New(slog.NewTextHandler(p, nil))
	p.log = log
	p.update(daemon.Progress{Fetched: 3, Queue: 2})
	log.Info("http error", "status", 404)
	p.finish() // stops the bar's own redrawing goroutine
	p.term.mu.Lock()
	out := buf.String()
	p.term.mu.Unlock()
	if !strings.Contains(out, "fetched 3") {
		t.Fatalf("no live line drawn: %q", out)
	}
	i := strings.Index(out, "time=")
	if i < 0 {
		t.Fatalf("log line missing: %q", out)
	}
	if before := out[:i]; !strings.HasSuffix(before, "\r\x1b[K") {
		t.Errorf("log line does not erase the live line first; it follows %q", before[max(0, len(before)-40):])
	}
}

// A crawl that robots.txt shuts out says so, in the summary and the error.
func TestCrawlAllDisallowedByRobots(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /\n")
			return
		}
		t.Errorf("fetched %s, which robots.txt disallows", r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	r := runWinnow(t, "", "crawl", "--allow-private", "--delay", "0", "--out", t.TempDir(), srv.URL+"/news/")
	if r.code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "disallowed   1 (by robots.txt") {
		t.Errorf("summary lacks the disallowed count:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "1 URL disallowed by robots.txt (--ignore-robots to fetch anyway)") {
		t.Errorf("error does not name robots.txt:\n%s", r.stderr)
	}
}

// serveLanguages serves a front page linking to four articles, long and
// short, in English, German and Chinese, and a page with no article.
func serveLanguages(t *testing.T) *httptest.Server {
	t.Helper()
	paras := func(s string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<p>%s (%d)</p>\n", s, i+1)
		}
		return b.String()
	}
	page := func(lang, title, body string) string {
		return fmt.Sprintf(`<!doctype html><html lang="%s"><head><meta charset="utf-8"><title>%s</title></head>
<body><nav><a href="/">Home</a></nav><article><h1>%s</h1>
%s</article></body></html>`, lang, title, title, body)
	}
	const (
		en = "The harbour board met on Tuesday evening and agreed, after a long and sometimes heated debate, to rebuild the old north pier before the winter storms arrive" // 28 words
		de = "Der Hafenrat hat sich am Dienstagabend getroffen und nach einer langen und manchmal hitzigen Debatte beschlossen, den alten Nordpier vor den Winterstürmen neu zu bauen"
		zh = "港务委员会周二晚上召开会议，经过长时间且有时激烈的辩论，同意在冬季风暴到来之前重建旧的北码头" // 42 characters, one field
	)
	pages := map[string]string{
		"/a/pier.html":    page("en", "Pier to be rebuilt", paras(en, 6)), // 174 words
		"/a/brief.html":   page("en", "Pier: in brief", paras(en, 2)),     // 58 words
		"/a/hafen.html":   page("de", "Nordpier wird neu gebaut", paras(de, 6)),
		"/a/matou.html":   page("zh", "北码头将重建", paras(zh, 4)), // 172 words, 8 space-separated fields
		"/a/nothing.html": page("en", "Nothing here", ""),
	}
	var front strings.Builder
	front.WriteString("<html><head><title>Front</title></head><body><ul>")
	for _, p := range []string{"pier", "brief", "hafen", "matou", "nothing"} {
		fmt.Fprintf(&front, `<li><a href="/a/%s.html">%s</a></li>`, p, p)
	}
	front.WriteString("</ul></body></html>")
	pages["/"] = front.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// writtenTitles returns the titles of the documents a crawl wrote to out.
func writtenTitles(t *testing.T, out string) []string {
	t.Helper()
	var titles []string
	for _, l := range readManifest(t, out) {
		b, err := os.ReadFile(filepath.Join(out, l.Path))
		if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, strings.SplitN(string(b), "\n", 2)[0])
	}
	slices.Sort(titles)
	return titles
}

func TestCrawlFilters(t *testing.T) {
	site := serveLanguages(t)
	base := []string{"crawl", "--allow-private", "--delay", "0", "--article", "/a/"}
	tests := []struct {
		name    string
		args    []string
		config  string // job keys, when the crawl runs a configured job
		titles  []string
		summary []string
	}{
		{name: "no filter", titles: []string{"Nordpier wird neu gebaut", "Pier to be rebuilt", "Pier: in brief", "北码头将重建"},
			summary: []string{"written      4 (4 new, 0 replaced)", "skipped      1 (not_article 1)"}},
		{name: "min-words and comma-separated lang", args: []string{"--min-words", "100", "--lang", "en,zh"},
			titles:  []string{"Pier to be rebuilt", "北码头将重建"},
			summary: []string{"written      2 (2 new, 0 replaced)", "skipped      3 (language 1, not_article 1, too_short 1)"}},
		{name: "repeated lang", args: []string{"--lang", "de", "--lang", "zh"}, titles: []string{"Nordpier wird neu gebaut", "北码头将重建"},
			summary: []string{"written      2 (2 new, 0 replaced)", "skipped      3 (language 2, not_article 1)"}},
		{name: "min-words alone", args: []string{"--min-words", "100"},
			titles:  []string{"Nordpier wird neu gebaut", "Pier to be rebuilt", "北码头将重建"},
			summary: []string{"written      3 (3 new, 0 replaced)", "skipped      2 (not_article 1, too_short 1)"}},
		{name: "config job", config: "    min_words: 100\n    languages: [de]\n", titles: []string{"Nordpier wird neu gebaut"},
			summary: []string{"written      1 (1 new, 0 replaced)", "skipped      4 (language 2, not_article 1, too_short 1)"}},
		{name: "flags override the config job", config: "    min_words: 100\n    languages: [de]\n", args: []string{"--lang", "en", "--min-words", "0"},
			titles:  []string{"Pier to be rebuilt", "Pier: in brief"},
			summary: []string{"written      2 (2 new, 0 replaced)", "skipped      3 (language 2, not_article 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			args := append(slices.Clone(base), "--out", out)
			if tt.config != "" {
				cfg := fmt.Sprintf("jobs:\n  - name: harbour\n    schedule: '@every 1h'\n    seeds: [%q]\n%s", site.URL+"/", tt.config)
				path := filepath.Join(dir, "winnow.yaml")
				if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			args = append(args, tt.args...)
			if tt.config == "" {
				args = append(args, site.URL+"/") // else the job's seed
			}
			r := runWinnow(t, "", args...)
			if r.code != 0 {
				t.Fatalf("winnow %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
			if diff := cmp.Diff(tt.titles, writtenTitles(t, out)); diff != "" {
				t.Errorf("documents written (-want +got):\n%s", diff)
			}
			for _, want := range append(tt.summary, "fetched      6") {
				if !strings.Contains(r.stdout, want+"\n") && !strings.Contains(r.stdout, want+" (") {
					t.Errorf("summary lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

// killCrawlAfter starts `winnow args...` and SIGKILLs it once the manifest
// under out has at least lines lines, failing the test when the crawl has
// not written that many within 60 s.
func killCrawlAfter(t *testing.T, args []string, out string, lines int) {
	t.Helper()
	cmd := exec.Command(winnowBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for manifestLines(out) < lines {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("crawl wrote too little in 60s; stderr:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
}
