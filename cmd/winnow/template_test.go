package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"winnow/eval"
	"winnow/internal/testredis"
	"winnow/internal/testsite"
	"winnow/output"
)

// templateCases are the golden cases whose chrome makes a site template.
var templateCases = []string{
	"seed-002-news-site", "seed-004-wordpress", "rule-cookie-notice-de",
	"rule-login-prompt-fr", "news-typo-channel-prompts-ru", "liveblog-regwall-reworded-en",
}

// perSite is the number of articles of each template site: enough for
// every chrome line to recur on the three other pages, two of them
// articles, the template asks for, with the first pages of each site
// cleaned before that.
const perSite = 6

// templateSite serves one template's site: an index page linking to every
// article, and the articles, each the template around another text.
func templateSite(t *testing.T, tpl *testsite.Template, arts []testsite.Article) *httptest.Server {
	t.Helper()
	pages := make([][]byte, len(arts))
	links := make([]testsite.Link, len(arts))
	for i, a := range arts {
		b, err := tpl.Article(a, i)
		if err != nil {
			t.Fatal(err)
		}
		pages[i] = b
		links[i] = testsite.Link{URL: fmt.Sprintf("/news/%d.html", i), Title: a.Title}
	}
	index, err := tpl.Index("Latest news", links)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(index)
	})
	mux.HandleFunc("/news/{name}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("name"), ".html"))
		if err != nil || i < 0 || i >= len(pages) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[i])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestCrawlLearnsSiteTemplates crawls six sites, each nine articles in the
// chrome of one golden page (with lines no phrase rule knows added to
// every article): no chrome string is left in any document and the
// article text is kept. The first articles of each site are cleaned before
// its template is known; the end of the run cleans them again and
// replaces them.
func TestCrawlLearnsSiteTemplates(t *testing.T) {
	t.Parallel()
	arts, err := testsite.Articles(filepath.Join("..", "..", "testdata", "article-extraction-benchmark", "ground-truth.json"), perSite*len(templateCases))
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var extra []string
			if backend == "redis" {
				addr := testredis.Start(t).Addr
				extra = []string{"--config", writeFile(t, filepath.Join(t.TempDir(), "winnow.yaml"), fmt.Sprintf("state: {backend: redis, addr: %q}\njobs:\n  - name: sites\n    schedule: '@every 1h'\n    seeds: ['http://127.0.0.1:9/']\n", addr))}
			}
			crawlTemplateSites(t, arts, extra)
		})
	}
}

func crawlTemplateSites(t *testing.T, arts []testsite.Article, extra []string) {
	out := t.TempDir()
	args := append([]string{"crawl"}, extra...)
	args = append(args, "--allow-private", "--delay", "0", "--article", `/news/`, "--allow", `^http://127\.0\.0\.1:\d+/(news/.*)?$`, "--out", out)
	type site struct {
		host string
		tpl  *testsite.Template
		arts []testsite.Article
	}
	var sites []site
	for k, name := range templateCases {
		tpl, err := testsite.LoadTemplate(filepath.Join("..", "..", "cleaner", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		own := arts[k*perSite : (k+1)*perSite]
		srv := templateSite(t, tpl, own)
		u, _ := url.Parse(srv.URL)
		sites = append(sites, site{host: u.Host, tpl: tpl, arts: own})
		args = append(args, srv.URL+"/")
	}
	r := runWinnow(t, "", args...)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	// Every article written once, and the first ones of each site (cleaned
	// before its template was known) rewritten at the end of the run.
	var total, fresh, replaced int
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "written") {
			fmt.Sscanf(strings.TrimSpace(l), "written %d (%d new, %d replaced)", &total, &fresh, &replaced)
		}
	}
	if fresh != len(arts) || replaced < len(sites) {
		t.Errorf("summary: %d new (want %d), %d replaced (want at least one per site, %d):\n%s", fresh, len(arts), replaced, len(sites), r.stdout)
	}
	worst := 1.0
	for _, s := range sites {
		for i, a := range s.arts {
			path := filepath.Join(out, s.host, output.ID(fmt.Sprintf("http://%s/news/%d.html", s.host, i))+".txt")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s article %d: %v", s.tpl.Name, i, err)
				continue
			}
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			body := strings.Join(lines[min(4, len(lines)):], "\n")
			for _, ch := range s.tpl.Chrome {
				if strings.Contains(body, ch) {
					t.Errorf("%s article %d: chrome %q survived", s.tpl.Name, i, ch)
				}
			}
			rec := eval.ScorePage(a.Text(), body).Recall
			worst = min(worst, rec)
			if rec < 0.95 {
				t.Errorf("%s article %d: body recall %.3f < 0.95", s.tpl.Name, i, rec)
			}
		}
	}
	t.Logf("%d sites × %d articles; lowest body recall %.3f; summary:\n%s", len(sites), perSite, worst, r.stdout)
}

// TestCleanLearnsSiteTemplate: `clean --out` over the saved pages of one
// site learns its template in a first pass, and `clean --explain --site`
// shows what the template removes from one page.
func TestCleanLearnsSiteTemplate(t *testing.T) {
	t.Parallel()
	arts, err := testsite.Articles(filepath.Join("..", "..", "testdata", "article-extraction-benchmark", "ground-truth.json"), perSite)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := testsite.LoadTemplate(filepath.Join("..", "..", "cleaner", "testdata", "seed-002-news-site"))
	if err != nil {
		t.Fatal(err)
	}
	saved := t.TempDir()
	for i, a := range arts {
		b, err := tpl.Article(a, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(saved, fmt.Sprintf("%d.html", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	r := runInProcess(t, "", "clean", "--out", out, saved)
	if r.code != 0 {
		t.Fatalf("clean --out: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	docs, err := filepath.Glob(filepath.Join(out, "*", "*.txt"))
	if err != nil || len(docs) != len(arts) {
		t.Fatalf("%d documents, want %d (%v)", len(docs), len(arts), err)
	}
	for _, d := range docs {
		b, _ := os.ReadFile(d)
		if strings.Contains(string(b), testsite.Mark) {
			t.Errorf("%s: the site's chrome %q survived", d, testsite.Mark)
		}
	}

	page := filepath.Join(saved, "3.html")
	r = runInProcess(t, "", "clean", "--explain", page)
	if strings.Contains(r.stdout, "site_template") {
		t.Errorf("--explain without --site removed by site_template:\n%s", r.stdout)
	}
	r = runInProcess(t, "", "clean", "--explain", "--site", saved, page)
	if r.code != 0 {
		t.Fatalf("clean --explain --site: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"DROP  site_template  Ref. 103/2023 — " + testsite.Mark, "DROP  site_template  " + testsite.Mark + " · 116 readers"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--explain --site lacks %q:\n%s", want, r.stdout)
		}
	}
}
