package cleaner

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestCleanTitle(t *testing.T) {
	tests := []struct {
		name, title, site, host, want string
	}{
		{"pipe site", "Putin says West ignoring Russias security concerns | eNCA", "eNCA", "www.enca.com", "Putin says West ignoring Russias security concerns"},
		{"dash site from host", "Storm closes three ports on the coast - The Daily Ledger", "", "dailyledger.example", "Storm closes three ports on the coast"},
		{"en dash site name", "Russia claims the US ignored its requests – Eastern Ledger", "Eastern Ledger", "", "Russia claims the US ignored its requests"},
		{"dash inside headline kept", "Ukraine news - live: Putin claims West ignoring Russia", "The Independent", "www.independent.co.uk", "Ukraine news - live: Putin claims West ignoring Russia"},
		{"portal chain", "Live crisis: Putin praises Macron after meeting_最新资讯_环球视野", "", "", "Live crisis: Putin praises Macron after meeting"},
		{"site prefix", "eNCA | Putin says West ignoring security concerns", "eNCA", "", "Putin says West ignoring security concerns"},
		{"short title untouched", "Live | Updates", "", "", "Live | Updates"},
		{"site name and colon", "Pacific Herald: Fiji election ends in hung parliament", "Pacific Herald", "", "Fiji election ends in hung parliament"},
		{"colon headline kept", "Storm Isha: rail services suspended across Scotland", "The Daily Courier", "dailycourier.example", "Storm Isha: rail services suspended across Scotland"},
		{"double-dash portal chain", "Brazil pledges to end illegal deforestation by 2030--国际频道--东方资讯", "", "", "Brazil pledges to end illegal deforestation by 2030"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanTitle(tt.title, tt.site, tt.host); got != tt.want {
				t.Errorf("cleanTitle(%q) = %q, want %q", tt.title, got, tt.want)
			}
		})
	}
}

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name             string
		canonical, ogURL string
		page, want       string
	}{
		{"relative canonical", "/news/a.html", "", "https://news.example/news/a.html?amp=1", "https://news.example/news/a.html"},
		{"absolute canonical", "https://www.news.example/a", "", "https://news.example/a?utm=x", "https://www.news.example/a"},
		{"og url when no canonical", "", "https://news.example/b", "https://m.news.example/b", "https://news.example/b"},
		{"bad canonical falls back", "javascript:void(0)", "", "https://news.example/c", "https://news.example/c"},
		{"nothing: page url", "", "", "https://news.example/d", "https://news.example/d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalURL(pageMeta{canonical: tt.canonical, ogURL: tt.ogURL}, tt.page); got != tt.want {
				t.Errorf("canonicalURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMetadataFromPage(t *testing.T) {
	src := `<html lang="de-DE"><head><title>Sturm schließt Häfen | Nordkurier Beispiel</title>
<meta property="og:site_name" content="Nordkurier Beispiel">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"x"},{"@type":"NewsArticle","headline":"Sturm schließt Häfen","datePublished":"2022-02-11T14:35:00+01:00","author":[{"@type":"Person","name":"Anna Beispiel"},{"@type":"Person","name":"Max Muster"}]}]}</script>
<link rel="canonical" href="/2022/02/11/sturm.html"></head><body><article><h1>Sturm schließt Häfen</h1>` +
		strings.Repeat("<p>Der Sturm zwang am Dienstag drei Häfen zur Schließung, teilten Behörden mit, als Winde von mehr als hundert Kilometern pro Stunde über die Küste fegten.</p><p>Die Fähren blieben den zweiten Tag in Folge im Hafen, und Reisende mussten in Notunterkünften übernachten, wie die Stadtverwaltung mitteilte.</p>", 1) +
		"<p>Am Mittwoch soll der Wind nachlassen, sagte der Wetterdienst, doch für die Inseln gilt weiterhin eine Sturmwarnung bis zum Abend.</p>" +
		"<p>Die Hafenbehörde rechnet damit, dass der Betrieb am Donnerstag wieder aufgenommen werden kann, sofern keine neuen Schäden entdeckt werden.</p>" +
		"<p>Bereits im vergangenen Jahr hatte ein ähnlicher Sturm die Küste getroffen und Schäden in Millionenhöhe verursacht, berichteten lokale Medien.</p>" +
		`</article></body></html>`
	doc, _, err := New(Options{}).Clean(Input{Body: []byte(src), URL: "https://nordkurier.example/2022/02/11/sturm.html?utm_source=x"})
	if err != nil {
		t.Fatal(err)
	}
	want := Document{
		URL:          "https://nordkurier.example/2022/02/11/sturm.html?utm_source=x",
		CanonicalURL: "https://nordkurier.example/2022/02/11/sturm.html",
		Title:        "Sturm schließt Häfen",
		Byline:       "Anna Beispiel, Max Muster",
		Published:    time.Date(2022, 2, 11, 14, 35, 0, 0, time.FixedZone("", 3600)),
		SiteName:     "Nordkurier Beispiel",
		Lang:         "de",
	}
	got := doc
	got.Paragraphs, got.Blocks = nil, nil
	if !got.Published.Equal(want.Published) {
		t.Errorf("Published = %v, want %v", got.Published, want.Published)
	}
	got.Published = want.Published
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if len(doc.Paragraphs) != 5 {
		t.Errorf("got %d paragraphs, want 5", len(doc.Paragraphs))
	}
}

func TestLanguageFallsBackToDetection(t *testing.T) {
	// A Chinese portal (lang="zh-CN") carrying an English article.
	m := pageMeta{lang: "zh-CN"}
	got := language(m, []string{"Russian President Vladimir Putin has praised his French counterpart Emmanuel Macron following a meeting in Moscow, where the two leaders discussed the crisis for several hours."})
	if got != "en" {
		t.Errorf("language = %q, want en", got)
	}
	if got := language(pageMeta{lang: "fr"}, []string{"Le gouvernement a annoncé mardi qu'il étendrait le programme."}); got != "fr" {
		t.Errorf("declared language = %q, want fr", got)
	}
}

func TestTitleFromHeading(t *testing.T) {
	tests := []struct{ name, title, h1, want string }{
		{"cjk dash chain", "我国首条跨海高铁全线贯通 - 新闻中心 - 华夏资讯网", "我国首条跨海高铁全线贯通", "我国首条跨海高铁全线贯通"},
		{"site before heading", "Portal News » Storm closes three ports on the coast", "Storm closes three ports on the coast", "Storm closes three ports on the coast"},
		{"heading continues in the title", "Storm closes three ports on the coast again", "Storm closes three ports on the coast", "Storm closes three ports on the coast again"},
		{"heading ends in a question", "Will the storm close the ports? - News", "Will the storm close the ports?", "Will the storm close the ports?"},
		{"short h1 ignored", "Live - Updates - Site", "Live", "Live - Updates - Site"},
		{"no h1", "Headline | Site", "", "Headline | Site"},
		{"h1 is the site name", "September 2018 open thread - The Example Blog", "The Example Blog", "September 2018 open thread - The Example Blog"},
		{"colon continues the headline", "Storm closes three ports: ferries stay in harbour", "Storm closes three ports", "Storm closes three ports: ferries stay in harbour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := titleFromHeading(tt.title, tt.h1, ""); got != tt.want {
				t.Errorf("titleFromHeading(%q, %q) = %q, want %q", tt.title, tt.h1, got, tt.want)
			}
		})
	}
}

func TestLooseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Tom Batchelor11 February 2022 14:35", "2022-02-11"},
		{"2022-02-08 00:00:00.0 Some Paper 原网页", "2022-02-08"},
		{"Posted Nov. 18, 2019", "2019-11-18"},
		{"2022年2月8日 09:00", "2022-02-08"},
		{"31 February 2022", ""},
		{"Madrid, 29 de noviembre de 2023", "2023-11-29"},
		{"Publié le 14 avril 2023 à 18h32", "2023-04-14"},
		{"05.03.2024, 11:20 Uhr", "2024-03-05"},
		{"11. Februar 2022", "2022-02-11"},
		{"17 ноября 2023, 12:40", "2023-11-17"},
		{"Sept. 5, 2021", "2021-09-05"},
		{"12 marzo 2020", "2020-03-12"},
		{"no date here", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ""
			if d := looseDate(tt.in); !d.IsZero() {
				got = d.Format("2006-01-02")
			}
			if got != tt.want {
				t.Errorf("looseDate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeOrder(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("<p>港口关闭</p>")
	latin1, _ := charmap.ISO8859_1.NewEncoder().String("<p>Häfen geschlossen</p>")
	win1251, _ := charmap.Windows1251.NewEncoder().String(`<meta charset="windows-1251"><p>Порты закрыты</p>`)
	tests := []struct {
		name, body, contentType string
		wantText, wantSource    string
	}{
		{"header charset", gbk, "text/html; charset=GBK", "港口关闭", "header"},
		{"gb2312 label read as gb18030", gbk, "text/html; charset=gb2312", "港口关闭", "header"},
		{"bom beats meta", "\xef\xbb\xbf<meta charset=iso-8859-1><p>Häfen</p>", "", "Häfen", "detected"},
		{"meta charset", win1251, "text/html", "Порты закрыты", "meta"},
		{"http-equiv", `<meta http-equiv="Content-Type" content="text/html; charset=gbk">` + gbk, "", "港口关闭", "meta"},
		{"detected latin-1", latin1, "", "Häfen geschlossen", "default"},
		{"detected gbk", strings.Repeat(gbk, 20), "", "港口关闭", "detected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode([]byte(tt.body), tt.contentType)
			if !strings.Contains(string(d.text), tt.wantText) {
				t.Errorf("text %q does not contain %q (encoding %s from %s)", d.text, tt.wantText, d.encoding, d.source)
			}
			if d.source != tt.wantSource && !(tt.wantSource == "default" && d.source == "detected") {
				t.Errorf("source = %s, want %s", d.source, tt.wantSource)
			}
		})
	}
}

func TestBylineNearHeading(t *testing.T) {
	story := `<p>The storm forced the closure of three ports on Tuesday, officials said, as winds of more than 100 km/h swept across the coast and ferries stayed in harbour overnight.</p>`
	tests := []struct {
		name, body, author, date string
	}{
		{"french by-word", `<h1>Réforme des retraites</h1><p class="a">Par Julien Marchand</p><p>Publié le 14 avril 2023 à 18h32</p>` + story, "Julien Marchand", "2023-04-14"},
		{"russian text label after a date", `<h1>Новая станция метро</h1><div><span>17 ноября 2023, 12:40</span> <span>Текст: Анна Смирнова</span></div>` + story, "Анна Смирнова", "2023-11-17"},
		{"portal info line gives the date", `<h1>我国首条跨海高铁全线贯通</h1><div class="info">发布时间：2023年9月28日 10:15　来源：新华网　点击：</div>` + story, "", "2023-09-28"},
		{"name and agency", `<h1>Wildfire forces evacuation</h1><div><span>By Maria Delgado, Associated Press</span> <span>June 13, 2022 3:00 PM</span></div>` + story, "Maria Delgado", "2022-06-13"},
		{"prose right after the heading reads nothing", `<h1>Storm</h1>` + story + `<p>By Jane Doe</p>`, "", ""},
		{"no heading", `<p>By Jane Doe</p>` + story, "", ""},
		{"dateline place is no author", `<h1>Inflación en España baja</h1><p><i>Madrid, 29 de noviembre de 2023</i></p>` + story, "", "2023-11-29"},
		{"metadata strip is no author", `<h1>Mietpreise in Leipzig steigen</h1><p>Leipzig · 17.01.2024 · Lesezeit 3 Minuten</p>` + story, "", "2024-01-17"},
		{"name and date without a by-word", `<h1>Dakar : le nouveau TER</h1><div><span>21 décembre 2023</span> <span>Aminata Diallo</span></div>` + story, "Aminata Diallo", "2023-12-21"},
	}
	rs := newRuleSet()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := parseHTML([]byte("<html><body>" + tt.body + "</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			author, date := rs.bylineNearHeading(linesAfterHeading(body(root)))
			got := ""
			if !date.IsZero() {
				got = date.Format("2006-01-02")
			}
			if author != tt.author || got != tt.date {
				t.Errorf("got author %q date %q, want %q %q", author, got, tt.author, tt.date)
			}
		})
	}
}

