package output

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
)

func doc(url string, paras ...string) cleaner.Document {
	return cleaner.Document{URL: url, Title: "T " + url, Paragraphs: paras}
}

func newSink(t *testing.T, dir, format string) *Sink {
	t.Helper()
	s, err := NewSink(dir, format)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readManifest parses every line of dir's manifest, failing on any bad one.
func readManifest(t *testing.T, dir string) []manifestLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []manifestLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var m manifestLine
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("manifest line %d %q: %v", n, sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// leftovers lists temporary files under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var tmp []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			tmp = append(tmp, p)
		}
		return nil
	})
	return tmp
}

func TestResultString(t *testing.T) {
	got := []string{Written.String(), Replaced.String(), Unchanged.String(), Duplicate.String()}
	if diff := cmp.Diff([]string{"written", "replaced", "unchanged", "duplicate"}, got); diff != "" {
		t.Error(diff)
	}
}

func TestSinkResults(t *testing.T) {
	for _, format := range []string{"txt", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			s := newSink(t, dir, format)
			a := doc("https://a.example/1", "alpha one", "alpha two")
			steps := []struct {
				name string
				doc  cleaner.Document
				want Result
			}{
				{name: "new", doc: a, want: Written},
				{name: "same again", doc: a, want: Unchanged},
				{name: "other title same text", doc: func() cleaner.Document { d := a; d.Title = "New title"; return d }(), want: Unchanged},
				{name: "same text, whitespace differs", doc: doc("https://a.example/1", " alpha  one ", "alpha\ttwo"), want: Unchanged},
				{name: "changed text", doc: doc("https://a.example/1", "alpha one", "alpha three"), want: Replaced},
				{name: "same text other url", doc: doc("https://b.example/2", "alpha one", "alpha three"), want: Duplicate},
				{name: "old text now free", doc: doc("https://b.example/2", "alpha one", "alpha two"), want: Written},
				{name: "canonical decides the path", doc: cleaner.Document{URL: "https://a.example/1?ref=x", CanonicalURL: "https://a.example/1", Paragraphs: []string{"alpha one", "alpha three"}}, want: Unchanged},
			}
			for _, st := range steps {
				got, err := s.Write(ctx, "job1", st.doc)
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
			// Manifest: written a1, replaced a1, written b2.
			lines := readManifest(t, dir)
			var got []string
			for _, l := range lines {
				got = append(got, l.CanonicalURL+" "+l.Path+" "+l.Job)
			}
			pa, pb := RelPath("https://a.example/1", format), RelPath("https://b.example/2", format)
			want := []string{
				"https://a.example/1 " + pa + " job1",
				"https://a.example/1 " + pa + " job1",
				"https://b.example/2 " + pb + " job1",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("manifest (-want +got):\n%s", diff)
			}
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pa)))
			if err != nil {
				t.Fatal(err)
			}
			wantFile, _ := Encode(doc("https://a.example/1", "alpha one", "alpha three"), format)
			if diff := cmp.Diff(string(wantFile), string(b)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
			if fi, _ := os.Stat(filepath.Join(dir, filepath.FromSlash(pa))); fi.Mode().Perm() != 0o644 {
				t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
			}
		})
	}
}

func TestSinkAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newSink(t, dir, "txt")
	if n := s.Documents(); n != 0 {
		t.Errorf("new directory: %d documents", n)
	}
	if r, err := s.Write(ctx, "j", doc("https://a.example/1", "text one")); err != nil || r != Written {
		t.Fatalf("first run: %v %v", r, err)
	}
	s.Close()

	s2 := newSink(t, dir, "txt")
	if n := s2.Documents(); n != 1 {
		t.Errorf("second run: %d documents from the manifest, want 1", n)
	}
	tests := []struct {
		name string
		doc  cleaner.Document
		want Result
	}{
		{name: "unchanged from the file", doc: doc("https://a.example/1", "text one"), want: Unchanged},
		{name: "duplicate from the manifest", doc: doc("https://c.example/3", "text one"), want: Duplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s2.Write(ctx, "j", tt.doc)
			if err != nil || got != tt.want {
				t.Errorf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
	s2.Close()
	if n := len(readManifest(t, dir)); n != 1 {
		t.Errorf("manifest has %d lines, want 1", n)
	}
}

func TestSinkManifestRepair(t *testing.T) {
	tests := []struct {
		name      string
		manifest  string
		wantLines int
		wantErr   string
	}{
		{
			name:      "truncated last line is cut",
			manifest:  `{"canonical_url":"https://x.example/","sha256":"aa","path":"x.example/1.txt"}` + "\n" + `{"canonical_url":"https://y.ex`,
			wantLines: 2, // the first, then the new write
		},
		{
			name:      "whole unterminated last line is kept",
			manifest:  `{"canonical_url":"https://x.example/","sha256":"aa","path":"x.example/1.txt"}`,
			wantLines: 2,
		},
		{
			name:     "bad line in the middle is an error",
			manifest: "{\"sha256\":\"aa\"}\nnot json\n{\"sha256\":\"bb\"}\n",
			wantErr:  "manifest.jsonl: line 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(tt.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := NewSink(dir, "txt")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewSink error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write(context.Background(), "j", doc("https://z.example/", "zed")); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if n := len(readManifest(t, dir)); n != tt.wantLines {
				t.Errorf("manifest has %d lines, want %d", n, tt.wantLines)
			}
		})
	}
}

func TestSinkConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, "json")
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	results := make([]Result, n)
	errs := make([]error, n)
	long := strings.Repeat("a long paragraph that makes the manifest line and file bigger ", 40)
	for i := range n {
		wg.Go(func() {
			// Ten URLs written five times each, with distinct texts per URL.
			url := fmt.Sprintf("http://127.0.0.1:%d/article/%d", 8000+(i%10)%3, i%10)
			results[i], errs[i] = s.Write(ctx, "job", doc(url, long, fmt.Sprintf("body of %d", i%10)))
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	count := map[Result]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("write %d: %v", i, errs[i])
		}
		count[results[i]]++
	}
	if diff := cmp.Diff(map[Result]int{Written: 10, Unchanged: 40}, count); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	lines := readManifest(t, dir)
	if len(lines) != 10 {
		t.Errorf("manifest has %d lines, want 10", len(lines))
	}
	for _, l := range lines {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l.Path))); err != nil {
			t.Errorf("manifest names %s: %v", l.Path, err)
		}
	}
	if tmp := leftovers(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestSinkConcurrentDuplicates(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, "txt")
	var wg sync.WaitGroup
	results := make([]Result, 20)
	for i := range results {
		wg.Go(func() {
			r, err := s.Write(context.Background(), "j", doc(fmt.Sprintf("https://m%d.example/", i), "the same text everywhere"))
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	count := map[Result]int{}
	for _, r := range results {
		count[r]++
	}
	if diff := cmp.Diff(map[Result]int{Written: 1, Duplicate: 19}, count); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestSinkFailedWriteLeavesNothing(t *testing.T) {
	for _, step := range []string{"write", "sync", "rename"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			s := newSink(t, dir, "txt")
			ctx := context.Background()
			old := doc("https://a.example/1", "old text")
			if _, err := s.Write(ctx, "j", old); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("disk on fire")
			s.failAt = func(at string) error {
				if at == step {
					return boom
				}
				return nil
			}
			if _, err := s.Write(ctx, "j", doc("https://a.example/1", "new text")); !errors.Is(err, boom) {
				t.Errorf("replace: error %v, want %v", err, boom)
			}
			if _, err := s.Write(ctx, "j", doc("https://b.example/2", "other text")); !errors.Is(err, boom) {
				t.Errorf("new: error %v, want %v", err, boom)
			}
			got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(RelPath("https://a.example/1", "txt"))))
			want, _ := Encode(old, "txt")
			if err != nil || string(got) != string(want) {
				t.Errorf("old file now %q (%v), want it untouched", got, err)
			}
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(RelPath("https://b.example/2", "txt")))); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("failed new file exists: %v", err)
			}
			if tmp := leftovers(t, dir); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
			if n := len(readManifest(t, dir)); n != 1 {
				t.Errorf("manifest has %d lines, want 1", n)
			}
			// After the failure the text is not claimed: a retry works.
			s.failAt = nil
			if r, err := s.Write(ctx, "j", doc("https://b.example/2", "other text")); err != nil || r != Written {
				t.Errorf("retry: %v %v", r, err)
			}
		})
	}
}

func TestSinkRenameOntoDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, "txt")
	d := doc("https://a.example/1", "text")
	target := filepath.Join(dir, filepath.FromSlash(RelPath(d.URL, "txt")))
	if err := os.MkdirAll(filepath.Join(target, "occupied"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(context.Background(), "j", d); err == nil {
		t.Fatal("write onto a directory succeeded")
	}
	if tmp := leftovers(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestSinkReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop writes (TestSinkFailedWriteLeavesNothing covers the failure path)")
	}
	dir := t.TempDir()
	s := newSink(t, dir, "txt")
	d := doc("https://a.example/1", "text")
	host := filepath.Join(dir, HostDir(d.URL))
	if err := os.Mkdir(host, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(host, 0o755) })
	if _, err := s.Write(context.Background(), "j", d); err == nil {
		t.Fatal("write into a read-only directory succeeded")
	}
	entries, _ := os.ReadDir(host)
	if len(entries) != 0 {
		t.Errorf("read-only dir holds %v", entries)
	}
}

// TestSinkReaderSeesWholeFiles replaces one file over and over while readers
// read it: every read sees one complete version.
func TestSinkReaderSeesWholeFiles(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, "txt")
	ctx := context.Background()
	versions := map[string]bool{}
	var docs []cleaner.Document
	for i := range 4 {
		d := doc("https://a.example/1", strings.Repeat(fmt.Sprintf("version %d paragraph ", i), 5000))
		b, _ := Encode(d, "txt")
		versions[string(b)] = true
		docs = append(docs, d)
	}
	if _, err := s.Write(ctx, "j", docs[0]); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(RelPath("https://a.example/1", "txt")))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if !versions[string(b)] {
					t.Errorf("reader saw a partial file of %d bytes", len(b))
					return
				}
			}
		})
	}
	for i := range 40 {
		if _, err := s.Write(ctx, "j", docs[(i+1)%len(docs)]); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
}

func TestSinkClosed(t *testing.T) {
	s := newSink(t, t.TempDir(), "txt")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Write(context.Background(), "j", doc("https://a.example/", "x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestSinkErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newSink(t, t.TempDir(), "txt")
	if _, err := s.Write(ctx, "j", doc("https://a.example/", "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if _, err := s.Write(context.Background(), "j", cleaner.Document{Paragraphs: []string{"x"}}); err == nil || !strings.Contains(err.Error(), "no URL") {
		t.Errorf("no URL: %v", err)
	}
	if _, err := NewSink(t.TempDir(), "xml"); err == nil || !strings.Contains(err.Error(), `format "xml"`) {
		t.Errorf("bad format: %v", err)
	}
}

// TestSinkRemovesStaleTemps: a process killed mid-write leaves its temporary
// file; the next sink on the directory removes it, but never the file of a
// writer that is still alive.
func TestSinkRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "news.example")
	if err := os.MkdirAll(host, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("need a process that has exited: %v", err)
	}
	dead := cmd.Process.Pid
	self := os.Getpid()
	files := map[string]bool{ // name -> should remain
		fmt.Sprintf(".a.txt.%d.111.tmp", dead): false,
		fmt.Sprintf(".b.txt.%d.222.tmp", self): true,
		fmt.Sprintf(".c.txt.%d.333.tmp", self): false, // aged past staleTempAge below
		".d.txt.444.tmp":                       false, // an older naming: no pid
		"e.txt":                                true,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(host, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTempAge)
	if err := os.Chtimes(filepath.Join(host, fmt.Sprintf(".c.txt.%d.333.tmp", self)), old, old); err != nil {
		t.Fatal(err)
	}
	newSink(t, dir, "txt")
	for name, keep := range files {
		_, err := os.Stat(filepath.Join(host, name))
		switch {
		case keep && err != nil:
			t.Errorf("%s was removed: %v", name, err)
		case !keep && err == nil:
			t.Errorf("%s was left", name)
		}
	}
}
