package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// The generated site: a front page linking to every section, section pages
// listing their articles, and the articles. Each article is one of the real
// pages (benchmark and golden pages) with its full chrome, its links
// rewritten to point into the site (a fifth to sections, the rest to
// related articles, as a real site's navigation and "related" lists do) and
// its text varied per article, so no two articles are duplicates.
const (
	perSection = 50
	slotMark   = "\x00"
)

// template is one real page cut at its variable places: the pieces between
// them are fixed, the slots between the pieces filled per article.
type template struct {
	pieces []string // len(pieces) == len(slots)+1
	slots  []slot
	words  []string // the words slots of kind slotWord draw from
}

type slotKind uint8

const (
	slotWord  slotKind = iota // one of the page's own words
	slotLink                  // an in-site link
	slotSelf                  // the article's own URL (canonical, og:url)
	slotTitle                 // the article's number in its title and heading
)

type slot struct {
	kind slotKind
	n    int // index among the page's links, or among its word slots
}

// site serves a generated site of n articles and counts the pages served.
type site struct {
	n         int
	sections  int
	templates []*template
	titles    []string // per template: a short headline for section lists
	served    atomic.Int64
}

// loadTemplates reads the benchmark pages (html/*.html.gz) and the golden
// pages (*/page.html) and cuts each into a template.
func loadTemplates(benchDir, goldenDir string) ([]*template, []string, error) {
	var files []string
	gz, err := filepath.Glob(filepath.Join(benchDir, "html", "*.html.gz"))
	if err != nil {
		return nil, nil, err
	}
	files = append(files, gz...)
	golden, err := filepath.Glob(filepath.Join(goldenDir, "*", "page.html"))
	if err != nil {
		return nil, nil, err
	}
	files = append(files, golden...)
	slices.Sort(files)
	var tpls []*template
	var titles []string
	for _, f := range files {
		raw, err := readPage(f)
		if err != nil {
			return nil, nil, err
		}
		t, title, err := cut(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("template %s: %w", f, err)
		}
		tpls = append(tpls, t)
		titles = append(titles, title)
	}
	if len(tpls) == 0 {
		return nil, nil, fmt.Errorf("no pages under %s or %s", benchDir, goldenDir)
	}
	return tpls, titles, nil
}

// readPage reads a page and converts it to UTF-8 (the site serves UTF-8).
func readPage(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if utf8.Valid(raw) {
		return raw, nil
	}
	enc, _, _ := charset.DetermineEncoding(raw, "text/html")
	out, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return raw, nil
	}
	return out, nil
}

// cut parses a page and marks its slots: every link of the body becomes a
// link slot; canonical and og:url the article's own URL; in the body's
// text every fifth word (or four-letter group, in scripts written without
// spaces) a word slot; the <title> and <h1> get the article's number.
func cut(raw []byte) (*template, string, error) {
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, "", err
	}
	t := &template{}
	var slots []slot
	links, words := 0, 0
	title := ""
	mark := func(s slot) string {
		slots = append(slots, s)
		return slotMark
	}
	var walk func(n *html.Node, inBody, skip bool)
	walk = func(n *html.Node, inBody, skip bool) {
		switch n.Type {
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Body:
				inBody = true
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				skip = true
			case atom.A, atom.Area:
				for i, a := range n.Attr {
					if a.Key == "href" && inBody {
						n.Attr[i].Val = mark(slot{kind: slotLink, n: links})
						links++
					}
				}
			case atom.Link:
				if attr(n, "rel") == "canonical" {
					setAttr(n, "href", mark(slot{kind: slotSelf}))
				}
			case atom.Meta:
				if attr(n, "property") == "og:url" {
					setAttr(n, "content", mark(slot{kind: slotSelf}))
				}
			case atom.Title, atom.H1:
				if n.FirstChild != nil && n.FirstChild.Type == html.TextNode && strings.TrimSpace(n.FirstChild.Data) != "" {
					if title == "" {
						title = strings.TrimSpace(n.FirstChild.Data)
					}
					n.FirstChild.Data = n.FirstChild.Data + " (" + mark(slot{kind: slotTitle}) + ")"
					return
				}
			}
		case html.TextNode:
			if inBody && !skip {
				n.Data = varyText(n.Data, &t.words, func() string {
					s := mark(slot{kind: slotWord, n: words})
					words++
					return s
				})
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inBody, skip)
		}
	}
	strip(doc)
	walk(doc, false, false)
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		return nil, "", err
	}
	t.pieces = strings.Split(b.String(), slotMark)
	t.slots = slots
	if len(t.pieces) != len(t.slots)+1 {
		return nil, "", fmt.Errorf("%d pieces for %d slots: the page has NUL characters", len(t.pieces), len(t.slots))
	}
	if len(t.words) == 0 {
		t.words = []string{"news"}
	}
	if title == "" {
		title = "Untitled"
	}
	return t, title, nil
}

