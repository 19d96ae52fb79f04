package output

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"winnow/cleaner"
)

// MarkdownOptions tune the markdown format.
type MarkdownOptions struct {
	// Links writes the article's links as [text](URL); without it a
	// link's text is plain text.
	Links bool
}

// EncodeMarkdown renders doc as Markdown: YAML front matter with the json
// format's fields but text, then the article's blocks in page order.
//
// A heading is a "#" line of its level, a paragraph a paragraph, list
// items a "-" or "1." list (nested lists indented four spaces a level), a
// quote a ">" block, and the cells of a table a pipe table whose first row
// is the header; a table with one row or one column (a layout table) is
// written as paragraphs. Text that Markdown would read as markup is
// escaped with backslashes. A Document without Blocks is paragraphs only.
func EncodeMarkdown(doc cleaner.Document, o MarkdownOptions) ([]byte, error) {
	return encodeMarkdown(normalize(doc), o)
}

// frontMatter is the json record without its text, in the same order.
type frontMatter struct {
	URL          string  `yaml:"url"`
	CanonicalURL string  `yaml:"canonical_url"`
	Title        string  `yaml:"title"`
	Byline       string  `yaml:"byline"`
	Published    *string `yaml:"published"`
	SiteName     string  `yaml:"site_name"`
	Lang         string  `yaml:"lang"`
	FetchedAt    *string `yaml:"fetched_at"`
	SHA256       string  `yaml:"sha256"`
}

func encodeMarkdown(n normalized, o MarkdownOptions) ([]byte, error) {
	r := toRecord(n)
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	err := enc.Encode(frontMatter{
		URL: r.URL, CanonicalURL: r.CanonicalURL, Title: r.Title, Byline: r.Byline, Published: r.Published,
		SiteName: r.SiteName, Lang: r.Lang, FetchedAt: r.FetchedAt, SHA256: r.SHA256,
	})
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("encode markdown front matter: %w", err)
	}
	b.WriteString("---\n")
	// Relative links resolve against the page's address, or its
	// canonical one when the address is unknown (a saved page).
	base, _ := url.Parse(cmp.Or(n.url, n.canonical))
	m := mdWriter{b: &b, links: o.Links, base: base}
	m.blocks(n.blocks)
	return b.Bytes(), nil
}

// markdownHash reads the sha256 of the front matter of a file the
// markdown format wrote.
func markdownHash(b []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(b, []byte("---\n"))
	if !ok {
		return "", false
	}
	head, _, ok := bytes.Cut(rest, []byte("\n---\n"))
	if !ok {
		return "", false
	}
	var fm frontMatter
	if yaml.Unmarshal(head, &fm) != nil || fm.SHA256 == "" {
		return "", false
	}
	return fm.SHA256, true
}

type mdWriter struct {
	b     *bytes.Buffer
	links bool
	base  *url.URL
}

// blocks writes runs of blocks of one kind as one Markdown block each,
// separated by blank lines.
func (m *mdWriter) blocks(bs []cleaner.Block) {
	for i := 0; i < len(bs); {
		j := i + 1
		switch bs[i].Kind {
		case cleaner.TableCell:
			for j < len(bs) && bs[j].Kind == cleaner.TableCell && bs[j].Table == bs[i].Table {
				j++
			}
		case cleaner.ListItem, cleaner.Quote:
			for j < len(bs) && bs[j].Kind == bs[i].Kind {
				j++
			}
		}
		m.b.WriteByte('\n')
		run := bs[i:j]
		switch bs[i].Kind {
		case cleaner.Heading:
			m.b.WriteString(strings.Repeat("#", min(max(run[0].Level, 1), 6)) + " " + m.inline(run[0], false) + "\n")
		case cleaner.TableCell:
			m.table(run)
		case cleaner.ListItem:
			m.list(run)
		case cleaner.Quote:
			for k, q := range run {
				if k > 0 {
					m.b.WriteString(">\n")
				}
				m.b.WriteString("> " + m.inline(q, false) + "\n")
			}
		default:
			m.b.WriteString(m.inline(run[0], false) + "\n")
		}
		i = j
	}
}

