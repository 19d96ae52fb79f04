package cleaner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

func TestSecondOpinion(t *testing.T) {
	prose := func(s string) para {
		return para{text: s, runes: len([]rune(strings.ReplaceAll(s, " ", "")))}
	}
	body1 := prose("The council approved the budget on Tuesday after a long debate about the cost of the new bridge over the river.")
	body2 := prose("Members of the opposition said the figures did not add up and asked for an independent review before any money is spent.")
	lead := prose("A new bridge, a bigger library and no rise in the rates: the town's budget for next year passed by a single vote.")
	byline := prose("By Jane Doe, 3 March 2024")
	title := para{text: "Budget passes by one vote", runes: 20, heading: true}
	listLead := para{text: lead.text, runes: lead.runes, listItem: true}
	linked := para{text: lead.text, runes: lead.runes, linkRunes: lead.runes}
	long := make([]para, 0, 12)
	for i := range 12 {
		long = append(long, prose(strings.Repeat("word ", 20)+string(rune('a'+i))+"."))
	}
	tests := []struct {
		name         string
		first        []para
		second       []para
		descriptions []string
		want         []string
		how          string
	}{
		{name: "no second reading", first: []para{body1, body2}, want: []string{body1.text, body2.text}},
		{name: "same block", first: []para{body1, body2}, second: []para{title, body1, body2}, want: []string{body1.text, body2.text}},
		{name: "lead over a byline", first: []para{body1, body2}, second: []para{title, lead, byline, body1, body2},
			want: []string{lead.text, body1.text, body2.text}, how: "lead"},
		{name: "heading ends the lead", first: []para{body1, body2}, second: []para{lead, title, body1, body2},
			want: []string{body1.text, body2.text}},
		{name: "list item is no lead", first: []para{body1}, second: []para{listLead, body1},
			want: []string{body1.text}},
		{name: "link is no lead", first: []para{body1}, second: []para{linked, body1},
			want: []string{body1.text}},
		{name: "dek is the page description", first: []para{body1}, second: []para{lead, body1}, descriptions: []string{normKey(lead.text)},
			want: []string{body1.text}},
		{name: "cut-short description still a dek", first: []para{body1}, second: []para{lead, body1}, descriptions: []string{normKey(lead.text[:60])},
			want: []string{body1.text}},
		{name: "lead goes before readability's copy of the anchor", first: []para{title, body1, body2}, second: []para{lead, body1, body2},
			want: []string{title.text, lead.text, body1.text, body2.text}, how: "lead"},
		{name: "disjoint small block stays", first: []para{body1}, second: []para{body2}, want: []string{body1.text}},
		{name: "disjoint larger marked body does not replace readability", first: []para{byline}, second: long,
			want: []string{byline.text}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, how := secondOpinion(tt.first, tt.second, tt.descriptions)
			if diff := cmp.Diff(tt.want, texts(got)); diff != "" {
				t.Errorf("paragraphs (-want +got):\n%s", diff)
			}
			if how != tt.how {
				t.Errorf("how %q, want %q", how, tt.how)
			}
		})
	}
}

func texts(ps []para) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.text)
	}
	return out
}

func TestSecondReading(t *testing.T) {
	p := func(s string) string {
		return "<p>" + s + " " + strings.Repeat("More words of the article follow here. ", 4) + "</p>"
	}
	tests := []struct {
		name  string
		html  string
		first string // first paragraph of the reading; "" = no reading
	}{
		{name: "no mark", html: `<div>` + p("Body one.") + p("Body two.") + `</div>`, first: ""},
		{name: "body class inside article reads the article",
			html:  `<article><header><p>Standfirst.</p></header><div class="entry-content">` + p("Body one.") + p("Body two.") + `</div></article>`,
			first: "Standfirst."},
		{name: "itemprop articleBody", html: `<div itemprop="articleBody">` + p("Body one.") + p("Body two.") + `</div>`, first: "Body one."},
		{name: "too little text", html: `<article><p>Short.</p></article>`, first: ""},
		{name: "figure caption left out",
			html:  `<article><figure><figcaption>A caption that reads like a sentence.</figcaption></figure>` + p("Body one.") + p("Body two.") + `</article>`,
			first: "Body one."},
		{name: "described dek left out",
			html:  `<article><p itemprop="description">The dek.</p>` + p("Body one.") + p("Body two.") + `</article>`,
			first: "Body one."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := parseHTML([]byte("<html><body>" + tt.html + "</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if r := secondReading(body(root)); len(r) > 0 {
				got, _, _ = strings.Cut(r[0].text, " More words")
			}
			if got != tt.first {
				t.Errorf("first paragraph %q, want %q", got, tt.first)
			}
		})
	}
}

func TestPageDescriptions(t *testing.T) {
	root, err := parseHTML([]byte(`<html><head><meta name="description" content="One, two."><meta property="og:description" content="Three"><meta name="keywords" content="x"></head><body><meta name="description" content="in body"></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one two", "three"}, pageDescriptions(root)); diff != "" {
		t.Errorf("descriptions (-want +got):\n%s", diff)
	}
}

// BenchmarkSecondReading: what the second opinion adds to a page's clean
// (its reading of the pre-cleaned tree and the page's descriptions), on the
// benchmark pages; compare with BenchmarkClean's ms/page.
func BenchmarkSecondReading(b *testing.B) {
	pages := loadBenchmark(b)
	roots := make([]*html.Node, 0, len(pages))
	for _, p := range pages {
		root, err := parseHTML(decode(p.body, "text/html; charset=utf-8").text)
		if err != nil {
			b.Fatal(err)
		}
		(&precleaner{}).clean(body(root), &Report{})
		roots = append(roots, root)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		root := roots[i%len(roots)]
		_, _ = secondReading(body(root)), pageDescriptions(root)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}
