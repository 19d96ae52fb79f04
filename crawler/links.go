package crawler

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// isHTML says whether a response is a web page to read links from: its
// Content-Type names HTML, or it has none and its bytes look like HTML.
func isHTML(contentType string, body []byte) bool {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	return strings.Contains(strings.ToLower(contentType), "html")
}

// parse turns a page's body into a tree with Options.Parse, or html.Parse.
func (c *Crawler) parse(body []byte, contentType string) (*html.Node, error) {
	if c.opts.Parse != nil {
		return c.opts.Parse(body, contentType)
	}
	return html.Parse(bytes.NewReader(body))
}

// pageLinks returns, in page order, the targets of a page's <a href> and
// <area href>, and the feeds it announces (<link rel="alternate" href> of a
// feed type), resolved against its <base href> or its URL, fragments
// dropped. Links to a fragment of the page itself ("#top") are left out.
func pageLinks(doc *html.Node, pageURL string) (links, feeds []string) {
	eachLink(doc, pageURL, func(u *url.URL, feed bool) {
		if feed {
			feeds = append(feeds, u.String())
		} else {
			links = append(links, u.String())
		}
	})
	return links, feeds
}

// eachLink calls f, in page order, with each link and announced feed of
// pageLinks as a resolved URL, its fragment dropped; f may change it.
func eachLink(doc *html.Node, pageURL string, f func(u *url.URL, feed bool)) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return
	}
	if href, ok := baseHref(doc); ok {
		if b, err := base.Parse(cleanHref(href)); err == nil {
			base = b
		}
	}
	resolve := func(href string) (*url.URL, bool) {
		href = cleanHref(href)
		if strings.HasPrefix(href, "#") {
			return nil, false
		}
		u, err := base.Parse(href)
		if err != nil {
			return nil, false
		}
		u.Fragment, u.RawFragment = "", ""
		return u, true
	}
	for n := doc; n != nil; n = nextNode(n, doc) {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.A, atom.Area:
			if href, ok := attrOf(n, "href"); ok {
				if u, ok := resolve(href); ok {
					f(u, false)
				}
			}
		case atom.Link:
			rel, _ := attrOf(n, "rel")
			typ, _ := attrOf(n, "type")
			if !hasToken(rel, "alternate") || !isFeedType(typ) {
				continue
			}
			if href, ok := attrOf(n, "href"); ok {
				if u, ok := resolve(href); ok {
					f(u, true)
				}
			}
		}
	}
}

// attrOf returns the value of n's attribute key (no namespace).
func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val, true
		}
	}
	return "", false
}

// hasToken reports whether a space-separated list (rel="alternate home")
// holds tok, as CSS's [rel~=tok] does.
func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// baseHref returns the href of the document's first <base href>.
func baseHref(doc *html.Node) (string, bool) {
	for n := doc; n != nil; n = nextNode(n, doc) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Base {
			if href, ok := attrOf(n, "href"); ok {
				return href, true
			}
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			return "", false // <base> belongs in <head>
		}
	}
	return "", false
}

// cleanHref strips what browsers strip from a URL before parsing it:
// leading and trailing spaces and control characters, and tabs and line
// breaks anywhere.
func cleanHref(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	return s
}

// nextNode returns the node after n in document order, stopping at root.
// It does not recurse, so deep nesting cannot exhaust the stack.
func nextNode(n, root *html.Node) *html.Node {
	if n.FirstChild != nil {
		return n.FirstChild
	}
	for n != nil && n != root {
		if n.NextSibling != nil {
			return n.NextSibling
		}
		n = n.Parent
	}
	return nil
}
