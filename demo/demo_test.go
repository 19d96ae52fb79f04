package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"winnow/config"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func newServer(t *testing.T) (*Site, *httptest.Server) {
	t.Helper()
	site, err := NewSite()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	return site, srv
}

func TestSiteArticles(t *testing.T) {
	site, srv := newServer(t)
	if n := len(site.Articles()); n != 12 {
		t.Fatalf("%d articles, want 12", n)
	}
	// The chrome each layout must carry, so the demo shows the cleaner at work.
	chrome := map[string][]string{
		"standard": {"We use cookies", "Share this article", "Read more:", "Sign up to The Morning Tide", "Topics:", "More from", "Comments ("},
		"premium":  {"We use cookies", "Username or email address", "Register for free to continue reading", "Already have an account?", "Join our new commenting forum"},
		"portal":   {"您好,欢迎访问", "用户名/邮箱", "登录密码", "验证码", "看不清?换一张", "您的位置:", "原网页", "Need help?", "Visit our adblocking instructions page.", "标签:综合", "关键词:", "滚动新闻"},
		"liveblog": {"Watch live:", "Watch:", "Premium:", "Updates to follow..."},
	}
	layouts := map[string]int{}
	for _, a := range site.Articles() {
		t.Run(a.Path, func(t *testing.T) {
			layouts[a.Layout]++
			code, body := get(t, srv.URL+a.Path)
			if code != 200 {
				t.Fatalf("GET %s: %d", a.Path, code)
			}
			if !regexp.MustCompile(`^/\d{4}/\d{2}/\d{2}/[a-z-]+\.html$`).MatchString(a.Path) {
				t.Errorf("path %q does not look like an article URL", a.Path)
			}
			for _, p := range a.Paragraphs {
				if !strings.Contains(body, escaped(p)) {
					t.Errorf("paragraph missing: %.60s", p)
				}
			}
			for _, c := range chrome[a.Layout] {
				if !strings.Contains(body, c) {
					t.Errorf("%s layout lacks %q", a.Layout, c)
				}
			}
			if want := `<link rel="canonical" href="` + srv.URL + a.Path + `">`; !strings.Contains(body, want) {
				t.Errorf("no canonical link %s", want)
			}
		})
	}
	for l := range chrome {
		if layouts[l] < 2 {
			t.Errorf("layout %s used %d times, want at least 2", l, layouts[l])
		}
	}
}

// escaped escapes s as html/template would in text.
func escaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestSiteIndexAndSections(t *testing.T) {
	site, srv := newServer(t)
	code, body := get(t, srv.URL+"/")
	if code != 200 {
		t.Fatalf("index: %d", code)
	}
	for _, a := range site.Articles() {
		if !strings.Contains(body, `href="`+a.Path+`"`) {
			t.Errorf("index does not link %s", a.Path)
		}
	}
	for _, sec := range sections {
		code, body := get(t, srv.URL+"/"+sec.Slug+"/")
		if code != 200 || !strings.Contains(body, "<h1>"+sec.Title+"</h1>") {
			t.Errorf("section %s: %d", sec.Slug, code)
		}
	}
	for _, p := range []string{"/about.html", "/login", "/static/style.css"} {
		if code, _ := get(t, srv.URL+p); code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}
	if code, _ := get(t, srv.URL+"/2026/01/01/nothing.html"); code != 404 {
		t.Errorf("unknown page: %d, want 404", code)
	}
}

func TestSiteRobotsSitemapFeed(t *testing.T) {
	site, srv := newServer(t)
	_, robots := get(t, srv.URL+"/robots.txt")
	if !strings.Contains(robots, "Sitemap: "+srv.URL+"/sitemap.xml") || !strings.Contains(robots, "Disallow: /search") {
		t.Errorf("robots.txt:\n%s", robots)
	}
	_, sm := get(t, srv.URL+"/sitemap.xml")
	if got := strings.Count(sm, "<loc>"+srv.URL+"/20"); got != len(site.Articles()) {
		t.Errorf("sitemap has %d article URLs, want %d:\n%s", got, len(site.Articles()), sm)
	}
	_, feedXML := get(t, srv.URL+"/feed.xml")
	feed, err := gofeed.NewParser().ParseString(feedXML)
	if err != nil {
		t.Fatalf("feed: %v\n%s", err, feedXML)
	}
	if len(feed.Items) != 10 || feed.Items[0].Link != srv.URL+site.Articles()[0].Path || feed.Items[0].PublishedParsed == nil {
		t.Errorf("feed: %d items, first %+v", len(feed.Items), feed.Items[0])
	}
}

func TestConfig(t *testing.T) {
	site, srv := newServer(t)
	cfg, err := config.Parse("demo.yaml", []byte(Config(srv.URL, "./out dir's", "127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	j, ok := cfg.Job(JobName)
	if !ok || !j.AllowPrivate || j.Schedule != "@every 10s" || cfg.Output.Dir != "./out dir's" || cfg.HTTP.Listen != "127.0.0.1:0" {
		t.Fatalf("demo config: %+v", cfg)
	}
	for _, a := range site.Articles() {
		u := srv.URL + a.Path
		if !j.Allow[0].MatchString(u) || !j.Article[0].MatchString(u) {
			t.Errorf("%s not allowed or not an article", u)
		}
	}
	if j.Article[0].MatchString(srv.URL + "/local/") {
		t.Error("a section page counts as an article")
	}
}
