package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"winnow/output"
)

const (
	harbourPage = "testdata/clean/site/harbour.html"
	harbourURL  = "https://courier.example/2024/03/05/storm-closes-harbour"
)

// harbourParagraphs are the article's paragraphs; the rest of the page is chrome.
var harbourParagraphs = []string{
	"The harbour authority closed the port to all shipping on Tuesday morning",
	"Harbour master Tomas Berg said the decision was taken",
	`"We cannot let anyone in or out until the swell drops below three metres,"`,
	"Ferry services to the islands were cancelled for the rest of the week",
	"Local fishermen said the closure came at the worst possible time",
	"The town council has opened the sports hall as a shelter",
}

var harbourChrome = []string{
	"We use cookies", "Accept all cookies", "Share this article", "Sign up for our newsletter",
	"Flood defences to be raised", "All rights reserved", "Sport",
}

func checkHarbourBody(t *testing.T, body string) {
	t.Helper()
	last := -1
	for _, p := range harbourParagraphs {
		i := strings.Index(body, p)
		if i < 0 {
			t.Errorf("body lacks the paragraph %q", p)
			continue
		}
		if i < last {
			t.Errorf("paragraph %q out of page order", p)
		}
		last = i
	}
	for _, c := range harbourChrome {
		if strings.Contains(body, c) {
			t.Errorf("body keeps chrome %q", c)
		}
	}
}

func TestCleanTxt(t *testing.T) {
	r := runWinnow(t, "", "clean", harbourPage)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	head, body, ok := strings.Cut(r.stdout, "\n\n")
	if !ok {
		t.Fatalf("no blank line after the header:\n%s", r.stdout)
	}
	want := "Storm closes the harbour for three days\n2024-03-05\n" + harbourURL
	if diff := cmp.Diff(want, head); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(body, "\n") || strings.Contains(body, "\n\n") {
		t.Errorf("body is not one paragraph per line with a final newline: %q", body)
	}
	checkHarbourBody(t, body)
}

func TestCleanJSON(t *testing.T) {
	r := runWinnow(t, "", "clean", "--format", "json", "--url", "https://courier.example/some/other/address", harbourPage)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"url", "canonical_url", "title", "byline", "published", "site_name", "lang", "text", "fetched_at", "sha256"} {
		if _, ok := got[k]; !ok {
			t.Errorf("json lacks %q", k)
		}
	}
	wantFields := map[string]any{
		"url":           "https://courier.example/some/other/address",
		"canonical_url": harbourURL,
		"title":         "Storm closes the harbour for three days",
		"lang":          "en",
	}
	for k, v := range wantFields {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if p, _ := got["published"].(string); !strings.HasPrefix(p, "2024-03-05T") {
		t.Errorf("published = %v, want 2024-03-05T…", got["published"])
	}
	text, _ := got["text"].(string)
	checkHarbourBody(t, text)
}

