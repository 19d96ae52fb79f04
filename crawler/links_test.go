package crawler

import (
	"bytes"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

func TestPageLinks(t *testing.T) {
	tests := []struct {
		name string
		page string
		url  string
		want []string
	}{
		{
			name: "relative, absolute and area links in page order",
			page: `<p><a href="/a">A</a> <a href="b?x=1#frag">B</a></p><map><area href="https://other.example/c"></map>`,
			url:  "https://news.example/dir/page.html",
			want: []string{"https://news.example/a", "https://news.example/dir/b?x=1", "https://other.example/c"},
		},
		{
			name: "base href wins over the page URL",
			page: `<html><head><base href="https://cdn.example/root/"></head><body><a href="x">x</a></body></html>`,
			url:  "https://news.example/dir/page.html",
			want: []string{"https://cdn.example/root/x"},
		},
		{
			name: "fragment-only links, anchors without href and unparsable hrefs are left out",
			page: `<a href="#top">top</a><a name="n">n</a><a href="http://[::1">bad</a><a href=" /spaced ">s</a>`,
			url:  "https://news.example/",
			want: []string{"https://news.example/spaced"},
		},
		{
			name: "tabs and line breaks inside an href are dropped",
			page: "<a href=\"/multi\n\tline\">m</a>",
			url:  "https://news.example/",
			want: []string{"https://news.example/multiline"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(tt.page))
			if err != nil {
				t.Fatal(err)
			}
			links, _ := pageLinks(doc, tt.url)
			if d := cmp.Diff(tt.want, links); d != "" {
				t.Errorf("pageLinks (-want +got):\n%s", d)
			}
		})
	}
}

func TestPageFeeds(t *testing.T) {
	page := `<html><head>
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate stylesheet" type="text/css" href="/alt.css">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://news.example/atom#x">
<link rel="canonical" href="/canonical">
</head><body><a href="/a">a</a></body></html>`
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	links, feeds := pageLinks(doc, "https://news.example/section/")
	if d := cmp.Diff([]string{"https://news.example/a"}, links); d != "" {
		t.Errorf("links (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"https://news.example/feed.xml", "https://news.example/atom"}, feeds); d != "" {
		t.Errorf("feeds (-want +got):\n%s", d)
	}
}

func TestIsHTML(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		want bool
	}{
		{name: "html header", ct: "text/html; charset=utf-8", want: true},
		{name: "xhtml header", ct: "application/xhtml+xml", want: true},
		{name: "json header", ct: "application/json", body: "<html>", want: false},
		{name: "no header, html bytes", body: "<!doctype html><html><body>x", want: true},
		{name: "no header, text bytes", body: "plain words", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isHTML(tt.ct, []byte(tt.body)); got != tt.want {
				t.Errorf("isHTML(%q, %q) = %v, want %v", tt.ct, tt.body, got, tt.want)
			}
		})
	}
}

// TestPageTreeFromOptionsParse: with Options.Parse set, each page is parsed
// by it once; links come from that tree and the tree goes on in Page.Tree.
func TestPageTreeFromOptionsParse(t *testing.T) {
	s := serveSite(t, "site-depth", nil)
	opts := testOptions(s.URL + "/")
	opts.MaxDepth = 2
	var parsed atomic.Int64
	opts.Parse = func(body []byte, contentType string) (*html.Node, error) {
		parsed.Add(1)
		return html.Parse(bytes.NewReader(body))
	}
	r := crawl(t, opts, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{s.URL + "/", s.URL + "/a.html", s.URL + "/b.html"}
	if diff := cmp.Diff(want, r.urls()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	if n := parsed.Load(); n != int64(len(want)) {
		t.Errorf("Parse called %d times, want once per page (%d)", n, len(want))
	}
	for u, p := range r.pages {
		if p.Tree == nil {
			t.Errorf("%s: no Tree", u)
		}
	}
}

// FuzzPageItems holds the links of pageItems (normalizeLink: normalised
// from the resolved URL in place when its host is plain) to what Normalize
// makes of that URL written out, and the host the scope is checked against
// to the normalised URL's own.
func FuzzPageItems(f *testing.F) {
	bases := []string{"https://news.example/section/3/", "http://News.Example:80/a/b.html?x=1", "https://[::1]:8443/dir/"}
	for _, href := range []string{
		"/section/1/", "2024/01/02/story.html", "../up", "?page=2", "", "#top", "//cdn.example/x.css",
		"HTTP://Other.Example:80/A?utm_source=x&b=2&a=1#f", "https://h.example:443/", "http://h.example:/x",
		"http://user:pw@h.example/", "http://h.example/a%2Fb", "http://h.example/a b", "http://h.example/ü",
		"http://üñí.example/", "http://[fe80::1%25en0]:8080/", "http://h.example/?", "http://h.example?fbclid=1",
		"mailto:a@news.example", "javascript:void(0)", "http:opaque", "https://h.example/a;b?c=%zz", "http://ex%41mple.com/",
		"http://h.example/%2e%2e/x", "ftp://h.example/", "http://[::1]/", "http://1.2.3.4:80/", "HTTPS://H.EXAMPLE",
	} {
		for i := range bases {
			f.Add(i, href)
		}
	}
	f.Fuzz(func(t *testing.T, i int, href string) {
		base, err := url.Parse(bases[(i%len(bases)+len(bases))%len(bases)])
		if err != nil {
			t.Fatal(err)
		}
		u, err := base.Parse(cleanHref(href))
		if err != nil {
			return
		}
		u.Fragment, u.RawFragment = "", ""
		want, wantErr := Normalize(u.String())
		plain := plainHost(u.Host)
		got, host, ok := normalizeLink(u)
		if (wantErr == nil) != ok {
			t.Fatalf("href %q (plain host %v): Normalize of the written-out URL: %v; normalizeLink ok %v", href, plain, wantErr, ok)
		}
		if wantErr != nil {
			return
		}
		if got != want {
			t.Fatalf("href %q (plain host %v): normalizeLink gives %q, Normalize %q", href, plain, got, want)
		}
		if want := hostOf(want); host != want {
			t.Fatalf("href %q (plain host %v): host %q, the normalised URL's is %q", href, plain, host, want)
		}
	})
}
