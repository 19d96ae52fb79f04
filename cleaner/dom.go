package cleaner

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The DOM helpers below never recurse, so a pathological nesting depth
// cannot exhaust the stack.

// next returns the node after n in document order, skipping n's subtree
// when skipChildren is set, and stopping at root.
func next(n, root *html.Node, skipChildren bool) *html.Node {
	if !skipChildren && n.FirstChild != nil {
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

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return true
		}
	}
	return false
}

// invisibleText says whether text under this element is never rendered.
func invisibleText(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Math, atom.Iframe, atom.Object, atom.Head, atom.Title, atom.Select, atom.Option, atom.Textarea, atom.Button:
		return true
	}
	return false
}

// textOf returns the rendered text of n with whitespace collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	for c := n; c != nil; {
		skip := false
		switch c.Type {
		case html.TextNode:
			b.WriteString(c.Data)
		case html.ElementNode:
			if c != n && invisibleText(c.DataAtom) {
				skip = true
			} else if c.DataAtom == atom.Br || isBlock(c.DataAtom) {
				b.WriteByte(' ')
			}
		}
		c = next(c, n, skip)
	}
	return collapse(b.String())
}

// textLen counts the non-space runes rendered under n, cheaply.
func textLen(n *html.Node) int {
	total := 0
	for c := n; c != nil; {
		skip := false
		switch c.Type {
		case html.TextNode:
			total += nonSpaceRunes(c.Data)
		case html.ElementNode:
			skip = c != n && invisibleText(c.DataAtom)
		}
		c = next(c, n, skip)
	}
	return total
}

// nonSpaceRunes counts the runes of s that are not white space (invalid
// bytes count one each, as ranging over s sees them).
func nonSpaceRunes(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c != ' ' && (c < '\t' || c > '\r') {
				n++
			}
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// formatChar reports the invisible format characters collapse drops: soft
// hyphen, zero-width space, non-joiner and joiner, word joiner and BOM.
func formatChar(r rune) bool {
	switch r {
	case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return false
}

// collapse folds runs of white space into one space, trims the ends and
// drops invisible format characters (soft hyphen, zero-width space, BOM).
func collapse(s string) string {
	if collapsed(s) {
		return s
	}
	return fold(s)
}

// collapseBytes is collapse(string(p)) in one allocation. It reads p
// through a string view (never kept: the result is a copy either way).
func collapseBytes(p []byte) string {
	v := unsafe.String(unsafe.SliceData(p), len(p))
	if collapsed(v) {
		return string(p)
	}
	return fold(v)
}

// fold is collapse's work for text that is not collapsed already: a new
// string.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case formatChar(r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// collapsed says whether collapse would return s unchanged: no space at
// either end, no white space but single ' ' between words, no format
// character to drop and no invalid UTF-8 (which collapse turns into U+FFFD).
func collapsed(s string) bool {
	space := true // at the start, a space is one too many
	for _, r := range s {
		switch {
		case r == ' ':
			if space {
				return false
			}
			space = true
			continue
		case r < utf8.RuneSelf:
			if r < ' ' && unicode.IsSpace(r) {
				return false
			}
		case r == utf8.RuneError || formatChar(r) || unicode.IsSpace(r):
			return false
		}
		space = false
	}
	return !space || s == ""
}

// isBlock reports the elements that start a new paragraph.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Header, atom.Footer, atom.Aside, atom.Nav,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.Blockquote, atom.Pre, atom.Table, atom.Thead, atom.Tbody, atom.Tfoot, atom.Tr, atom.Td, atom.Th, atom.Caption,
		atom.Figure, atom.Figcaption, atom.Form, atom.Fieldset, atom.Hr, atom.Address, atom.Details, atom.Summary,
		atom.Center, atom.Body, atom.Html, atom.Dialog, atom.Menu:
		return true
	}
	return false
}

// depth returns the maximum element nesting depth under root, stopping
// early once limit is exceeded.
func depth(root *html.Node, limit int) int {
	max, d := 0, 0
	n := root
	for n != nil {
		if n.FirstChild != nil {
			n = n.FirstChild
			d++
			if d > max {
				max = d
				if max > limit {
					return max
				}
			}
			continue
		}
		for n != nil && n != root && n.NextSibling == nil {
			n = n.Parent
			d--
		}
		if n == nil || n == root {
			break
		}
		n = n.NextSibling
	}
	return max
}
