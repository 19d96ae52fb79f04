package output

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
)

// readLines parses every line of a jsonl file, failing on any that is not
// a whole JSON record.
func readLines(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s does not end in a newline", path)
	}
	var out []record
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d %q: %v", path, n, sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

var day = time.Date(2024, 5, 14, 23, 30, 0, 0, time.FixedZone("", -2*3600)) // 2024-05-15 in UTC

func fetched(d cleaner.Document) cleaner.Document { d.FetchedAt = day; return d }

func TestSinkJSONL(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newSink(t, dir, "jsonl")
	a := fetched(doc("https://a.example/1", "alpha one", "alpha two"))
	steps := []struct {
		name string
		job  string
		doc  cleaner.Document
		want Result
	}{
		{name: "new", job: "news", doc: a, want: Written},
		{name: "same again", job: "news", doc: a, want: Unchanged},
		{name: "changed text", job: "news", doc: fetched(doc("https://a.example/1", "alpha one", "alpha three")), want: Replaced},
		{name: "same text other url", job: "news", doc: fetched(doc("https://b.example/2", "alpha one", "alpha three")), want: Duplicate},
		{name: "other job, other day", job: "sport", doc: doc("https://c.example/3", "gamma"), want: Written},
	}
	for _, st := range steps {
		got, err := s.Write(ctx, st.job, st.doc)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: %v, want %v", st.name, got, st.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, filepath.Join(dir, "news", "2024-05-15.jsonl"))
	var texts []string
	for _, r := range lines {
		texts = append(texts, r.CanonicalURL+" "+r.Text)
	}
	if diff := cmp.Diff([]string{"https://a.example/1 alpha one\nalpha two", "https://a.example/1 alpha one\nalpha three"}, texts); diff != "" {
		t.Errorf("news lines (-want +got):\n%s", diff)
	}
	// The line is the json format's document, on one line.
	want, _ := Encode(a, "json")
	var wantRec record
	json.Unmarshal(want, &wantRec)
	if diff := cmp.Diff(wantRec, lines[0]); diff != "" {
		t.Errorf("line 1 (-json +jsonl):\n%s", diff)
	}
	sport := readLines(t, filepath.Join(dir, "sport", time.Now().UTC().Format(time.DateOnly)+".jsonl"))
	if len(sport) != 1 {
		t.Errorf("sport: %d lines, want 1", len(sport))
	}
	var paths []string
	for _, m := range readManifest(t, dir) {
		paths = append(paths, m.Path+" "+m.Job)
	}
	if diff := cmp.Diff([]string{"news/2024-05-15.jsonl news", "news/2024-05-15.jsonl news", "sport/" + time.Now().UTC().Format(time.DateOnly) + ".jsonl sport"}, paths); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}

	// A new sink (the next run) knows what was written.
	s2 := newSink(t, dir, "jsonl")
	if got, err := s2.Write(ctx, "news", fetched(doc("https://a.example/1", "alpha one", "alpha three"))); err != nil || got != Unchanged {
		t.Errorf("next run: %v, %v; want unchanged", got, err)
	}
}

func TestSinkJSONLBadJob(t *testing.T) {
	s := newSink(t, t.TempDir(), "jsonl")
	for _, job := range []string{"", "..", "a/b"} {
		if _, err := s.Write(context.Background(), job, doc("https://a.example/1", "x")); err == nil {
			t.Errorf("job %q: no error", job)
		}
	}
}

// TestSinkJSONLRepair: what a crash leaves (a torn last line; a line whose
// manifest line was never appended) is repaired by the next sink.
func TestSinkJSONLRepair(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := NewSink(dir, "jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Write(ctx, "news", fetched(doc(fmt.Sprintf("https://a.example/%d", i), fmt.Sprintf("text %d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	file := filepath.Join(dir, "news", "2024-05-15.jsonl")
	// The manifest lost its last line (killed between the two appends) …
	man := filepath.Join(dir, ManifestName)
	mb, _ := os.ReadFile(man)
	mlines := strings.SplitAfter(string(mb), "\n")
	os.WriteFile(man, []byte(strings.Join(mlines[:2], "")), 0o644)
	// … and another process was killed in the middle of a line.
	f, _ := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"url":"https://a.example/torn","canonical_url":"https://a.exa`)
	f.Close()

	s2 := newSink(t, dir, "jsonl")
	if lines := readLines(t, file); len(lines) != 3 {
		t.Errorf("%d lines after repair, want 3", len(lines))
	}
	if got := len(readManifest(t, dir)); got != 3 {
		t.Errorf("manifest has %d lines after repair, want 3", got)
	}
	if got, err := s2.Write(ctx, "news", fetched(doc("https://a.example/2", "text 2"))); err != nil || got != Unchanged {
		t.Errorf("the repaired document again: %v, %v; want unchanged", got, err)
	}
	if got, err := s2.Write(ctx, "news", fetched(doc("https://a.example/9", "text 9"))); err != nil || got != Written {
		t.Errorf("a new document: %v, %v; want written", got, err)
	}
	if lines := readLines(t, file); len(lines) != 4 {
		t.Errorf("%d lines, want 4", len(lines))
	}
}

// TestSinkJSONLConcurrent: many writers, each line whole (run with -race).
func TestSinkJSONLConcurrent(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, "jsonl")
	long := strings.Repeat("a long paragraph of the article ", 2000)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			d := fetched(doc(fmt.Sprintf("https://a.example/%d", i), fmt.Sprintf("%d %s", i, long)))
			if _, err := s.Write(context.Background(), "news", d); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s.Close()
	if got := len(readLines(t, filepath.Join(dir, "news", "2024-05-15.jsonl"))); got != 40 {
		t.Errorf("%d lines, want 40", got)
	}
	if got := len(readManifest(t, dir)); got != 40 {
		t.Errorf("%d manifest lines, want 40", got)
	}
}

func TestCutTornTail(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "empty", in: "", want: ""},
		{name: "whole", in: "a\nb\n", want: "a\nb\n"},
		{name: "torn", in: "a\nb\nc", want: "a\nb\n"},
		{name: "only a torn line", in: "abc", want: ""},
		{name: "long torn line", in: "a\n" + strings.Repeat("x", 200<<10), want: "a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f.jsonl")
			os.WriteFile(p, []byte(tt.in), 0o644)
			f, err := os.OpenFile(p, os.O_RDWR|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := cutTornTail(f); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
