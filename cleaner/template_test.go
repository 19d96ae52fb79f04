package cleaner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFingerprint(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "counters", a: "3 comments", b: "12 Comments", same: true},
		{name: "dates and times", a: "11.02.2022, 17:20 Uhr", b: "3.1.2023, 9:05 Uhr", same: true},
		{name: "punctuation and spacing", a: "Tags:", b: "  tags ", same: true},
		{name: "cjk case-free", a: "相关新闻：", b: "相关新闻", same: true},
		{name: "different words", a: "Share this article", b: "Share this story", same: false},
		{name: "word boundary kept", a: "sign up", b: "signup", same: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, oka := fingerprint(tt.a)
			fb, okb := fingerprint(tt.b)
			if !oka || !okb {
				t.Fatalf("no fingerprint: %q %v, %q %v", tt.a, oka, tt.b, okb)
			}
			if (fa == fb) != tt.same {
				t.Errorf("fingerprint(%q) == fingerprint(%q): %v, want %v", tt.a, tt.b, fa == fb, tt.same)
			}
		})
	}
	for _, s := range []string{"", "12:30", "—", string(make([]rune, maxBlockRunes+1))} {
		if _, ok := fingerprint(s); ok {
			t.Errorf("fingerprint(%q): want none", s)
		}
	}
}

// TestTemplateChromeGuards pins when repetition is enough evidence.
func TestTemplateChromeGuards(t *testing.T) {
	const quote = `"We will not stand by while our neighbours lose their homes," the minister said in a statement on Tuesday evening.`
	tests := []struct {
		name string
		text string
		site siteEvidence
		want bool
	}{
		{name: "chrome line on every page", text: "Leserpost", site: siteEvidence{count: 40, articles: 35, pages: 42, articlePages: 36}, want: true},
		{name: "chrome line after three articles", text: "Ref. 104 — Qzv", site: siteEvidence{count: 3, articles: 3, pages: 3, articlePages: 3}, want: true},
		{name: "small site: two pages are not evidence", text: "Leserpost", site: siteEvidence{count: 2, articles: 2, pages: 2, articlePages: 2}, want: false},
		{name: "index pages alone: a teaser of this article", text: "Council approves the budget", site: siteEvidence{count: 5, articles: 1, pages: 8, articlePages: 3}, want: false},
		{name: "short line on a sliver of a big site", text: "What happens next?", site: siteEvidence{count: 6, articles: 6, pages: 400, articlePages: 380}, want: false},
		{name: "short line of one section's template", text: "Pinned post", site: siteEvidence{count: 60, articles: 60, pages: 400, articlePages: 380}, want: true},
		{name: "shared quote on a few stories", text: quote, site: siteEvidence{count: 5, articles: 5, pages: 60, articlePages: 50}, want: false},
		{name: "shared quote on half the stories", text: quote, site: siteEvidence{count: 25, articles: 25, pages: 60, articlePages: 50}, want: false},
		{name: "prose sentence on nearly every page", text: quote, site: siteEvidence{count: 55, articles: 48, pages: 60, articlePages: 50}, want: true},
		{name: "no evidence", text: "Leserpost", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := templateChrome(para{text: tt.text, site: tt.site}); got != tt.want {
				t.Errorf("templateChrome(%q, %+v) = %v, want %v", tt.text, tt.site, got, tt.want)
			}
		})
	}
}

func TestTemplateInputAndAblation(t *testing.T) {
	page := []byte(`<html><body><nav><a href="/">Home</a></nav><article><h1>Budget</h1>
<p>The council approved the budget on Monday after a long debate about the schools and the roads.</p>
<p>Qzv Mediaroom</p>
<p>Residents will see the new rates from April, the treasurer said, and the reserve fund will grow.</p></article></body></html>`)
	fp, _ := fingerprint("Qzv Mediaroom")
	only := map[uint64]bool{fp: true}
	ev := evidenceFunc(func(fps []uint64) SiteCounts {
		sc := SiteCounts{Pages: 10, ArticlePages: 10, Count: make([]int, len(fps)), Articles: make([]int, len(fps))}
		for i, f := range fps {
			if only[f] {
				sc.Count[i], sc.Articles[i] = 10, 10
			}
		}
		return sc
	})
	for _, tc := range []struct {
		name string
		off  bool
		want []string
	}{
		{name: "on", want: []string{"The council approved the budget on Monday after a long debate about the schools and the roads.", "Residents will see the new rates from April, the treasurer said, and the reserve fund will grow."}},
		{name: "ablated", off: true, want: []string{"The council approved the budget on Monday after a long debate about the schools and the roads.", "Qzv Mediaroom", "Residents will see the new rates from April, the treasurer said, and the reserve fund will grow."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{Off: Ablation{Template: tc.off}})
			doc, rep, err := c.Clean(Input{Body: page, URL: "https://news.example/a", Template: ev})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, doc.Paragraphs); diff != "" {
				t.Errorf("paragraphs (-want +got):\n%s", diff)
			}
			// Switched off, the template costs nothing: no fingerprints either.
			if found := contains(rep.Fingerprints, fp); found == tc.off {
				t.Errorf("Report.Fingerprints %v: chrome line's %d present %v", rep.Fingerprints, fp, found)
			}
			if n := rep.Counts()[ruleSiteTemplate]; (n == 1) == tc.off {
				t.Errorf("site_template removals = %d", n)
			}
		})
	}
	// The extractor drops the navigation, but its text is evidence too.
	fps, err := New(Options{}).Fingerprint(Input{Body: page})
	if err != nil {
		t.Fatal(err)
	}
	home, _ := fingerprint("Home")
	if !contains(fps, home) {
		t.Errorf("Fingerprint misses the navigation's block")
	}
}