func TestCleanByline(t *testing.T) {
	for in, want := range map[string]string{"By Ravi Patel": "Ravi Patel", "Von  Katrin Vogel": "Katrin Vogel", "Jane Doe": "Jane Doe", "Автор: Иван Петров": "Иван Петров"} {
		if got := cleanByline(in); got != want {
			t.Errorf("cleanByline(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBylineGluedToStamp: a byline block whose name and <time> touch
// ("Hannah Whitaker<time>Tuesday 14 March 2023 07:02</time>") gives the
// name alone.
func TestBylineGluedToStamp(t *testing.T) {
	rs := newRuleSet()
	tests := []struct{ in, want string }{
		{"Hannah WhitakerTuesday 14 March 2023 07:02", "Hannah Whitaker"},
		{"Tom Batchelor11 February 2022 14:35", "Tom Batchelor"},
		{"Ian McDonald 3 May 2021", "Ian McDonald"},
		{"Jane DoeUpdated 14:35 GMT, 2 June 2022", "Jane Doe"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			rule, name := rs.bylineOrStamp(tt.in, false)
			if rule != ruleByline || name != tt.want {
				t.Errorf("bylineOrStamp(%q) = %q, %q; want %q, %q", tt.in, rule, name, ruleByline, tt.want)
			}
		})
	}
}

// TestTitleIsTheHeading: when the title is cut to the page's heading, the
// heading is kept whole; its last words are not a site suffix.
func TestTitleIsTheHeading(t *testing.T) {
	page := `<html><head><title>Flood warnings issued across Yorkshire as rivers burst banks – live | The Northern Post</title></head>
<body><article><h1>Flood warnings issued across Yorkshire as rivers burst banks – live</h1>
<div class="byline">Hannah Whitaker<time datetime="2023-03-14T07:02:00Z">Tuesday 14 March 2023 07:02</time></div>
<p>Emergency services have rescued a family of four from their car after it became stranded on a flooded road near Tadcaster early this morning, police said.</p>
<p>The Environment Agency now has 43 flood warnings in place across the region, meaning flooding is expected, and a further 97 flood alerts.</p>
<p>Rail operators have cancelled services between Leeds and York for the rest of the day, and passengers have been told not to travel unless essential.</p>
</article></body></html>`
	doc, _, err := New(Options{}).Clean(Input{Body: []byte(page), URL: "https://post.example/news/floods-live"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Flood warnings issued across Yorkshire as rivers burst banks – live"; doc.Title != want {
		t.Errorf("title %q, want %q", doc.Title, want)
	}
	if doc.Byline != "Hannah Whitaker" {
		t.Errorf("byline %q, want %q", doc.Byline, "Hannah Whitaker")
	}
}
