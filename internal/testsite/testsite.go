// Package testsite builds whole news sites for tests from the cleaner's
// golden pages: each golden page's chrome is a site template, and articles
// from the benchmark's ground truth are poured into it, so every page of a
// site has the same chrome around different text.
package testsite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Article is one article to pour into a template.
type Article struct {
	ID         string
	Title      string
	Paragraphs []string
}

// Text is the article's body as a cleaned document holds it.
func (a Article) Text() string { return strings.Join(a.Paragraphs, "\n") }

// Articles returns n articles from a ground-truth.json of the
// article-extraction-benchmark layout, in id order, keeping those of 4 to
// 40 paragraphs that all read as whole sentences of 40 to 1,500 bytes. The
// title is made from the first words of the body. Ground truths with a
// copyright line, which the cleaner removes by design, are left out.
func Articles(groundTruth string, n int) ([]Article, error) {
	raw, err := os.ReadFile(groundTruth)
	if err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	var truth map[string]struct {
		Body string `json:"articleBody"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		return nil, fmt.Errorf("read articles %s: %w", groundTruth, err)
	}
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []Article
	for _, id := range ids {
		var paras []string
		ok := true
		for _, p := range strings.Split(truth[id].Body, "\n") {
			p = strings.Join(strings.Fields(p), " ")
			if p == "" {
				continue
			}
			last, _ := utf8.DecodeLastRuneInString(p)
			if len(p) < 40 || strings.Contains(p, "©") || len(p) > 1500 || !strings.ContainsRune(".”\"?!’", last) {
				ok = false
				break
			}
			paras = append(paras, p)
		}
		if !ok || len(paras) < 4 || len(paras) > 40 {
			continue
		}
		words := strings.Fields(paras[0])
		title := strings.TrimRight(strings.Join(words[:min(8, len(words))], " "), ",.;:")
		out = append(out, Article{ID: id, Title: title, Paragraphs: paras})
		if len(out) == n {
			return out, nil
		}
	}
	return nil, fmt.Errorf("read articles %s: only %d of %d usable", groundTruth, len(out), n)
}

// Template is a golden page with its article text taken out.
type Template struct {
	Name string
	// Chrome lists text that is the site's and never the article's: the
	// golden case's chrome.txt and the lines the template adds to every
	// article. No cleaned document of the site may contain any of them.
	Chrome []string
	page   []byte // the golden page
	title  string // the golden article's title
	body   map[string]bool
}

// Mark is the name the lines a template adds to every article carry,
// written in no language, so no phrase rule can know it.
const Mark = "Qzv Mediaroom"

// LoadTemplate reads a golden case directory (page.html, want.txt,
// chrome.txt), which must be UTF-8.
func LoadTemplate(dir string) (*Template, error) {
	page, err := os.ReadFile(filepath.Join(dir, "page.html"))
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", dir, err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", dir, err)
	}
	chrome, err := os.ReadFile(filepath.Join(dir, "chrome.txt"))
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", dir, err)
	}
	lines := strings.Split(strings.TrimRight(string(want), "\n"), "\n")
	if len(lines) < 5 {
		return nil, fmt.Errorf("load template %s: want.txt has no body", dir)
	}
	t := &Template{Name: filepath.Base(dir), page: page, title: lines[0], body: map[string]bool{}}
	for _, l := range lines[4:] {
		t.body[collapse(l)] = true
	}
	for _, l := range strings.Split(strings.TrimSpace(string(chrome)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			t.Chrome = append(t.Chrome, l)
		}
	}
	t.Chrome = append(t.Chrome, Mark)
	return t, nil
}

// Article renders the template around a. n numbers the article within its
// site: it varies the digits of the lines the template adds ("Ref. 104").
func (t *Template) Article(a Article, n int) ([]byte, error) {
	var nodes []*html.Node
	nodes = append(nodes, elem(atom.P, fmt.Sprintf("Ref. %d/%d — %s", 100+n, 2020+n%7, Mark)))
	for _, p := range a.Paragraphs {
		nodes = append(nodes, elem(atom.P, p))
	}
	nodes = append(nodes, elem(atom.P, fmt.Sprintf("%s · %d readers · since 1998", Mark, 37*n+5)))
	return t.render(a.Title, nodes)
}

// Link is one entry of an index page.
type Link struct{ URL, Title string }

// Index renders the template as a section page listing links.
func (t *Template) Index(title string, links []Link) ([]byte, error) {
	ul := &html.Node{Type: html.ElementNode, Data: "ul", DataAtom: atom.Ul}
	for _, l := range links {
		li := &html.Node{Type: html.ElementNode, Data: "li", DataAtom: atom.Li}
		a := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{{Key: "href", Val: l.URL}}}
		a.AppendChild(&html.Node{Type: html.TextNode, Data: l.Title})
		li.AppendChild(a)
		ul.AppendChild(li)
	}
	return t.render(title, []*html.Node{ul})
}

// render replaces the golden article's paragraphs with nodes (placed where
// the first one was) and its title with title, and drops what would give
// every page the golden page's address (canonical link, og:url, JSON-LD).
func (t *Template) render(title string, nodes []*html.Node) ([]byte, error) {
	root, err := html.Parse(bytes.NewReader(t.page))
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", t.Name, err)
	}
	var drop []*html.Node
	var at *html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.DataAtom == atom.Link && attr(n, "rel") == "canonical",
				n.DataAtom == atom.Meta && strings.HasSuffix(attr(n, "property")+attr(n, "name"), ":url"),
				n.DataAtom == atom.Script && attr(n, "type") == "application/ld+json":
				drop = append(drop, n)
				return
			case isBlock(n.DataAtom) && t.body[collapse(textOf(n))]:
				if at == nil {
					at = n
				} else {
					drop = append(drop, n)
				}
				return
			}
			for i, a := range n.Attr {
				if a.Key == "content" && t.title != "" {
					n.Attr[i].Val = strings.ReplaceAll(a.Val, t.title, title)
				}
			}
		}
		if n.Type == html.TextNode && t.title != "" {
			n.Data = strings.ReplaceAll(n.Data, t.title, title)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	if at == nil {
		return nil, fmt.Errorf("render %s: no paragraph of want.txt found in page.html", t.Name)
	}
	for _, n := range nodes {
		at.Parent.InsertBefore(n, at)
	}
	drop = append(drop, at)
	for _, n := range drop {
		n.Parent.RemoveChild(n)
	}
	var b bytes.Buffer
	if err := html.Render(&b, root); err != nil {
		return nil, fmt.Errorf("render %s: %w", t.Name, err)
	}
	return b.Bytes(), nil
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Li, atom.Blockquote, atom.H2, atom.H3, atom.H4, atom.Div, atom.Section, atom.Article:
		return true
	}
	return false
}

func elem(a atom.Atom, text string) *html.Node {
	n := &html.Node{Type: html.ElementNode, Data: a.String(), DataAtom: a}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: text})
	return n
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