type evidenceFunc func([]uint64) SiteCounts

func (f evidenceFunc) Counts(fps []uint64) SiteCounts { return f(fps) }

func contains(fps []uint64, fp uint64) bool {
	for _, f := range fps {
		if f == fp {
			return true
		}
	}
	return false
}

// TestTemplateNeverEmptiesAnArticle: when every sentence of prose recurs on
// the site (articles generated from one text, one story under several
// addresses), the prose stays and only the short chrome goes.
func TestTemplateNeverEmptiesAnArticle(t *testing.T) {
	page := []byte(`<html><body><article><h1>Weather for district 4</h1>
<p>Qzv Mediaroom</p>
<p>The forecast for district 4 on Monday is dry and mild, with temperatures of up to 14 degrees in the afternoon.</p>
<p>Winds from the south-west will ease in the evening, and the night will stay frost-free across the whole district.</p></article></body></html>`)
	all := evidenceFunc(func(fps []uint64) SiteCounts {
		sc := SiteCounts{Pages: 30, ArticlePages: 30, Count: make([]int, len(fps)), Articles: make([]int, len(fps))}
		for i := range fps {
			sc.Count[i], sc.Articles[i] = 30, 30
		}
		return sc
	})
	doc, rep, err := New(Options{}).Clean(Input{Body: page, URL: "https://weather.example/4", Template: all})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"The forecast for district 4 on Monday is dry and mild, with temperatures of up to 14 degrees in the afternoon.",
		"Winds from the south-west will ease in the evening, and the night will stay frost-free across the whole district.",
	}
	if diff := cmp.Diff(want, doc.Paragraphs); diff != "" {
		t.Errorf("paragraphs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{ruleSiteTemplate: 1, ruleTitle: 1}, rep.Counts()); diff != "" {
		t.Errorf("removals (-want +got):\n%s", diff)
	}
}

// TestSiteCountsDecisive: counts are decisive as soon as one block reaches
// templateChrome's first guard, and below it templateChrome holds for no
// block, whatever the host's page counts.
func TestSiteCountsDecisive(t *testing.T) {
	tests := []struct {
		name string
		sc   SiteCounts
		want bool
	}{
		{name: "no evidence", sc: SiteCounts{}, want: false},
		{name: "a big host, no block repeated enough", sc: SiteCounts{Pages: 400, ArticlePages: 380, Count: []int{2, 40, 0}, Articles: []int{2, 1, 0}}, want: false},
		{name: "one block on three pages, two articles", sc: SiteCounts{Pages: 3, ArticlePages: 2, Count: []int{0, 3}, Articles: []int{0, 2}}, want: true},
		{name: "counts longer than articles", sc: SiteCounts{Pages: 9, ArticlePages: 9, Count: []int{1, 5}, Articles: []int{1}}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sc.Decisive(); got != tt.want {
				t.Errorf("%+v.Decisive() = %v, want %v", tt.sc, got, tt.want)
			}
		})
	}
	for count := range 4 {
		for articles := range 3 {
			if templateCandidate(count, articles) {
				continue
			}
			for _, text := range []string{"Leserpost", `"We will not stand by while our neighbours lose their homes," the minister said in a statement on Tuesday evening.`} {
				for _, pages := range []int{count, 8, 400} {
					p := para{text: text, site: siteEvidence{count: count, articles: articles, pages: pages, articlePages: min(pages, articles)}}
					if templateChrome(p) {
						t.Errorf("templateChrome(%q, %+v) with counts that are not decisive", text, p.site)
					}
				}
			}
		}
	}
}