// list writes list items. An item's depth counts the shallower levels
// open above it, so an item whose parent was dropped nests one level, not
// two, and never turns into an indented code block.
func (m *mdWriter) list(items []cleaner.Block) {
	var levels []int // the Level of each open depth
	var count []int  // per depth: items so far in an ordered list
	var ordered []bool
	for _, it := range items {
		for len(levels) > 0 && levels[len(levels)-1] > it.Level {
			levels = levels[:len(levels)-1]
		}
		if len(levels) == 0 || levels[len(levels)-1] < it.Level {
			levels = append(levels, it.Level)
		}
		d := len(levels) - 1
		count, ordered = count[:min(d+1, len(count))], ordered[:min(d+1, len(ordered))]
		if len(count) == d {
			count, ordered = append(count, 0), append(ordered, it.Ordered)
		}
		if ordered[d] != it.Ordered {
			count[d], ordered[d] = 0, it.Ordered
		}
		marker := "- "
		if it.Ordered {
			count[d]++
			marker = strconv.Itoa(count[d]) + ". "
		}
		m.b.WriteString(strings.Repeat("    ", d) + marker + m.inline(it, false) + "\n")
	}
}

// table writes the cells of one table as a pipe table, its first row the
// header; the paragraphs of one cell are joined by a space.
func (m *mdWriter) table(cells []cleaner.Block) {
	var rows []int
	cols := 0
	grid := map[[2]int]string{}
	for _, c := range cells {
		if !slices.Contains(rows, c.Row) {
			rows = append(rows, c.Row)
		}
		cols = max(cols, c.Col+1)
		k := [2]int{c.Row, c.Col}
		if grid[k] != "" {
			grid[k] += " "
		}
		grid[k] += strings.ReplaceAll(m.inline(c, true), "|", `\|`)
	}
	if len(rows) < 2 || cols < 2 {
		for i, c := range cells {
			if i > 0 {
				m.b.WriteByte('\n')
			}
			m.b.WriteString(m.inline(c, false) + "\n")
		}
		return
	}
	slices.Sort(rows)
	for i, r := range rows {
		m.b.WriteByte('|')
		for c := range cols {
			m.b.WriteString(" " + grid[[2]int{r, c}] + " |")
		}
		m.b.WriteByte('\n')
		if i == 0 {
			m.b.WriteString("|" + strings.Repeat(" --- |", cols) + "\n")
		}
	}
}

// inline renders a block's text, its links as [text](URL) when links are
// on, escaping what Markdown would read as markup. In a table cell
// (inCell) nothing is at the start of a line.
func (m *mdWriter) inline(bl cleaner.Block, inCell bool) string {
	text := bl.Text
	var out strings.Builder
	pos := 0
	if m.links {
		for _, l := range bl.Links {
			lt := collapse(l.Text)
			i := strings.Index(text[pos:], lt)
			u := m.linkURL(l.URL)
			if lt == "" || i < 0 || u == "" {
				continue
			}
			out.WriteString(escapeInline(text[pos : pos+i]))
			out.WriteString("[" + escapeInline(lt) + "](" + u + ")")
			pos += i + len(lt)
		}
	}
	out.WriteString(escapeInline(text[pos:]))
	if inCell {
		return out.String()
	}
	return escapeStart(out.String())
}

// linkURL resolves a link against the document's URL and keeps http,
// https and mailto links, escaped so that the Markdown link ends where it
// should.
func (m *mdWriter) linkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if m.base != nil {
		u = m.base.ResolveReference(u)
	}
	switch u.Scheme {
	case "http", "https", "mailto":
	default:
		return ""
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u.String())
}

var inlineEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`)

func escapeInline(s string) string { return inlineEscaper.Replace(s) }

// escapeStart escapes what would make a line a heading, quote, list item,
// thematic break or fence.
func escapeStart(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '#', '>', '-', '+', '=', '~':
		return `\` + s
	}
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') && (i+1 == len(s) || s[i+1] == ' ') {
		return s[:i] + `\` + s[i:]
	}
	return s
}