// varyText replaces every fifth token of s by a slot, collecting the
// replaced tokens as the page's word pool. Tokens are words where the text
// has spaces, groups of four letters where it has none (Chinese, Japanese).
func varyText(s string, pool *[]string, slotFor func() string) string {
	if strings.TrimSpace(s) == "" {
		return s
	}
	fields := strings.Fields(s)
	if len(fields) >= 5 {
		var b strings.Builder
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i%5 == 2 {
				*pool = append(*pool, f)
				b.WriteString(slotFor())
				continue
			}
			b.WriteString(f)
		}
		return b.String()
	}
	if utf8.RuneCountInString(s) < 20 {
		return s
	}
	runes := []rune(s)
	var b strings.Builder
	for i := 0; i < len(runes); i += 4 {
		chunk := string(runes[i:min(i+4, len(runes))])
		if (i/4)%5 == 2 && len(runes)-i >= 4 {
			*pool = append(*pool, chunk)
			b.WriteString(slotFor())
			continue
		}
		b.WriteString(chunk)
	}
	return b.String()
}

// strip removes what makes saved pages heavy without being part of what a
// crawler or cleaner reads: inline scripts (JSON-LD metadata stays), styles,
// SVG drawings and comments.
func strip(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		drop := c.Type == html.CommentNode
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.Script:
				drop = attr(c, "type") != "application/ld+json"
			case atom.Style, atom.Svg:
				drop = true
			}
		}
		if drop {
			n.RemoveChild(c)
		} else {
			strip(c)
		}
		c = next
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return strings.ToLower(strings.TrimSpace(a.Val))
		}
	}
	return ""
}

func setAttr(n *html.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Key == key {
			n.Attr[i].Val = val
			return
		}
	}
}

func newSite(n int, tpls []*template, titles []string) *site {
	return &site{n: n, sections: (n + perSection - 1) / perSection, templates: tpls, titles: titles}
}

// articlePath is article i's path: dated, as news sites' are.
func articlePath(i int) string {
	return fmt.Sprintf("/%04d/%02d/%02d/story-%d.html", 2020+i%5, 1+i%12, 1+i%28, i)
}

func sectionPath(s int) string { return "/section/" + strconv.Itoa(s) + "/" }

// mix is a deterministic hash of an article and a slot.
func mix(a, b int) uint32 {
	h := fnv.New32a()
	var buf [16]byte
	for k := range 8 {
		buf[k] = byte(a >> (8 * k))
		buf[8+k] = byte(b >> (8 * k))
	}
	h.Write(buf[:])
	return h.Sum32()
}

// article renders article i.
func (s *site) article(w io.Writer, i int) {
	t := s.templates[i%len(s.templates)]
	bw := &errWriter{w: w}
	for k, sl := range t.slots {
		bw.str(t.pieces[k])
		switch sl.kind {
		case slotLink:
			if sl.n%5 == 0 {
				bw.str(sectionPath((i/perSection + sl.n/5) % s.sections))
			} else {
				bw.str(articlePath(int(mix(i, sl.n) % uint32(s.n))))
			}
		case slotSelf:
			bw.str(articlePath(i))
		case slotTitle:
			bw.str("no. " + strconv.Itoa(i))
		case slotWord:
			bw.str(html.EscapeString(t.words[mix(i, sl.n)%uint32(len(t.words))]))
		}
	}
	bw.str(t.pieces[len(t.pieces)-1])
}

// section renders section p: a list of its articles, with the site's
// navigation to every section.
func (s *site) section(w io.Writer, p int) {
	bw := &errWriter{w: w}
	bw.str(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Section ` + strconv.Itoa(p) + ` | Generated News</title></head><body><header><nav><a href="/">Home</a>`)
	for q := range s.sections {
		bw.str(` <a href="` + sectionPath(q) + `">Section ` + strconv.Itoa(q) + `</a>`)
	}
	bw.str(`</nav></header><main><h1>Section ` + strconv.Itoa(p) + `</h1><ul>`)
	for i := p * perSection; i < min(s.n, (p+1)*perSection); i++ {
		title := html.EscapeString(s.titles[i%len(s.titles)])
		bw.str(`<li><article><h2><a href="` + articlePath(i) + `">` + title + ` (no. ` + strconv.Itoa(i) + `)</a></h2><p>` + title + `: the story in brief.</p></article></li>`)
	}
	bw.str(`</ul></main><footer><a href="/about/">About</a> <a href="/private/admin">Admin</a></footer></body></html>`)
}

func (s *site) front(w io.Writer) {
	bw := &errWriter{w: w}
	bw.str(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Generated News</title></head><body><h1>Generated News</h1><ul>`)
	for q := range s.sections {
		bw.str(`<li><a href="` + sectionPath(q) + `">Section ` + strconv.Itoa(q) + `</a></li>`)
	}
	bw.str(`</ul></body></html>`)
}

// ServeHTTP serves the site; every response but robots.txt is counted.
func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/robots.txt" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
		return
	}
	s.served.Add(1)
	var buf bytes.Buffer
	switch {
	case p == "/":
		s.front(&buf)
	case strings.HasPrefix(p, "/section/"):
		q, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(p, "/section/"), "/"))
		if err != nil || q < 0 || q >= s.sections {
			http.NotFound(w, r)
			return
		}
		s.section(&buf, q)
	default:
		_, name, _ := strings.Cut(p[1:], "/story-")
		i, err := strconv.Atoi(strings.TrimSuffix(name, ".html"))
		if err != nil || i < 0 || i >= s.n || articlePath(i) != p {
			http.NotFound(w, r)
			return
		}
		s.article(&buf, i)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// serve starts the site on a loopback port and returns its base URL.
func (s *site) serve() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { srv.Close() }, nil
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) str(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}
