package cleaner

import (
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// para is one paragraph of extracted text with what the rules need to know
// about its markup.
type para struct {
	text      string
	runes     int          // non-space runes
	linkRunes int          // of which inside <a>
	heading   bool         // inside h1-h6
	listItem  bool         // inside li
	ui        bool         // inside a form, caption, aside, nav or footer: interface text
	fp        uint64       // fingerprint of the normalised text (template.go), when hasFP
	hasFP     bool         // the text has a fingerprint
	site      siteEvidence // how often the site's other pages carry this block
	shape     shape        // its kind and place, for Document.Blocks
}

// splitter cuts an element into paragraphs: one per block element (and per
// <br>-separated line), in document order, whitespace collapsed.
type splitter struct {
	out       []para
	buf       []byte // the paragraph's text so far, reused for the next
	runes     int
	linkRunes int
	linkDepth int
	heading   int
	list      int
	st        structure
	ui        int
}

func paragraphs(root *html.Node) []para {
	if root == nil {
		return nil
	}
	s := &splitter{}
	n := root
	for {
		descend := s.enter(n)
		if descend && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		s.exit(n)
		for n != root && n.NextSibling == nil {
			n = n.Parent
			s.exit(n)
		}
		if n == root {
			break
		}
		n = n.NextSibling
	}
	s.flush()
	return s.out
}

func (s *splitter) enter(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		s.buf = append(s.buf, n.Data...)
		k := nonSpaceRunes(n.Data)
		s.runes += k
		if s.linkDepth > 0 {
			s.linkRunes += k
		}
		return false
	case html.ElementNode:
	default:
		return n.Type == html.DocumentNode
	}
	if invisibleText(n.DataAtom) {
		return false
	}
	switch {
	case n.DataAtom == atom.Br:
		s.flush()
		return false
	case n.DataAtom == atom.A:
		if s.linkDepth == 0 {
			s.st.startLink(n, len(s.buf))
		}
		s.linkDepth++
	case n.DataAtom == atom.Img || n.DataAtom == atom.Input:
		return false
	case isBlock(n.DataAtom):
		s.flush()
		switch n.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			s.heading++
		case atom.Li, atom.Dd, atom.Dt:
			s.list++
		}
		s.st.enter(n)
		if uiElement(n.DataAtom) {
			s.ui++
		}
	}
	return true
}

func (s *splitter) exit(n *html.Node) {
	if n.Type != html.ElementNode || invisibleText(n.DataAtom) {
		return
	}
	switch {
	case n.DataAtom == atom.A:
		if s.linkDepth--; s.linkDepth == 0 {
			s.st.endLink(s.buf)
		}
	case isBlock(n.DataAtom):
		s.flush()
		switch n.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			s.heading--
		case atom.Li, atom.Dd, atom.Dt:
			s.list--
		}
		s.st.exit(n)
		if uiElement(n.DataAtom) {
			s.ui--
		}
	}
}

// uiElement: block elements whose text is interface, not article: forms,
// figures and their captions, asides, navigation, footers, dialogs.
func uiElement(a atom.Atom) bool {
	switch a {
	case atom.Form, atom.Fieldset, atom.Figure, atom.Figcaption, atom.Aside, atom.Nav, atom.Footer, atom.Dialog, atom.Menu:
		return true
	}
	return false
}

func (s *splitter) flush() {
	if s.runes > 0 {
		if t := collapseBytes(s.buf); t != "" {
			s.out = append(s.out, para{text: t, runes: s.runes, linkRunes: s.linkRunes, heading: s.heading > 0, listItem: s.list > 0, ui: s.ui > 0,
				shape: s.st.shape(s.heading > 0, s.list > 0)})
		}
	}
	s.st.flushed()
	s.buf = s.buf[:0]
	s.runes, s.linkRunes = 0, 0
}
