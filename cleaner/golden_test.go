package cleaner_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
	"winnow/output"
)

var update = flag.Bool("update", false, "rewrite the golden want.txt, want.json and want.md files")

type goldenMeta struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

// TestGolden cleans every testdata/<case>/page.html and compares the result,
// encoded by the output package as the product writes it, with want.txt,
// want.json and want.md (markdown). `go test ./cleaner -update` rewrites them.
// A case may list in chrome.txt lines that must not survive in any
// paragraph, so an -update cannot quietly accept chrome.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases under testdata")
	}
	c := cleaner.New(cleaner.Options{})
	for _, page := range dirs {
		dir := filepath.Dir(page)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			body, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			var m goldenMeta
			raw, err := os.ReadFile(filepath.Join(dir, "meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("meta.json: %v", err)
			}
			doc, _, err := c.Clean(cleaner.Input{Body: body, URL: m.URL, ContentType: m.ContentType})
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			got := map[string]string{}
			for name, format := range map[string]string{"want.txt": "txt", "want.json": "json", "want.md": "markdown"} {
				b, err := output.Encode(doc, format)
				if err != nil {
					t.Fatalf("encode %s: %v", format, err)
				}
				got[name] = string(b)
			}
			for name, g := range got {
				path := filepath.Join(dir, name)
				if *update {
					if err := os.WriteFile(path, []byte(g), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./cleaner -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), g); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
				}
			}
			chrome, err := os.ReadFile(filepath.Join(dir, "chrome.txt"))
			if os.IsNotExist(err) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(chrome)), "\n") {
				line = strings.Join(strings.Fields(line), " ")
				if line == "" {
					continue
				}
				for _, p := range doc.Paragraphs {
					if strings.Contains(p, line) {
						t.Errorf("chrome survived: %q in paragraph %q", line, p)
					}
				}
			}
		})
	}
}

// TestFallbackExtractor: a portal page whose article, cut into short
// paragraphs, is hidden until a script shows it (readability skips
// invisible nodes) is read by the densest-block pass instead of yielding
// nothing.
func TestFallbackExtractor(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "fallback-hidden-short-paragraphs-zh", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	doc, rep, err := cleaner.New(cleaner.Options{}).Clean(cleaner.Input{Body: body, URL: "http://portal.example/news/2022/02/11/123.html"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Extractor != "densest_block" {
		t.Errorf("extractor = %q, want densest_block", rep.Extractor)
	}
	if len(doc.Paragraphs) != 12 {
		t.Errorf("got %d paragraphs, want the 12 lines of the article: %q", len(doc.Paragraphs), doc.Paragraphs)
	}
}

// TestConcurrentClean: one Cleaner serves many goroutines (run with -race).
func TestConcurrentClean(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("testdata", "seed-*", "page.html"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no seed pages: %v", err)
	}
	c := cleaner.New(cleaner.Options{})
	want := make([]string, len(pages))
	bodies := make([][]byte, len(pages))
	for i, p := range pages {
		if bodies[i], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		doc, _, err := c.Clean(cleaner.Input{Body: bodies[i]})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = doc.Text()
	}
	errs := make(chan error, 4*len(pages))
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range pages {
				doc, _, err := c.Clean(cleaner.Input{Body: bodies[i]})
				if err != nil {
					errs <- err
					continue
				}
				if doc.Text() != want[i] {
					errs <- fmt.Errorf("%s: different text on a concurrent run", pages[i])
				}
			}
		}()
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
