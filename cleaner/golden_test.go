package cleaner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden want.txt and want.json files")

type goldenMeta struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

// renderTxt writes a Document in the contract's txt format: title, date
// (YYYY-MM-DD or empty), canonical URL, a blank line, one paragraph a line.
func renderTxt(d Document) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	if !d.Published.IsZero() {
		b.WriteString(d.Published.Format("2006-01-02"))
	}
	b.WriteString("\n" + d.CanonicalURL + "\n\n")
	for _, p := range d.Paragraphs {
		b.WriteString(p + "\n")
	}
	return b.String()
}

// renderJSON writes a Document in the contract's json format.
func renderJSON(d Document) string {
	var published, fetched *string
	if !d.Published.IsZero() {
		s := d.Published.Format(time.RFC3339)
		published = &s
	}
	if !d.FetchedAt.IsZero() {
		s := d.FetchedAt.Format(time.RFC3339)
		fetched = &s
	}
	text := d.Text()
	sum := sha256.Sum256([]byte(text))
	v := struct {
		URL          string  `json:"url"`
		CanonicalURL string  `json:"canonical_url"`
		Title        string  `json:"title"`
		Byline       string  `json:"byline"`
		Published    *string `json:"published"`
		SiteName     string  `json:"site_name"`
		Lang         string  `json:"lang"`
		Text         string  `json:"text"`
		FetchedAt    *string `json:"fetched_at"`
		SHA256       string  `json:"sha256"`
	}{d.URL, d.CanonicalURL, d.Title, d.Byline, published, d.SiteName, d.Lang, text, fetched, hex.EncodeToString(sum[:])}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.String()
}

// TestGolden cleans every testdata/<case>/page.html and compares the result
// with want.txt and want.json. `go test ./cleaner -update` rewrites them.
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
	c := New(Options{})
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
			doc, _, err := c.Clean(Input{Body: body, URL: m.URL, ContentType: m.ContentType})
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			got := map[string]string{"want.txt": renderTxt(doc), "want.json": renderJSON(doc)}
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
				line = collapse(line)
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
	doc, rep, err := New(Options{}).Clean(Input{Body: body, URL: "http://portal.example/news/2022/02/11/123.html"})
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
	c := New(Options{})
	want := make([]string, len(pages))
	bodies := make([][]byte, len(pages))
	for i, p := range pages {
		if bodies[i], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		doc, _, err := c.Clean(Input{Body: bodies[i]})
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
				doc, _, err := c.Clean(Input{Body: bodies[i]})
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
