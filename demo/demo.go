// Package demo serves an embedded sample news site, made up for the offline
// `winnow demo`: article pages wrapped in the clutter real news sites carry,
// with section pages, robots.txt, a sitemap and an RSS feed.
package demo

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

//go:embed site
var siteFS embed.FS

// Section is one section of the site.
type Section struct {
	Slug, Title, Intro string
}

// Article is one article page.
type Article struct {
	Title, Author, Summary string
	Section, SectionTitle  string
	Layout                 string // standard, premium, portal or liveblog
	Date                   time.Time
	Tags                   []string
	Paragraphs             []string
	Path                   string          // /2006/01/02/slug.html
	Related                []*Article      // other articles of the section
	Offsets                []time.Duration // liveblog: when each entry was posted, after Date
}

var sections = []Section{
	{"local", "Local", "News from Port Alder, the harbour and the islands."},
	{"business", "Business", "Boatyards, fish auctions and the shops of Harbour Street."},
	{"science", "Science", "Research from the sound, the sky and the sea."},
	{"sport", "Sport", "Rowing, football and swimming on the coast."},
}

// Site is the sample news site, an http.Handler. Absolute URLs (canonical
// links, sitemap, feed, robots.txt) use the host each request came to.
type Site struct {
	articles []*Article // newest first
	tmpl     *template.Template
	static   fs.FS
}

// NewSite parses the embedded site.
func NewSite() (*Site, error) {
	tmpl, err := template.ParseFS(siteFS, "site/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("demo site templates: %w", err)
	}
	files, err := fs.Glob(siteFS, "site/articles/*.txt")
	if err != nil {
		return nil, err
	}
	s := &Site{tmpl: tmpl}
	s.static, err = fs.Sub(siteFS, "site/static")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := siteFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		a, err := parseArticle(path.Base(f), b)
		if err != nil {
			return nil, fmt.Errorf("demo article %s: %w", f, err)
		}
		s.articles = append(s.articles, a)
	}
	slices.SortStableFunc(s.articles, func(a, b *Article) int { return b.Date.Compare(a.Date) })
	for _, a := range s.articles {
		for _, b := range s.articles {
			if b != a && b.Section == a.Section {
				a.Related = append(a.Related, b)
			}
		}
		for _, b := range s.articles {
			if len(a.Related) >= 3 {
				break
			}
			if b != a && b.Section != a.Section {
				a.Related = append(a.Related, b)
			}
		}
	}
	return s, nil
}

// Articles returns the site's articles, newest first.
func (s *Site) Articles() []*Article { return s.articles }

// parseArticle reads "key: value" header lines, a blank line, then one
// paragraph per blank-line-separated block.
func parseArticle(name string, b []byte) (*Article, error) {
	a := &Article{}
	head, body, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("no blank line after the header")
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("header line %q: want key: value", sc.Text())
		}
		v = strings.TrimSpace(v)
		switch k {
		case "title":
			a.Title = v
		case "section":
			a.Section = v
		case "author":
			a.Author = v
		case "layout":
			a.Layout = v
		case "summary":
			a.Summary = v
		case "tags":
			for _, t := range strings.Split(v, ",") {
				a.Tags = append(a.Tags, strings.TrimSpace(t))
			}
		case "date":
			d, err := time.Parse("2006-01-02", v)
			if err != nil {
				return nil, err
			}
			a.Date = d.Add(7*time.Hour + 30*time.Minute)
		default:
			return nil, fmt.Errorf("unknown header %q", k)
		}
	}
	for _, p := range strings.Split(string(body), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			a.Paragraphs = append(a.Paragraphs, p)
		}
	}
	for _, sec := range sections {
		if sec.Slug == a.Section {
			a.SectionTitle = sec.Title
		}
	}
	switch {
	case a.Title == "" || a.Author == "" || a.Date.IsZero() || len(a.Paragraphs) < 3:
		return nil, fmt.Errorf("want title, author, date and at least three paragraphs")
	case a.SectionTitle == "":
		return nil, fmt.Errorf("unknown section %q", a.Section)
	case !slices.Contains([]string{"standard", "premium", "portal", "liveblog"}, a.Layout):
		return nil, fmt.Errorf("unknown layout %q", a.Layout)
	}
	slug := strings.TrimSuffix(name, ".txt")
	if _, rest, ok := strings.Cut(slug, "-"); ok {
		slug = rest
	}
	a.Path = a.Date.Format("/2006/01/02/") + slug + ".html"
	for i := range a.Paragraphs {
		a.Offsets = append(a.Offsets, time.Duration(i)*37*time.Minute)
	}
	return a, nil
}

