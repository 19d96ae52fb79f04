package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jsonlRecords parses every line of every OUT/<job>/*.jsonl file, failing
// on any line that is not a whole JSON document.
func jsonlRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "*", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends in a partial line", f)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<24)
		for n := 1; sc.Scan(); n++ {
			var r map[string]any
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Errorf("%s line %d is not a JSON document: %v", f, n, err)
				continue
			}
			recs = append(recs, r)
		}
	}
	return recs
}

// TestCrawlJSONLKill kills a jsonl crawl with SIGKILL while it writes:
// every line left is a whole document, and the resumed run writes each
// article exactly once.
func TestCrawlJSONLKill(t *testing.T) {
	t.Parallel()
	const n = 150
	site := serveNews(t, n, time.Millisecond)
	out := t.TempDir()
	args := []string{"crawl", "--allow-private", "--delay", "0", "--parallel", "4", "--log-level", "warn",
		"--format", "jsonl", "--job", "news", "--article", `/\d{4}/\d{2}/`, "--out", out, site.URL + "/"}
	killCrawlAfter(t, args, out, 20)
	killedAt := len(jsonlRecords(t, out))
	if killedAt >= n {
		t.Fatalf("crawl finished (%d documents) before it could be killed", killedAt)
	}

	r := runWinnow(t, "", args...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	recs := jsonlRecords(t, out)
	seen := map[string]int{}
	for _, rec := range recs {
		url, _ := rec["canonical_url"].(string)
		seen[url]++
		if text, _ := rec["text"].(string); !strings.HasSuffix(text, "which the council accepted.") {
			t.Errorf("%s: text %q is not the whole article", url, text)
		}
	}
	for u, c := range seen {
		if c > 1 {
			t.Errorf("%s written %d times", u, c)
		}
	}
	if len(seen) != n || len(recs) != n {
		t.Errorf("%d lines for %d documents, want %d (killed at %d)", len(recs), len(seen), n, killedAt)
	}
	if lines := readManifest(t, out); len(lines) != n {
		t.Errorf("%d manifest lines, want %d", len(lines), n)
	}
	files, _ := filepath.Glob(filepath.Join(out, "news", "*.jsonl"))
	if len(files) == 0 {
		t.Errorf("no OUT/news/<date>.jsonl file")
	}
	t.Logf("killed after %d documents", killedAt)
}

// TestCleanFormats: clean prints every format; markdown keeps the page's
// structure, its links only when asked.
func TestCleanFormats(t *testing.T) {
	t.Parallel()
	page := filepath.Join("..", "..", "cleaner", "testdata", "structure-headings-lists-table-quote-en", "page.html")
	tests := []struct {
		name     string
		args     []string
		want     []string
		wantNot  []string
		oneLine  bool
		jsonLine bool
	}{
		{name: "markdown", args: []string{"--format", "markdown"},
			want:    []string{"---\nurl: \"\"\ncanonical_url: https://harbourpost.example/", "\n## What the plan pays for\n", "\n    - new pumps", "\n| Item | 2024 | 2025 | 2026 |\n| --- | --- | --- | --- |\n", "\n> We have asked", "\n1. Survey"},
			wantNot: []string{"]("}},
		{name: "markdown with links", args: []string{"--format", "markdown", "--markdown-links"},
			want: []string{"[£40 million plan](https://harbourpost.example/2024/02/02/flood-report.html)"}},
		{name: "jsonl", args: []string{"--format", "jsonl"}, jsonLine: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWinnow(t, "", append(append([]string{"clean"}, tt.args...), page)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(r.stdout, w) {
					t.Errorf("output has %q", w)
				}
			}
			if tt.jsonLine {
				var m map[string]any
				if strings.Count(r.stdout, "\n") != 1 || json.Unmarshal([]byte(r.stdout), &m) != nil || m["title"] != "Council approves £40m flood defence plan" {
					t.Errorf("want one JSON line with the title, got %q", r.stdout)
				}
			}
		})
	}
}
