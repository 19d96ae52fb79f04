package cleaner

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// BlockKind says what a kept paragraph was in the page's markup, so that
// structured formats (Markdown) are written without parsing the page again.
type BlockKind uint8

// Block kinds. When markup nests (a list inside a quote, a paragraph in a
// table cell), the first that applies in this order wins: heading, table
// cell, list item, quote, paragraph.
const (
	Paragraph BlockKind = iota
	Heading
	ListItem
	Quote
	TableCell
)

// String is the kind's name: paragraph, heading, list_item, quote or
// table_cell.
func (k BlockKind) String() string {
	switch k {
	case Heading:
		return "heading"
	case ListItem:
		return "list_item"
	case Quote:
		return "quote"
	case TableCell:
		return "table_cell"
	}
	return "paragraph"
}

// MarshalText writes the kind's name, so Blocks read well as JSON.
func (k BlockKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name; an unknown name is a paragraph.
func (k *BlockKind) UnmarshalText(b []byte) error {
	*k = Paragraph
	for _, c := range []BlockKind{Heading, ListItem, Quote, TableCell} {
		if c.String() == string(b) {
			*k = c
		}
	}
	return nil
}

// Block is one kept paragraph with its place in the article's structure.
// Document.Blocks[i] describes Document.Paragraphs[i], and its Text is that
// paragraph.
type Block struct {
	Kind BlockKind
	Text string
	// Level: a heading's level (1-6); a list item's nesting depth (1 for
	// an item of a top-level list).
	Level int `json:",omitempty"`
	// Ordered: a list item of an <ol>.
	Ordered bool `json:",omitempty"`
	// Table, Row, Col place a table cell: the article's tables, rows and
	// columns are numbered from 0 in page order. Header: a <th> cell.
	Table  int  `json:",omitempty"`
	Row    int  `json:",omitempty"`
	Col    int  `json:",omitempty"`
	Header bool `json:",omitempty"`
	// Links are the block's links with an address, in order: each Text
	// occurs in the block's Text, after the previous link's.
	Links []Link `json:",omitempty"`
}

// Link is a link inside a block: its text as it reads in the block and the
// address, resolved against the page's URL.
type Link struct {
	Text string
	URL  string
}

// keptBlocks returns the Blocks of the kept paragraphs: kept is paras'
// texts with some left out, in order, so each kept text is matched with the
// next para holding the same text. A text not found (a rule rewrote it) is a
// plain paragraph.
func keptBlocks(paras []para, kept []string) []Block {
	if len(kept) == 0 {
		return nil
	}
	out := make([]Block, len(kept))
	j := 0
	for i, text := range kept {
		k := j
		for k < len(paras) && paras[k].text != text {
			k++
		}
		if k == len(paras) {
			out[i] = Block{Kind: Paragraph, Text: text}
			continue
		}
		out[i] = paras[k].shape.block(text)
		j = k + 1
	}
	return out
}

// structure follows the markup around the splitter's current paragraph:
// heading level, enclosing lists, quotes and table cells, and the links
// read so far. The splitter calls enter and exit for block elements,
// startLink and endLink for outermost <a> elements, and flushed after each
// paragraph.
type structure struct {
	level  int    // of the innermost open heading
	lists  []bool // open <ul>/<ol>, innermost last: ordered?
	quote  int    // open <blockquote>
	tables []tablePos
	nTable int // tables opened so far
	cell   int // open <td>/<th>
	header bool

	links     []Link
	href      string // of the open link, "" when none is captured
	linkStart int    // where its text starts in the splitter's buffer
}

type tablePos struct{ idx, row, col int }

func (s *structure) enter(n *html.Node) {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		s.level = int(n.Data[1] - '0')
	case atom.Ul, atom.Menu:
		s.lists = append(s.lists, false)
	case atom.Ol:
		s.lists = append(s.lists, true)
	case atom.Blockquote:
		s.quote++
	case atom.Table:
		s.tables = append(s.tables, tablePos{idx: s.nTable, row: -1, col: -1})
		s.nTable++
	case atom.Tr:
		if t := s.table(); t != nil {
			t.row++
			t.col = -1
		}
	case atom.Td, atom.Th:
		if t := s.table(); t != nil {
			t.col++
		}
		s.cell++
		s.header = n.DataAtom == atom.Th
	}
}

func (s *structure) exit(n *html.Node) {
	switch n.DataAtom {
	case atom.Ul, atom.Menu, atom.Ol:
		if len(s.lists) > 0 {
			s.lists = s.lists[:len(s.lists)-1]
		}
	case atom.Blockquote:
		s.quote--
	case atom.Table:
		if len(s.tables) > 0 {
			s.tables = s.tables[:len(s.tables)-1]
		}
	case atom.Td, atom.Th:
		s.cell--
	}
}

func (s *structure) table() *tablePos {
	if len(s.tables) == 0 {
		return nil
	}
	return &s.tables[len(s.tables)-1]
}

// shape is a Block without its text, kept small: every paragraph the
// splitter cuts carries one.
type shape struct {
	kind            BlockKind
	ordered, header bool
	level           int32
	table, row, col int32
	links           []Link
}

func (sh shape) block(text string) Block {
	return Block{Kind: sh.kind, Text: text, Level: int(sh.level), Ordered: sh.ordered,
		Table: int(sh.table), Row: int(sh.row), Col: int(sh.col), Header: sh.header, Links: sh.links}
}

// shape describes the paragraph being flushed.
func (s *structure) shape(heading, listItem bool) shape {
	sh := shape{links: s.links}
	s.links = nil
	t := s.table()
	switch {
	case heading:
		sh.kind, sh.level = Heading, int32(max(s.level, 1))
	case s.cell > 0 && t != nil:
		sh.kind, sh.table, sh.row, sh.col, sh.header = TableCell, int32(t.idx), int32(max(t.row, 0)), int32(max(t.col, 0)), s.header
	case listItem:
		sh.kind, sh.level = ListItem, int32(max(len(s.lists), 1))
		sh.ordered = len(s.lists) > 0 && s.lists[len(s.lists)-1]
	case s.quote > 0:
		sh.kind = Quote
	}
	return sh
}

// startLink begins capturing an outermost link's text, which starts at
// offset start of the splitter's buffer.
func (s *structure) startLink(n *html.Node, start int) {
	href := strings.TrimSpace(attr(n, "href"))
	lower := strings.ToLower(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(lower, "javascript:") {
		s.href = ""
		return
	}
	s.href, s.linkStart = href, start
}

// endLink ends the open link, buf being the splitter's buffer.
func (s *structure) endLink(buf []byte) {
	if s.href == "" || s.linkStart > len(buf) {
		s.href = ""
		return
	}
	if t := collapseBytes(buf[s.linkStart:]); t != "" {
		s.links = append(s.links, Link{Text: t, URL: s.href})
	}
	s.href = ""
}

// flushed drops a link still open across a paragraph break: its text is
// in two paragraphs.
func (s *structure) flushed() {
	s.href = ""
	s.links = nil
}
