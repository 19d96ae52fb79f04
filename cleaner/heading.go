package cleaner

import (
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

const (
	headingLines    = 12   // short lines read after the h1
	headingNodes    = 4000 // nodes walked at most
	headingProseMin = 200  // a line this long is the article starting
)

// linesAfterHeading returns the short text lines that follow the page's
// first <h1>, up to where the article's prose starts: where pages put the
// byline and the dateline ("Par Julien Marchand", "17 ноября 2023, 12:40
// Текст: Анна Смирнова", "发布时间：2023年9月28日 来源：…"). Extractors often
// leave these lines out of the article, so they are read from the page
// before extraction. Lines are the text of blocks without block children.
func linesAfterHeading(root *html.Node) []string {
	var h1 *html.Node
	walked := 0
	for n := root; n != nil && walked < headingNodes; n = next(n, root, false) {
		walked++
		if n.Type == html.ElementNode && n.DataAtom == atom.H1 {
			h1 = n
			break
		}
	}
	if h1 == nil {
		return nil
	}
	var out []string
	for n := next(h1, root, true); n != nil && walked < headingNodes && len(out) < headingLines; {
		walked++
		if n.Type != html.ElementNode {
			n = next(n, root, false)
			continue
		}
		if invisibleText(n.DataAtom) {
			n = next(n, root, true)
			continue
		}
		if !isBlock(n.DataAtom) || hasBlockChild(n) {
			n = next(n, root, false)
			continue
		}
		if t := textOf(n); t != "" {
			if k := utf8.RuneCountInString(t); k > headingProseMin || (k > headingProseMin/2 && endsSentence(t)) {
				break
			}
			out = append(out, t)
		}
		n = next(n, root, true)
	}
	return out
}

// plausibleAuthor: a name read from a line under the heading counts when
// the line says so with a by-word ("Par …", "Текст: …"), or when it is two
// or three words on a line of at most two parts. A lone word is a
// dateline's place ("Madrid, 29 de noviembre de 2023"); a line of many
// "·" parts is a metadata strip ("Leipzig · 17.01.2024 · Lesezeit 3
// Minuten").
func plausibleAuthor(line, name string) bool {
	if name == "" {
		return false
	}
	for _, w := range strings.Fields(line) {
		if isByWord(w) {
			return true
		}
	}
	n := len(strings.Fields(name))
	parts := len(strings.FieldsFunc(line, func(r rune) bool { return r == '·' || r == '|' || r == '•' }))
	return n >= 2 && n <= 3 && parts <= 2
}

func hasBlockChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && isBlock(c.DataAtom) {
			return true
		}
	}
	return false
}

// bylineNearHeading reads an author name and a date from the lines after
// the heading, with the same byline and timestamp rules the paragraphs go
// through.
func (rs *ruleSet) bylineNearHeading(lines []string) (author string, date time.Time) {
	for _, l := range lines {
		rule, a := rs.bylineOrStamp(l, false)
		if rule == ruleByline && author == "" && plausibleAuthor(l, a) {
			author = a
		}
		if (rule == ruleByline || rule == ruleSource) && date.IsZero() {
			date = looseDate(l)
		}
	}
	return author, date
}