// page is what the templates see.
type page struct {
	Title    string
	Base     string // scheme and host of the request
	Layout   string
	Today    string
	Sections []Section
	Section  *Section
	List     []*Article
	Article  *Article
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	base := "http://" + r.Host
	p := page{Title: "The Harbour Gazette", Base: base, Layout: "index", Today: time.Now().Format("Monday 2 January 2006"), Sections: sections}
	switch {
	case r.URL.Path == "/":
		p.List = s.articles
		s.render(w, "index.html", p)
		return
	case r.URL.Path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "User-agent: *\nDisallow: /search\nDisallow: /admin/\n\nSitemap: %s/sitemap.xml\n", base)
		return
	case r.URL.Path == "/sitemap.xml":
		s.sitemap(w, base)
		return
	case r.URL.Path == "/feed.xml":
		s.feed(w, base)
		return
	case r.URL.Path == "/about.html":
		p.Title = "About us"
		s.render(w, "about.html", p)
		return
	case r.URL.Path == "/login":
		p.Title = "Sign in"
		s.render(w, "login.html", p)
		return
	case strings.HasPrefix(r.URL.Path, "/static/"):
		http.StripPrefix("/static/", http.FileServerFS(s.static)).ServeHTTP(w, r)
		return
	}
	for i := range sections {
		if r.URL.Path == "/"+sections[i].Slug+"/" {
			p.Title, p.Section = sections[i].Title, &sections[i]
			for _, a := range s.articles {
				if a.Section == sections[i].Slug {
					p.List = append(p.List, a)
				}
			}
			s.render(w, "index.html", p)
			return
		}
	}
	for _, a := range s.articles {
		if r.URL.Path == a.Path {
			p.Title, p.Layout, p.Article = a.Title, a.Layout, a
			w.Header().Set("Last-Modified", a.Date.UTC().Format(http.TimeFormat))
			if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !a.Date.After(ims) {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			s.render(w, "article.html", p)
			return
		}
	}
	http.NotFound(w, r)
}

func (s *Site) render(w http.ResponseWriter, name string, p page) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Site) sitemap(w http.ResponseWriter, base string) {
	type u struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	}
	type urlset struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []u      `xml:"url"`
	}
	var set urlset
	for _, a := range s.articles {
		set.URLs = append(set.URLs, u{base + a.Path, a.Date.Format("2006-01-02")})
	}
	writeXML(w, "application/xml", set)
}

func (s *Site) feed(w http.ResponseWriter, base string) {
	type item struct {
		Title       string `xml:"title"`
		Link        string `xml:"link"`
		GUID        string `xml:"guid"`
		PubDate     string `xml:"pubDate"`
		Author      string `xml:"author"`
		Description string `xml:"description"`
	}
	type rss struct {
		XMLName     xml.Name `xml:"rss"`
		Version     string   `xml:"version,attr"`
		Title       string   `xml:"channel>title"`
		Link        string   `xml:"channel>link"`
		Description string   `xml:"channel>description"`
		Language    string   `xml:"channel>language"`
		Items       []item   `xml:"channel>item"`
	}
	feed := rss{Version: "2.0", Title: "The Harbour Gazette", Link: base + "/", Description: "News from Port Alder", Language: "en-gb"}
	for _, a := range s.articles[:min(10, len(s.articles))] {
		feed.Items = append(feed.Items, item{a.Title, base + a.Path, base + a.Path, a.Date.Format(time.RFC1123Z), a.Author, a.Summary})
	}
	writeXML(w, "application/rss+xml", feed)
}

func writeXML(w http.ResponseWriter, ctype string, v any) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype+"; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(b)
	w.Write([]byte("\n"))
}

// JobName is the name of the demo's one job.
const JobName = "harbour-gazette"

// Config returns the YAML configuration of the demo daemon: one job
// crawling the site at siteURL (no trailing slash) every 10 seconds,
// writing to outDir, serving the HTTP endpoints on listen.
func Config(siteURL, outDir, listen string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return fmt.Sprintf(`# Written by winnow demo.
output: {dir: %s, format: txt}
http: {listen: %s}
shutdown_grace: 5s
defaults:
  user_agent: "winnow-demo/1.0"
  parallel: 4
  delay: 50ms
  timeout: 10s
  max_depth: 2
  allow_private: true   # the sample site is on a loopback address
jobs:
  - name: %s
    schedule: "@every 10s"
    seeds: [%s]
    sitemaps: [%s]
    feeds: [%s]
    allow: [%s]
    article: ['/\d{4}/\d{2}/\d{2}/']
`, q(outDir), q(listen), JobName, q(siteURL+"/"), q(siteURL+"/sitemap.xml"), q(siteURL+"/feed.xml"), q("^"+regexp.QuoteMeta(siteURL)+"/"))
}
