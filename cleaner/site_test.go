package cleaner_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"winnow/cleaner"
	"winnow/eval"
	"winnow/internal/testsite"
)

// siteTemplates are the golden cases whose chrome makes a site template.
var siteTemplates = []string{
	"seed-002-news-site", "seed-004-wordpress", "rule-cookie-notice-de",
	"rule-login-prompt-fr", "news-typo-channel-prompts-ru", "liveblog-regwall-reworded-en",
}

// TestSiteTemplateLearnt cleans the articles of each template site one
// after the other, recording each page's fingerprints as a crawl does:
// from the fourth document on, no chrome string survives, and the article
// text is kept (recall by the benchmark's metric).
func TestSiteTemplateLearnt(t *testing.T) {
	arts, err := testsite.Articles(filepath.Join("..", "testdata", "article-extraction-benchmark", "ground-truth.json"), 9*len(siteTemplates))
	if err != nil {
		t.Fatal(err)
	}
	c := cleaner.New(cleaner.Options{})
	for k, name := range siteTemplates {
		t.Run(name, func(t *testing.T) {
			tpl, err := testsite.LoadTemplate(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			var mem cleaner.SiteMemory
			for i, a := range arts[k*9 : (k+1)*9] {
				page, err := tpl.Article(a, i)
				if err != nil {
					t.Fatal(err)
				}
				u := fmt.Sprintf("https://%s.example/news/%d", name, i)
				doc, rep, err := c.Clean(cleaner.Input{Body: page, URL: u, Template: mem.Evidence(name, u)})
				if err != nil {
					t.Fatalf("article %d: %v", i, err)
				}
				mem.Record(name, u, rep.Fingerprints, true)
				if r := eval.ScorePage(a.Text(), doc.Text()).Recall; r < 0.95 {
					t.Errorf("article %d: body recall %.3f < 0.95", i, r)
				}
				if i < 3 {
					continue
				}
				for _, ch := range tpl.Chrome {
					for _, p := range doc.Paragraphs {
						if strings.Contains(p, ch) {
							t.Errorf("article %d: chrome %q survived in %q", i, ch, p)
						}
					}
				}
			}
		})
	}
}