func TestCleanStdinAndGzip(t *testing.T) {
	page, err := os.ReadFile(harbourPage)
	if err != nil {
		t.Fatal(err)
	}
	r := runWinnow(t, string(page), "clean", "-")
	if r.code != 0 {
		t.Fatalf("stdin: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	checkHarbourBody(t, r.stdout)

	r = runWinnow(t, "", "clean", "--url", "https://bakery.example/prize", "testdata/clean/site/bakery.html.gz")
	if r.code != 0 {
		t.Fatalf("gzip: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "Bakery wins national bread prize\n\nhttps://bakery.example/prize\n\n") ||
		!strings.Contains(r.stdout, "A family bakery on Mill Street has won the national prize") {
		t.Errorf("gzip: stdout\n%s", r.stdout)
	}
}

// runInProcess runs the command in this test process: the same code as the
// binary without its start-up cost, for the cases that need no process.
func runInProcess(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb strings.Builder
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func TestCleanUsageAndFailures(t *testing.T) {
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string // contained in stderr
	}{
		{name: "help", args: []string{"clean", "--help"}, code: 0, stderr: "Usage: winnow clean"},
		{name: "no file", args: []string{"clean"}, code: 2, stderr: "winnow: clean: missing FILE"},
		{name: "bad format", args: []string{"clean", "--format", "xml", harbourPage}, code: 2, stderr: `--format "xml": want txt, json, jsonl or markdown`},
		{name: "two files without out", args: []string{"clean", harbourPage, harbourPage}, code: 2, stderr: "one FILE at a time"},
		{name: "explain with out", args: []string{"clean", "--explain", "--out", "x", harbourPage}, code: 2, stderr: "cannot be combined"},
		{name: "missing file", args: []string{"clean", "testdata/clean/nope.html"}, code: 1, stderr: "winnow: clean testdata/clean/nope.html: open"},
		{name: "no article", args: []string{"clean", "testdata/clean/bad/empty-article.html"}, code: 1, stderr: "winnow: clean testdata/clean/bad/empty-article.html: no article found\n"},
		{name: "empty input", stdin: "", args: []string{"clean", "-"}, code: 1, stderr: "winnow: clean -: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr+r.stdout, tt.stderr) {
				t.Errorf("output %q does not contain %q", r.stderr+r.stdout, tt.stderr)
			}
			if tt.code == 1 && strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") != 0 {
				t.Errorf("failure reason is not one line: %q", r.stderr)
			}
		})
	}
}

// TestCleanBadInput: hostile input never panics or hangs; it is exit 0 with
// what was found or exit 1 with a one-line reason.
func TestCleanBadInput(t *testing.T) {
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>8)
	}
	tests := []struct {
		name  string
		input string
	}{
		{name: "binary garbage", input: string(garbage)},
		{name: "invalid utf8", input: "<html><body><p>caf\xe9 \xff\xfe " + strings.Repeat("word ", 200) + "</p></body></html>"},
		{name: "deep nesting", input: "<html><body>" + strings.Repeat("<div>", 200000) + "deep" + "</body></html>"},
		{name: "wrong declared charset", input: `<html><head><meta charset="shift_jis"></head><body><p>` + strings.Repeat("Plain English text in a page that lies about its charset. ", 30) + `</p></body></html>`},
		{name: "20 MB page", input: "<html><body><p>" + strings.Repeat("a ", 10<<20) + "</p></body></html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runWinnow(t, tt.input, "clean", "-")
			if r.code != 0 && r.code != 1 {
				t.Errorf("exit %d, want 0 or 1; stderr:\n%.2000s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("panicked:\n%.2000s", r.stderr)
			}
			if r.code == 1 && (!strings.HasPrefix(r.stderr, "winnow: clean -: ") || strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") != 0) {
				t.Errorf("exit 1 without a one-line reason: %.2000q", r.stderr)
			}
		})
	}
}

func TestCleanExplain(t *testing.T) {
	r := runWinnow(t, "", "clean", "--explain", harbourPage)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	var keep, drop []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "KEEP  "):
			keep = append(keep, l)
		case strings.HasPrefix(l, "DROP  "):
			drop = append(drop, l)
		}
	}
	if len(keep) != len(harbourParagraphs) {
		t.Errorf("%d KEEP lines, want %d:\n%s", len(keep), len(harbourParagraphs), r.stdout)
	}
	for i, p := range harbourParagraphs {
		if i < len(keep) && !strings.Contains(keep[i], p) {
			t.Errorf("KEEP line %d %q, want %q", i, keep[i], p)
		}
	}
	// Every DROP line names a rule before the text.
	for _, d := range drop {
		rule, text, ok := strings.Cut(strings.TrimPrefix(d, "DROP  "), "  ")
		if !ok || rule == "" || strings.Contains(rule, " ") || text == "" {
			t.Errorf("DROP line without a rule and a text: %q", d)
		}
	}
	// Page order: the cookie notice comes before the article, the share
	// prompt after it.
	cookie, share := strings.Index(r.stdout, "We use cookies"), strings.Index(r.stdout, "Share this article")
	firstKeep, lastKeep := strings.Index(r.stdout, "KEEP  "), strings.LastIndex(r.stdout, "KEEP  ")
	if cookie < 0 || share < 0 || cookie > firstKeep || share < lastKeep {
		t.Errorf("DROP lines not in page order around the KEEP lines:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "\nkept 6, dropped ") {
		t.Errorf("no summary line in:\n%s", r.stdout)
	}
}

