package crawler

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// linksPage is a section page as news sites write them: site chrome with
// section links, dated article links, links to other hosts (some with
// tracking parameters), protocol-relative and fragment links.
func linksPage() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><nav>`)
	for i := range 40 {
		fmt.Fprintf(&b, `<a href="/section/%d/">Section %d</a>`, i, i)
	}
	b.WriteString(`</nav><main>`)
	for i := range 50 {
		fmt.Fprintf(&b, `<article><a href="/20%02d/%02d/%02d/story-%d.html">Story %d</a></article>`, 20+i%5, 1+i%12, 1+i%28, i, i)
	}
	b.WriteString(`</main><footer>`)
	for i := range 15 {
		fmt.Fprintf(&b, `<a href="https://www.Other-%d.example/path/%d?utm_source=x&b=2&a=1">o</a>`, i%4, i)
	}
	b.WriteString(`<a href="//cdn.example/x.css">c</a><a href="#top">top</a><a href="mailto:a@news.example">m</a><a href="?page=2">next</a>`)
	b.WriteString(`</footer></body></html>`)
	return b.String()
}

// BenchmarkPageLinks measures reading a page's links from its tree and
// turning them into frontier items (normalised, scoped, de-duplicated),
// as handle does for every page it follows.
func BenchmarkPageLinks(b *testing.B) {
	doc, err := html.Parse(strings.NewReader(linksPage()))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts func(*Options)
	}{
		{name: "hosts", opts: func(*Options) {}},
		{name: "deny", opts: func(o *Options) { o.Deny = []*regexp.Regexp{regexp.MustCompile(`/tag/`)} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := Options{Job: "j", Seeds: []string{"https://news.example/"}}
			bc.opts(&opts)
			store, err := OpenBolt(filepath.Join(b.TempDir(), "state.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			c, err := New(opts, store, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var n int
			for b.Loop() {
				items, feeds := c.pageItems(doc, "https://news.example/section/3/", 1)
				n = len(items) + len(feeds)
			}
			if n != 40+50+1+1 {
				b.Fatalf("%d items and feeds, want %d", n, 40+50+1+1)
			}
		})
	}
}
