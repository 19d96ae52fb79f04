package cleaner

import (
	nurl "net/url"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// chromeTokens maps a word found in an element's id or class (split into
// words at -, _, spaces and camelCase humps) to the structure rule that
// removes it. Whole words only: "share" matches "share-bar" and "shareBar"
// but not "shared-content".
var chromeTokens = map[string]string{
	"cookie": "structure:cookie", "cookies": "structure:cookie", "consent": "structure:cookie", "gdpr": "structure:cookie",
	"cookiebanner": "structure:cookie", "cookieconsent": "structure:cookie", "cookienotice": "structure:cookie",

	"login": "structure:login", "signin": "structure:login", "logon": "structure:login", "register": "structure:login",
	"registration": "structure:login", "signup": "structure:login", "regwall": "structure:login", "loginbox": "structure:login",
	"userlogin": "structure:login", "paywall": "structure:paywall",

	"newsletter": "structure:newsletter", "newsletters": "structure:newsletter", "subscribe": "structure:newsletter",
	"subscription": "structure:newsletter",

	"share": "structure:share", "sharing": "structure:share", "sharebar": "structure:share", "sharethis": "structure:share",
	"addthis": "structure:share", "social": "structure:share", "socials": "structure:share", "socialshare": "structure:share",

	"related": "structure:related", "recommended": "structure:related", "recommendations": "structure:related",
	"recirculation": "structure:related", "outbrain": "structure:related", "taboola": "structure:related",

	"comment": "structure:comments", "comments": "structure:comments", "disqus": "structure:comments", "commentlist": "structure:comments",

	"adblock": "structure:adblock", "adblocker": "structure:adblock",

	"breadcrumb": "structure:breadcrumb", "breadcrumbs": "structure:breadcrumb",

	"nav": "structure:nav", "navbar": "structure:nav", "navigation": "structure:nav", "menu": "structure:nav", "topnav": "structure:nav",

	"footer": "structure:footer", "sidebar": "structure:sidebar", "masthead": "structure:header",

	"trending": "structure:related", "rail": "structure:related", "popular": "structure:related", "mostread": "structure:related",

	"ad": "structure:ad", "ads": "structure:ad", "advert": "structure:ad", "advertisement": "structure:ad", "sponsored": "structure:ad",
	"caption": "structure:caption", "figcaption": "structure:caption",
}

// chromeRoles maps ARIA roles of page chrome to their rule.
var chromeRoles = map[string]string{
	"navigation": "structure:nav", "menu": "structure:nav", "menubar": "structure:nav",
	"contentinfo": "structure:footer", "complementary": "structure:sidebar", "banner": "structure:header",
	"dialog": "structure:dialog", "alertdialog": "structure:dialog", "search": "structure:nav",
}

// structureRules lists every rule precleaning can report.
func structureRules() []string {
	seen := map[string]bool{}
	var out []string
	add := func(r string) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, r := range chromeTokens {
		add(r)
	}
	for _, r := range chromeRoles {
		add(r)
	}
	add("structure:login") // password forms
	return out
}

// words splits an id or class attribute into lower-case words.
func words(s string, dst []string) []string {
	start := -1
	prevLower := false
	for i, r := range s {
		letter := unicode.IsLetter(r) || unicode.IsDigit(r)
		if letter && start >= 0 && prevLower && unicode.IsUpper(r) {
			dst = append(dst, strings.ToLower(s[start:i]))
			start = i
		}
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			dst = append(dst, strings.ToLower(s[start:i]))
			start = -1
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	if start >= 0 {
		dst = append(dst, strings.ToLower(s[start:]))
	}
	return dst
}

// precleaner removes page chrome from the DOM before extraction.
type precleaner struct {
	totalText int       // rendered text of the whole body
	pageURL   *nurl.URL // the page's address, when known
}

// chromeRule says which structure rule, if any, marks n as chrome. buf
// holds the id and class words, reused from one element to the next.
func chromeRule(n *html.Node, buf *[]string) string {
	switch n.DataAtom {
	case atom.Nav:
		return "structure:nav"
	case atom.Aside:
		return "structure:sidebar"
	case atom.Footer:
		return "structure:footer"
	case atom.Dialog:
		return "structure:dialog"
	case atom.Figcaption:
		return "structure:caption"
	case atom.Form:
		if hasPasswordInput(n) {
			return "structure:login"
		}
	}
	if role := attr(n, "role"); role != "" {
		if r, ok := chromeRoles[strings.ToLower(strings.TrimSpace(role))]; ok {
			return r
		}
	}
	*buf = words(attr(n, "id"), (*buf)[:0])
	*buf = words(attr(n, "class"), *buf)
	for _, w := range *buf {
		if r, ok := chromeTokens[w]; ok {
			return r
		}
	}
	return ""
}

func hasPasswordInput(n *html.Node) bool {
	for c := n; c != nil; c = next(c, n, false) {
		if c.Type == html.ElementNode && c.DataAtom == atom.Input && strings.EqualFold(attr(c, "type"), "password") {
			return true
		}
	}
	return false
}

// isArticleMarker reports elements that announce the article itself.
func isArticleMarker(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Article, atom.Main, atom.H1:
		return true
	}
	ip := attr(n, "itemprop")
	return ip == "articleBody" || ip == "articlebody"
}

func containsTag(n *html.Node, a atom.Atom) bool {
	for c := n; c != nil; c = next(c, n, false) {
		if c.Type == html.ElementNode && c.DataAtom == a {
			return true
		}
	}
	return false
}

// isTeaserCard: an <article> that only announces another page, as
// related-story rails and "more posts" grids mark up their cards: a short
// text whose heading links elsewhere, and no article markup of its own.
func (p *precleaner) isTeaserCard(n *html.Node) bool {
	if textLen(n) > 400 {
		return false
	}
	linkedHeading := false
	for c := n.FirstChild; c != nil; {
		skip := false
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.H1:
				return false
			case atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				for a := c; a != nil; a = next(a, c, false) {
					if a.Type == html.ElementNode && a.DataAtom == atom.A {
						if p.linksElsewhere(strings.TrimSpace(attr(a, "href"))) {
							linkedHeading = true
						}
					}
				}
				skip = true
			}
			if ip := attr(c, "itemprop"); ip == "articleBody" || ip == "articlebody" {
				return false
			}
		}
		c = next(c, n, skip)
	}
	return linkedHeading
}

