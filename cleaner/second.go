package cleaner

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The second opinion: readability scores paragraphs and keeps the best
// block with its siblings, so it can lose a lead, intro or standfirst that
// sits outside that block (an <article>'s header before its body <div>, as
// magazine features and WordPress themes lay them out). A second,
// independent reading in the spirit of trafilatura looks for the element
// the page itself marks as the article body (itemprop=articleBody, the
// usual body class names, <article>, <main>) and reads its paragraphs, on
// the same pre-cleaned tree and before readability mutates it. The two
// readings are combined block by block: every block readability keeps
// stays, and prose the marked body has just before readability's first
// block is put back as the lost lead. A dek that is the page's own
// description is left out, as articleBody leaves it out.
//
// go-trafilatura itself was measured in this place and left out: linking it
// costs every process about 1.2 s and 88 MB of package init (its date
// parser), its reading costs more than the whole cleaner per page, and on
// the benchmark's dev half it lowered F1.

const (
	// secondMinRunes: a marked body with less text outside links than this
	// is no opinion at all (a teaser card, an empty <main>).
	secondMinRunes = 200
	// leadMax: at most this many lead paragraphs are taken over.
	leadMax = 3
	// leadMinRunes: a lead paragraph is prose of at least this many runes.
	leadMinRunes = 60
)

// bodyClassWords are id/class tokens sites use for the element holding the
// article's text (trafilatura's BODY_XPATH names, normalised).
var bodyClassWords = []string{
	"article-body", "articlebody", "article__body", "article-content", "article__content", "articlecontent",
	"story-body", "storybody", "story-content", "entry-content", "post-content", "post-body", "postbody",
	"post-entry", "single-content", "content-body", "body-text", "article-text", "td-post-content",
	"c-article-body", "rich-text",
}

// secondReading returns the paragraphs of the element the page marks as its
// article body, or nil when it marks none with enough text. It only reads
// the tree.
func secondReading(body *html.Node) []para {
	if body == nil {
		return nil
	}
	// Tiers in trafilatura's order of trust: an explicit body mark, then
	// <article>, then <main> or role=main. Within a tier the element with
	// the most text outside links wins.
	var best [3]*html.Node
	var bestRunes [3]int
	for n := body; n != nil; {
		skip := false
		if n.Type == html.ElementNode {
			if invisibleText(n.DataAtom) {
				skip = true
			} else if tier := bodyTier(n); tier >= 0 {
				if k := ownTextRunes(n); k > bestRunes[tier] {
					best[tier], bestRunes[tier] = n, k
				}
			}
		}
		n = next(n, body, skip)
	}
	for tier, n := range best {
		if n == nil || bestRunes[tier] < secondMinRunes {
			continue
		}
		// A body mark inside an <article> leaves the article's header
		// (the standfirst, the lead) outside: read the whole article.
		for a := n.Parent; tier == 0 && a != nil && a != body; a = a.Parent {
			if a.Type == html.ElementNode && a.DataAtom == atom.Article {
				n = a
				break
			}
		}
		return withoutFigures(n, paragraphs(n))
	}
	return nil
}

// withoutFigures drops the paragraphs of figures and their captions (a
// caption before the body reads like a lead but is not one) and of elements
// marked as the article's description: a dek is the page's summary, which
// articleBody leaves out.
func withoutFigures(root *html.Node, paras []para) []para {
	skip := map[string]bool{}
	for n := root; n != nil; {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Figure || n.DataAtom == atom.Figcaption || isDescription(n)) {
			for _, p := range paragraphs(n) {
				skip[p.text] = true
			}
			n = next(n, root, true)
			continue
		}
		n = next(n, root, false)
	}
	if len(skip) == 0 {
		return paras
	}
	out := paras[:0:0]
	for _, p := range paras {
		if !skip[p.text] {
			out = append(out, p)
		}
	}
	return out
}

func isDescription(n *html.Node) bool {
	for _, v := range strings.Fields(strings.ToLower(attr(n, "itemprop"))) {
		if v == "description" || v == "alternativeheadline" {
			return true
		}
	}
	return false
}

