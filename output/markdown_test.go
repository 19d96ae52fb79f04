package output

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
)

func TestEncodeMarkdownBlocks(t *testing.T) {
	p := func(text string) cleaner.Block { return cleaner.Block{Text: text} }
	li := func(text string, level int, ordered bool) cleaner.Block {
		return cleaner.Block{Kind: cleaner.ListItem, Text: text, Level: level, Ordered: ordered}
	}
	cell := func(table, row, col int, text string) cleaner.Block {
		return cleaner.Block{Kind: cleaner.TableCell, Text: text, Table: table, Row: row, Col: col}
	}
	tests := []struct {
		name   string
		blocks []cleaner.Block
		links  bool
		want   string
	}{
		{
			name:   "markup in the text is escaped",
			blocks: []cleaner.Block{p("# not a heading"), p("- not an item"), p("2024. A year"), p("a *b* _c_ [d] `e` <f> \\g")},
			want:   "\n\\# not a heading\n\n\\- not an item\n\n2024\\. A year\n\na \\*b\\* \\_c\\_ \\[d\\] \\`e\\` \\<f> \\\\g\n",
		},
		{
			name:   "heading levels",
			blocks: []cleaner.Block{{Kind: cleaner.Heading, Text: "Two", Level: 2}, {Kind: cleaner.Heading, Text: "Nine", Level: 9}},
			want:   "\n## Two\n\n###### Nine\n",
		},
		{
			name:   "an item whose parent was dropped stays a list item",
			blocks: []cleaner.Block{li("deep", 3, false), li("deeper", 5, true), li("deeper 2", 5, true), li("up", 3, false)},
			want:   "\n- deep\n    1. deeper\n    2. deeper 2\n- up\n",
		},
		{
			name:   "numbering restarts in a new list",
			blocks: []cleaner.Block{li("a", 1, true), li("b", 1, true), p("between"), li("c", 1, true)},
			want:   "\n1. a\n2. b\n\nbetween\n\n1. c\n",
		},
		{
			name:   "quotes",
			blocks: []cleaner.Block{{Kind: cleaner.Quote, Text: "one"}, {Kind: cleaner.Quote, Text: "- two"}},
			want:   "\n> one\n>\n> \\- two\n",
		},
		{
			name: "table with pipes, a missing cell and two paragraphs in a cell",
			blocks: []cleaner.Block{cell(0, 0, 0, "A"), cell(0, 0, 1, "B|C"), cell(0, 1, 0, "1"),
				cell(0, 2, 0, "x"), cell(0, 2, 1, "y"), cell(0, 2, 1, "z"), cell(1, 0, 0, "next table")},
			want: "\n| A | B\\|C |\n| --- | --- |\n| 1 |  |\n| x | y z |\n\nnext table\n",
		},
		{
			name:   "a one-column table is paragraphs",
			blocks: []cleaner.Block{cell(0, 0, 0, "layout one"), cell(0, 1, 0, "layout two")},
			want:   "\nlayout one\n\nlayout two\n",
		},
		{
			name: "links off",
			blocks: []cleaner.Block{{Text: "See the report and the budget.", Links: []cleaner.Link{
				{Text: "report", URL: "/r.html"}}}},
			want: "\nSee the report and the budget.\n",
		},
		{
			name:  "links on: resolved, escaped, in order, unsafe schemes dropped",
			links: true,
			blocks: []cleaner.Block{{Text: "See the report, the budget (2024) and the [plan].", Links: []cleaner.Link{
				{Text: "the", URL: "https://x.example/a b(1)"},
				{Text: "budget (2024)", URL: "/budget.html"},
				{Text: "[plan]", URL: "javascript:alert(1)"},
				{Text: "not in the text", URL: "/x"},
			}}},
			want: "\nSee [the](https://x.example/a%20b%281%29) report, the [budget (2024)](https://news.example/budget.html) and the \\[plan\\].\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := cleaner.Document{URL: "https://news.example/2024/story.html"}
			for _, b := range tt.blocks {
				d.Paragraphs = append(d.Paragraphs, b.Text)
			}
			d.Blocks = tt.blocks
			got, err := EncodeMarkdown(d, MarkdownOptions{Links: tt.links})
			if err != nil {
				t.Fatal(err)
			}
			_, body, ok := strings.Cut(string(got), "\n---\n")
			if !ok {
				t.Fatalf("no front matter: %q", got)
			}
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if sum, ok := markdownHash(got); !ok || sum != TextHash(d) {
				t.Errorf("front matter sha256 %q %v, want %s", sum, ok, TextHash(d))
			}
		})
	}
}

func TestEncodeMarkdownFrontMatter(t *testing.T) {
	d := cleaner.Document{URL: "https://a.example/x", Title: "Storm: ports shut", Byline: "Jane Doe",
		Published: day, Lang: "en", Paragraphs: []string{"one"}}
	got, err := Encode(d, "markdown")
	if err != nil {
		t.Fatal(err)
	}
	want := `---
url: https://a.example/x
canonical_url: https://a.example/x
title: 'Storm: ports shut'
byline: Jane Doe
published: "2024-05-14T23:30:00-02:00"
site_name: ""
lang: en
fetched_at: null
sha256: 7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed
---

one
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