// linksElsewhere: href leads to another page, not to a fragment or a
// permalink of this one (live-blog posts link their headings to
// themselves).
func (p *precleaner) linksElsewhere(href string) bool {
	if href == "" || strings.HasPrefix(href, "#") {
		return false
	}
	if p.pageURL == nil {
		return true
	}
	u, err := nurl.Parse(href)
	if err != nil {
		return false
	}
	u = p.pageURL.ResolveReference(u)
	return u.Host != p.pageURL.Host || strings.TrimSuffix(u.Path, "/") != strings.TrimSuffix(p.pageURL.Path, "/")
}

// containsArticle says whether n is or holds the article's own markup.
func containsArticle(n *html.Node) bool {
	for c := n; c != nil; c = next(c, n, false) {
		if c.Type == html.ElementNode && isArticleMarker(c) {
			return true
		}
	}
	return false
}

// clean walks the body once and detaches chrome elements, recording each
// non-empty one. An element is kept, whatever its class says, when it holds
// the article's markup (<article>, <main>, the <h1>, articleBody) or a large
// share of the page's text: a class word on a wrapper must never take the
// article with it.
func (p *precleaner) clean(body *html.Node, report *Report) {
	if body == nil {
		return
	}
	p.totalText = textLen(body)
	var buf []string
	for n := body.FirstChild; n != nil; {
		if n.Type != html.ElementNode {
			n = next(n, body, false)
			continue
		}
		if n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Template {
			n = next(n, body, true)
			continue
		}
		rule := chromeRule(n, &buf)
		teaser := false
		if rule == "" && n.DataAtom == atom.Article && p.isTeaserCard(n) {
			rule, teaser = "structure:related", true
		}
		if rule == "" || (!teaser && p.protected(n, rule)) {
			n = next(n, body, false)
			continue
		}
		after := next(n, body, true)
		// Report paragraph by paragraph, like the paragraph rules, so
		// --explain and the per-rule counters speak of the same unit.
		for _, para := range paragraphs(n) {
			report.Removed = append(report.Removed, Removal{Rule: rule, Text: para.text})
		}
		n.Parent.RemoveChild(n)
		n = after
	}
}

func (p *precleaner) protected(n *html.Node, rule string) bool {
	if isArticleMarker(n) && n.DataAtom != atom.H1 {
		return true
	}
	// Embedded posts (tweets and the like) sit in "social" or "share"
	// wrappers but are quoted content.
	if rule == "structure:share" && containsTag(n, atom.Blockquote) {
		return true
	}
	if containsArticle(n) {
		return true
	}
	// Class words that also name layout wrappers ("post-content
	// has-sidebar", "article-body ad-free", "entry social-ready"): an
	// element holding several paragraphs of prose is the article in such a
	// wrapper, whatever share of the page it is.
	if wrapperProne(rule) && holdsProse(n) {
		return true
	}
	tl := textLen(n)
	// Chrome is a small part of a page. A "comments" or "sidebar" wrapper
	// holding most of the text is more likely a layout wrapper around the
	// article; leave the choice to readability.
	return (tl > 1000 && tl*10 > p.totalText*4) || (tl >= 200 && tl*10 > p.totalText*6)
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// wrapperProne: structure rules whose class words also occur on the
// wrappers of article bodies. Comment threads, related rails, cookie,
// login and newsletter boxes are not among them: they hold prose of their
// own.
func wrapperProne(rule string) bool {
	switch rule {
	case "structure:ad", "structure:share", "structure:sidebar", "structure:caption", "structure:header", "structure:video":
		return true
	}
	return false
}

// proseParagraphs is how many paragraphs of prose an element must hold
// (proseMinRunes of text in all) to be taken for an article body.
const (
	proseParagraphs = 3
	proseMinRunes   = 600
)

// holdsProse says whether n holds several paragraphs of prose: <p>
// elements whose text is a long sentence or more (formOf).
func holdsProse(n *html.Node) bool {
	count, runes := 0, 0
	for c := n; c != nil; {
		if c.Type == html.ElementNode && c.DataAtom == atom.P {
			if t := textOf(c); formOf(t) == formProse {
				count++
				runes += len([]rune(t))
			}
			c = next(c, n, true)
			continue
		}
		c = next(c, n, false)
	}
	return count >= proseParagraphs && runes >= proseMinRunes
}