// pageDescriptions are the normalised summaries a page's <meta> tags give
// (description, og:description, twitter:description).
func pageDescriptions(root *html.Node) []string {
	var out []string
	for n := root; n != nil; {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Body:
				n = next(n, root, true)
				continue
			case atom.Meta:
				key := strings.ToLower(firstNonEmpty(attr(n, "name"), attr(n, "property")))
				if key == "description" || key == "og:description" || key == "twitter:description" {
					if k := normKey(attr(n, "content")); k != "" {
						out = append(out, k)
					}
				}
			}
		}
		n = next(n, root, false)
	}
	return out
}

// isDek: a paragraph whose text is the page's own summary, or starts with
// it (summaries are often cut short).
func isDek(p para, descriptions []string) bool {
	k := normKey(p.text)
	for _, d := range descriptions {
		if k == d || (len(d) >= 40 && strings.HasPrefix(k, strings.TrimSuffix(d, " "))) {
			return true
		}
	}
	return false
}

// bodyTier is the trust tier of an element as an article body, or -1.
func bodyTier(n *html.Node) int {
	if ip := strings.ToLower(attr(n, "itemprop")); ip == "articlebody" {
		return 0
	}
	for _, key := range []string{"class", "id"} {
		v := strings.ToLower(attr(n, key))
		if v == "" {
			continue
		}
		for _, tok := range strings.Fields(v) {
			for _, w := range bodyClassWords {
				if tok == w {
					return 0
				}
			}
		}
	}
	switch {
	case n.DataAtom == atom.Article:
		return 1
	case n.DataAtom == atom.Main, attr(n, "role") == "main":
		return 2
	}
	return -1
}

// ownTextRunes counts the non-space runes under n outside links and
// invisible elements, without building any text.
func ownTextRunes(n *html.Node) int {
	total := 0
	for c := n; c != nil; {
		skip := false
		switch c.Type {
		case html.TextNode:
			total += nonSpaceRunes(c.Data)
		case html.ElementNode:
			skip = c != n && (invisibleText(c.DataAtom) || c.DataAtom == atom.A)
		}
		c = next(c, n, skip)
	}
	return total
}

// secondOpinion combines readability's paragraphs with the second reading.
// It returns the paragraphs to filter and what it did: "" (readability's
// reading stands) or "lead" (lost lead paragraphs put back).
func secondOpinion(first, second []para, descriptions []string) ([]para, string) {
	if len(second) == 0 {
		return first, ""
	}
	firstKeys := make(map[string]bool, len(first))
	for _, p := range first {
		firstKeys[normKey(p.text)] = true
	}
	anchor := -1 // the first paragraph of the second reading readability kept
	for i, p := range second {
		if firstKeys[normKey(p.text)] {
			anchor = i
			break
		}
	}
	if anchor < 0 {
		// Disjoint readings: readability chose another block. Taking the
		// marked body then was tried and left out: it never fired on the
		// benchmark, and with go-trafilatura's reading in its place it
		// replaced a right block with a wrong one.
		return first, ""
	}
	// Lead paragraphs: prose readability lost right before the anchor,
	// up to the heading. Short lines between them (a byline, a date, a
	// kicker) are passed over and left out; anything else ends the lead.
	var lead []para
	for i, scanned := anchor-1, 0; i >= 0 && len(lead) < leadMax && scanned < leadMax+3; i, scanned = i-1, scanned+1 {
		p := second[i]
		if p.heading || firstKeys[normKey(p.text)] {
			break
		}
		if isDek(p, descriptions) {
			continue
		}
		if isLeadProse(p) {
			lead = append([]para{p}, lead...)
			continue
		}
		if utf8.RuneCountInString(p.text) >= leadMinRunes {
			break
		}
	}
	if len(lead) == 0 {
		return first, ""
	}
	// Insert the lead before readability's copy of the anchor paragraph.
	at := 0
	key := normKey(second[anchor].text)
	for i, p := range first {
		if normKey(p.text) == key {
			at = i
			break
		}
	}
	out := make([]para, 0, len(first)+len(lead))
	out = append(out, first[:at]...)
	out = append(out, lead...)
	out = append(out, first[at:]...)
	return out, "lead"
}

// isLeadProse: a paragraph that reads as a lead or standfirst: not a
// heading or list item, mostly outside links, long enough and ending like
// a sentence.
func isLeadProse(p para) bool {
	if p.heading || p.listItem || p.linkRunes*4 > p.runes {
		return false
	}
	return utf8.RuneCountInString(p.text) >= leadMinRunes && endsSentence(p.text)
}