func TestCleanOut(t *testing.T) {
	out := t.TempDir()
	r := runWinnow(t, "", "clean", "--out", out, "testdata/clean/site", "testdata/clean/bad")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	wantSummary := out + ": written 3, replaced 0, unchanged 0, duplicate 1, failed 1\n"
	if diff := cmp.Diff(wantSummary, r.stdout); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stderr, "empty-article.html") {
		t.Errorf("the failed page is not logged:\n%s", r.stderr)
	}

	// Layout: OUT/<host>/<id>.txt for each written page, one manifest line each.
	harbour := filepath.Join(out, "courier.example", output.ID(harbourURL)+".txt")
	b, err := os.ReadFile(harbour)
	if err != nil {
		t.Fatalf("harbour article: %v", err)
	}
	if !strings.HasPrefix(string(b), "Storm closes the harbour for three days\n2024-03-05\n"+harbourURL+"\n\n") {
		t.Errorf("harbour file:\n%s", b)
	}
	bakery, _ := filepath.Glob(filepath.Join(out, "_nohost", "*.txt"))
	if len(bakery) != 1 {
		t.Errorf("the page without an address is not under _nohost: %v", bakery)
	}
	f, err := os.Open(filepath.Join(out, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var paths []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m struct {
			Path, Job, SHA256 string
			Text              *string
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("manifest line %q: %v", sc.Text(), err)
		}
		if m.Job != "clean" || m.SHA256 == "" || m.Text != nil {
			t.Errorf("manifest line %q: want job clean, a sha256 and no text", sc.Text())
		}
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(m.Path))); err != nil {
			t.Errorf("manifest path %s: %v", m.Path, err)
		}
		paths = append(paths, m.Path)
	}
	if len(paths) != 3 {
		t.Errorf("manifest has %d lines, want 3: %v", len(paths), paths)
	}

	// A second run over the same pages writes nothing.
	r = runWinnow(t, "", "clean", "--out", out, "testdata/clean/site")
	if want := out + ": written 0, replaced 0, unchanged 3, duplicate 1, failed 0\n"; r.code != 0 || r.stdout != want {
		t.Errorf("second run: exit %d, stdout %q, want %q; stderr:\n%s", r.code, r.stdout, want, r.stderr)
	}

	// json format: same layout with .json files.
	outJSON := t.TempDir()
	r = runWinnow(t, "", "clean", "--out", outJSON, "--format", "json", harbourPage)
	if r.code != 0 {
		t.Fatalf("json: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(outJSON, "courier.example", output.ID(harbourURL)+".json")); err != nil {
		t.Errorf("json layout: %v", err)
	}
}

func TestCleanOutNothingWorks(t *testing.T) {
	out := t.TempDir()
	r := runInProcess(t, "", "clean", "--out", out, "testdata/clean/bad")
	if r.code != 1 || !strings.Contains(r.stderr, "winnow: clean: all 1 pages failed") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = runInProcess(t, "", "clean", "--out", out, "testdata/clean/site/notes.txt", "--format", "json")
	if r.code != 1 {
		t.Errorf("a text file given by name: exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	r = runInProcess(t, "", "clean", "--out", out, "testdata/clean/bad/nothing-here")
	if r.code != 1 || !strings.Contains(r.stderr, "nothing-here") {
		t.Errorf("missing dir: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/explain")

// TestCleanExplainGolden pins --explain on pages whose order depends on
// the cleaner's own decoding: a GB2312 page that declares no charset reads
// as mojibake in any other decoder, and its navigation then printed after
// the article. The binary runs as a user would; -update rewrites the wants.
func TestCleanExplainGolden(t *testing.T) {
	tests := []struct {
		name, page, url string
	}{
		{name: "portal-gb2312-no-charset-zh", page: "../../cleaner/testdata/portal-gb2312-no-charset-zh/page.html", url: "http://www.hxzx.example.com/news/2023/0928/2.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWinnow(t, "", "clean", "--explain", "--url", tt.url, tt.page)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			golden := filepath.Join("testdata", "explain", tt.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), r.stdout); diff != "" {
				t.Errorf("explain (-want +got):\n%s", diff)
			}
		})
	}
}
