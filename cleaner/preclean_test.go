package cleaner

import (
	nurl "net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

func TestPreclean(t *testing.T) {
	story := `<p>The storm forced the closure of three ports on Tuesday, officials said, as winds of more than 100 km/h swept across the coast and ferries stayed in harbour.</p>`
	tests := []struct {
		name       string
		body       string
		wantRules  []string // rules of the removals, in order
		wantInBody []string // text that must survive
	}{
		{
			name:       "cookie banner and share bar go, shared-content stays",
			body:       `<div id="cookie-banner">We use cookies.</div><article>` + story + `<div class="share-bar">Share</div><div class="shared-content">Shared by readers</div></article>`,
			wantRules:  []string{"structure:cookie", "structure:share"},
			wantInBody: []string{"three ports", "Shared by readers"},
		},
		{
			name:       "camelCase and role words",
			body:       `<div class="newsletterSignup">Sign up</div><div role="navigation">Home News</div><article>` + story + `</article>`,
			wantRules:  []string{"structure:newsletter", "structure:nav"},
			wantInBody: []string{"three ports"},
		},
		{
			name:       "login form found by its password field",
			body:       `<form action="/login"><label>用户名</label><input name=u><input type=password name=p></form><article>` + story + `</article>`,
			wantRules:  []string{"structure:login"},
			wantInBody: []string{"three ports"},
		},
		{
			name:       "wrapper with a chrome word keeps the article it holds",
			body:       `<div class="page-with-comments"><article><h1>Storm</h1>` + story + `</article></div>`,
			wantRules:  nil,
			wantInBody: []string{"three ports"},
		},
		{
			name: "a sidebar-named wrapper holding prose is the article, not chrome",
			body: `<nav>Home News Sport</nav><div class="content has-sidebar">` + strings.Repeat(story, 4) + `</div>` +
				`<div class="widget-area">` + strings.Repeat(story, 8) + `</div>`,
			wantRules:  []string{"structure:nav"},
			wantInBody: []string{"three ports"},
		},
		{
			name:       "an ad slot and a share row without prose still go",
			body:       `<article>` + story + `<div class="ad-slot"><p>Advertisement</p></div><div class="social-share"><p>Share on Facebook</p><p>Share on X</p></div></article>`,
			wantRules:  []string{"structure:ad", "structure:share", "structure:share"},
			wantInBody: []string{"three ports"},
		},
		{
			name:       "teaser cards linking elsewhere go, the story stays",
			body:       `<article><h1>Storm</h1>` + story + `</article><article class="card"><h3><a href="/other">Another story</a></h3><p>Short teaser.</p></article>`,
			wantRules:  []string{"structure:related", "structure:related"},
			wantInBody: []string{"three ports"},
		},
		{
			name:       "live-blog posts linking to their own permalink stay",
			body:       `<article><h1>Live</h1><article><h2><a href="https://news.example/live?post=2#p2">Update two</a></h2>` + story + `</article></article>`,
			wantRules:  nil,
			wantInBody: []string{"three ports", "Update two"},
		},
		{
			name:       "live-blog posts with anchor headings stay",
			body:       `<article><h1>Live</h1><article><h2><a href="#p1">Update</a></h2>` + story + `</article></article>`,
			wantRules:  nil,
			wantInBody: []string{"three ports", "Update"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader("<html><body>" + tt.body + "</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			var rep Report
			b := body(doc)
			page, _ := nurl.Parse("https://news.example/live")
			(&precleaner{pageURL: page}).clean(b, &rep)
			var rules []string
			for _, r := range rep.Removed {
				rules = append(rules, r.Rule)
			}
			if diff := cmp.Diff(tt.wantRules, rules); diff != "" {
				t.Errorf("removal rules (-want +got):\n%s\nremoved: %+v", diff, rep.Removed)
			}
			text := textOf(b)
			for _, w := range tt.wantInBody {
				if !strings.Contains(text, w) {
					t.Errorf("%q removed; body now %q", w, text)
				}
			}
		})
	}
}
