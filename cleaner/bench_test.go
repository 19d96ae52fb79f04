package cleaner

import (
	"compress/gzip"
	"encoding/json"
	"io"
	nurl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// benchmarkDir is the article-extraction-benchmark copy the repository
// carries, relative to this package.
const benchmarkDir = "../testdata/article-extraction-benchmark"

type benchPage struct {
	id   string
	url  string
	body []byte
}

func loadBenchmark(tb testing.TB) []benchPage {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(benchmarkDir, "ground-truth.json"))
	if err != nil {
		tb.Fatalf("benchmark dataset missing: %v", err)
	}
	var truth map[string]struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		tb.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(benchmarkDir, "html", "*.html.gz"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no pages under %s/html: %v", benchmarkDir, err)
	}
	pages := make([]benchPage, 0, len(files))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			tb.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			tb.Fatal(err)
		}
		id := strings.SplitN(filepath.Base(f), ".", 2)[0]
		pages = append(pages, benchPage{id: id, url: truth[id].URL, body: body})
	}
	return pages
}

// BenchmarkClean: the whole cleaner (decode, parse, pre-clean,
// readability, paragraph rules, metadata) per benchmark page.
func BenchmarkClean(b *testing.B) {
	pages := loadBenchmark(b)
	c := New(Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		_, _, _ = c.Clean(Input{Body: p.body, URL: p.url, ContentType: "text/html; charset=utf-8"})
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}

// BenchmarkReadability: plain go-readability on the same bytes, the
// baseline the cleaner's cost is measured against.
func BenchmarkReadability(b *testing.B) {
	pages := loadBenchmark(b)
	urls := make([]*nurl.URL, len(pages))
	for i, p := range pages {
		urls[i], _ = nurl.Parse(p.url)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(pages)
		_, _ = plainReadability(pages[k].body, urls[k])
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}

// TestBenchmarkPagesClean runs the cleaner over every benchmark page: none
// may fail with anything but ErrNotArticle, and nearly all must yield text.
func TestBenchmarkPagesClean(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	pages := loadBenchmark(t)
	c := New(Options{})
	empty := 0
	for _, p := range pages {
		doc, _, err := c.Clean(Input{Body: p.body, URL: p.url})
		if err != nil {
			t.Errorf("%s: %v", p.id, err)
			continue
		}
		if len(doc.Paragraphs) == 0 {
			empty++
		}
	}
	if empty > 0 {
		t.Errorf("%d pages gave no paragraphs", empty)
	}
}

// BenchmarkCleanTemplate: what learning the site's template costs the
// cleaner. "off" switches it off (no fingerprints, no evidence); "on"
// fingerprints every block and asks for the evidence of a site made of all
// the benchmark's pages (an in-memory store, the lookup itself is
// measured in the state stores' benchmarks).
func BenchmarkCleanTemplate(b *testing.B) {
	pages := loadBenchmark(b)
	var site SiteMemory
	for _, p := range pages {
		_, rep, _ := New(Options{}).Clean(Input{Body: p.body, URL: p.url})
		site.Record("site", p.id, rep.Fingerprints, true)
	}
	for _, tc := range []struct {
		name string
		off  bool
	}{{"off", true}, {"on", false}} {
		b.Run(tc.name, func(b *testing.B) {
			c := New(Options{Off: Ablation{Template: tc.off}})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := pages[i%len(pages)]
				in := Input{Body: p.body, URL: p.url, ContentType: "text/html; charset=utf-8"}
				if !tc.off {
					in.Template = site.Evidence("site", p.id)
				}
				_, _, _ = c.Clean(in)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

// BenchmarkTemplateFingerprints: the template's own work on a parsed
// page, the part of BenchmarkCleanTemplate/on that /off does not do:
// cutting the whole page into blocks, fingerprinting them and asking for
// their counts (an in-memory store).
func BenchmarkTemplateFingerprints(b *testing.B) {
	pages := loadBenchmark(b)
	roots := make([]*html.Node, len(pages))
	var site SiteMemory
	for i, p := range pages {
		root, err := parseHTML(decode(p.body, "").text)
		if err != nil {
			b.Fatal(err)
		}
		roots[i] = root
		site.Record("site", p.id, pageFingerprints(nil, paragraphs(body(root))), true)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(pages)
		blocks := paragraphs(body(roots[k]))
		fps := pageFingerprints(nil, blocks)
		annotate(blocks, fps, site.Evidence("site", pages[k].id).Counts(fps))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}
