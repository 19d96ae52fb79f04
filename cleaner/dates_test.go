package cleaner

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestURLDate(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"slashes", "https://news.example/2019/11/19/opinion/story.html", "2019-11-19"},
		{"year-month then day", "http://www.portal.example.cn/gj/2023-03/15/2.html", "2023-03-15"},
		{"month name", "https://facts.example/statements/2019/nov/18/someone/claim/", "2019-11-18"},
		{"eight digits at the end of a slug", "https://magazine.example/cells-that-taste-danger-20191115/", "2019-11-15"},
		{"year then month-day", "http://www.portal.example/news/2023/0928/2.html", "2023-09-28"},
		{"iso date in a slug", "https://blog.example/post-2021-06-30-launch", "2021-06-30"},
		{"no date", "https://blog.example/die-elektronische-patientenakte", ""},
		{"year and month only", "https://news.example/2019/11/story.html", ""},
		{"long number is an id, not a date", "https://news.example/article/191119041538885.html", ""},
		{"invalid day", "https://news.example/2019/02/30/story", ""},
		{"too old", "https://news.example/1970/01/01/story", ""},
		{"query string ignored", "http://media.example/view.html?idx=8576&date=2019-11-19", ""},
		{"host digits ignored", "http://20191119.example/story", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(day(tt.want), urlDate(tt.url)); diff != "" {
				t.Errorf("urlDate(%q) (-want +got):\n%s", tt.url, diff)
			}
		})
	}
}

func TestMachineDate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"rfc3339 keeps the written day", "2019-11-18T23:06:51-05:00", "2019-11-18"},
		{"iso with a zone name", "2019-11-18 17:19:53 GMT", "2019-11-18"},
		{"iso date", "2019-11-20", "2019-11-20"},
		{"http date", "Wed, 20 Nov 2019 10:00:00 GMT", "2019-11-20"},
		{"text is not machine-readable", "November 20, 2019", ""},
		{"iso prefix of a longer number", "2019-11-201", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(day(tt.want), machineDate(tt.in)); diff != "" {
				t.Errorf("machineDate(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTextDate(t *testing.T) {
	tests := []struct {
		name, in string
		english  bool
		want     string
	}{
		{"month day year", "Associated Press November 19, 2019, 9:02 AM", true, "2019-11-19"},
		{"day month year glued to a name", "by Laura Winter19 Nov 2019 05:44 GMT", true, "2019-11-19"},
		{"ordinal", "— on Sunday, October 13th, 2019 in an article", true, "2019-10-13"},
		{"day first with slashes", "05/10/2018 - Publicado por: Clarissa", false, "2018-10-05"},
		{"month first on an English page", "05/10/2018 - Posted by", true, "2018-05-10"},
		{"day over twelve decides", "25/10/2018", true, "2018-10-25"},
		{"time only", "Updated 10:54 am", true, ""},
		{"fraction is not a date", "3/4/2018/5", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(day(tt.want), textDate(tt.in, tt.english)); diff != "" {
				t.Errorf("textDate(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFallbackDate(t *testing.T) {
	tests := []struct {
		name, url, lang, page, want string
	}{
		{
			name: "url date wins over the page's marks",
			url:  "https://news.example/2019/11/18/story.html",
			page: `<p class="dateline">October 13, 2019</p>`,
			want: "2019-11-18",
		},
		{
			name: "json-ld of another type, or broken",
			url:  "https://facts.example/check/claim/",
			page: `<script type="application/ld+json">{"@type":"ClaimReview","datePublished" : "2019-11-18T10:15:00+00:00",</script><span class="date">May 1, 2019</span>`,
			want: "2019-11-18",
		},
		{
			name: "a hidden input's value",
			url:  "https://science.example/europa-plumes",
			page: `<input class="published_date" type="hidden" value="2019-11-18 23:41:18"><div class="byline">May 1, 2019</div>`,
			want: "2019-11-18",
		},
		{
			name: "abbr title",
			url:  "https://digest.example/stadia-reviews",
			page: `<abbr class="published" title="2019-11-18 17:19:53 GMT">3 days ago</abbr>`,
			want: "2019-11-18",
		},
		{
			name: "last-modified meta before visible text",
			url:  "https://markets.example/economy-in-stress-4656421.html",
			page: `<meta http-equiv="Last-Modified" content="2019-11-20T01:41:20+05:30"><span class="date">May 1, 2019</span>`,
			want: "2019-11-20",
		},
		{
			name: "a byline's date",
			url:  "https://network.example/news/moon-shot-191119041538885.html",
			page: `<h1>Moon shot</h1><div class="article-meta">by Laura Winter19 Nov 2019 05:44 GMT</div><p>Text from 3 March 2001.</p>`,
			want: "2019-11-19",
		},
		{
			name: "reader comments carry their own dates",
			url:  "https://diets.example/atkins.html",
			page: `<div id="comments"><span class="date">2018-02-24 10:15:59</span></div><p>An undated article.</p>`,
			want: "",
		},
		{
			name: "a date in prose is not a dateline",
			url:  "https://blog.example/dmexco",
			page: `<p>We met on 12 September 2018 at the fair.</p>`,
			want: "",
		},
		{
			name: "time element text",
			url:  "https://news.example/story",
			page: `<time>20 November 2019</time>`,
			want: "2019-11-20",
		},
		{
			name: "day-first slashes on a Portuguese page",
			url:  "http://city.example/news/arrombamento",
			lang: "pt-BR",
			page: `<div class="info">05/10/2018 - Publicado por: Clarissa Borba</div>`,
			want: "2018-10-05",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parseHTML([]byte("<html><body>" + tt.page + "</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(day(tt.want), fallbackDate(doc, tt.url, tt.lang)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTextPrefixStopsEarly(t *testing.T) {
	doc, err := parseHTML([]byte("<div>" + strings.Repeat("word ", 100000) + "</div>"))
	if err != nil {
		t.Fatal(err)
	}
	got := textPrefix(doc, 12)
	if diff := cmp.Diff("word word wo", got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
