package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "host lower, fragment dropped", in: "HTTP://News.Example.COM/a/B#x", want: "http://news.example.com/a/B"},
		{name: "default port", in: "https://a.example:443/x", want: "https://a.example/x"},
		{name: "other port kept", in: "http://a.example:8080", want: "http://a.example:8080/"},
		{name: "query sorted, trackers dropped", in: "https://a.example/p?z=1&utm_source=tw&a=2&fbclid=x&gclid=y&UTM_Medium=m", want: "https://a.example/p?a=2&z=1"},
		{name: "only trackers", in: "https://a.example/p?utm_campaign=c", want: "https://a.example/p"},
		{name: "user info dropped", in: "https://u:p@a.example/", want: "https://a.example/"},
		{name: "not http", in: "ftp://a.example/x", wantErr: true},
		{name: "javascript", in: "javascript:alert(1)", wantErr: true},
		{name: "relative", in: "/just/a/path", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Normalize(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{name: "seconds", in: "3", want: 3 * time.Second},
		{name: "date", in: "Mon, 01 Jan 2024 00:00:10 GMT", want: 10 * time.Second},
		{name: "past date", in: "Sun, 31 Dec 2023 00:00:10 GMT", want: 0},
		{name: "garbage", in: "soon", want: 0},
		{name: "empty", in: "", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDepthLimit(t *testing.T) {
	s := serveSite(t, "site-depth", nil)
	opts := testOptions(s.URL + "/")
	opts.MaxDepth = 2
	r := crawl(t, opts, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{s.URL + "/", s.URL + "/a.html", s.URL + "/b.html"}
	if diff := cmp.Diff(want, r.urls()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	if n := s.hitCount("/c.html"); n != 0 {
		t.Errorf("/c.html (depth 3) fetched %d times", n)
	}
	if got := testutil.ToFloat64(r.metrics.Requests.WithLabelValues("test", "2xx")); got != 3 {
		t.Errorf("2xx requests = %v, want 3 (robots.txt 404 is 4xx)", got)
	}
}

func TestRobotsAndAnnouncedSitemap(t *testing.T) {
	s := serveSite(t, "site-robots", nil)
	r := crawl(t, testOptions(s.URL+"/"), nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{s.URL + "/", s.URL + "/news/1.html"}
	if diff := cmp.Diff(want, r.urls()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	for _, p := range []string{"/private/secret.html", "/private/2.html"} {
		if n := s.hitCount(p); n != 0 {
			t.Errorf("%s disallowed by robots.txt but fetched %d times", p, n)
		}
	}
	if got := testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", "robots")); got != 2 {
		t.Errorf("robots fetch errors = %v, want 2", got)
	}
	if r.stats.Robots != 2 || r.stats.FetchErrors != 0 {
		t.Errorf("stats: robots %d, fetch errors %d; want 2 and 0", r.stats.Robots, r.stats.FetchErrors)
	}

	// --ignore-robots fetches them.
	opts := testOptions(s.URL + "/")
	opts.RespectRobots = false
	r = crawl(t, opts, nil, nil)
	if _, ok := r.pages[s.URL+"/private/secret.html"]; !ok {
		t.Errorf("with robots ignored, /private/secret.html not emitted: %v", r.urls())
	}
}

func TestCrawlDelayAndUserAgent(t *testing.T) {
	s := serveSite(t, "site-depth", map[string]http.HandlerFunc{"/robots.txt": func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: other\nDisallow: /\n\nUser-agent: winnow-test\nCrawl-delay: 0.2\nDisallow: /c.html\n")
	}})
	opts := testOptions(s.URL + "/")
	opts.Parallel = 4
	r := crawl(t, opts, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if diff := cmp.Diff([]string{s.URL + "/", s.URL + "/a.html", s.URL + "/b.html"}, r.urls()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	log := s.log()
	for i, req := range log {
		if req.agent != "winnow-test/1.0" {
			t.Errorf("request %s with User-Agent %q", req.path, req.agent)
		}
		if i >= 2 { // the delay applies from robots.txt's answer on
			if gap := req.at.Sub(log[i-1].at); gap < 180*time.Millisecond {
				t.Errorf("%s came %v after %s, want >= 200ms (Crawl-delay)", req.path, gap, log[i-1].path)
			}
		}
	}
}

func TestSitemapIndexWithGzippedChild(t *testing.T) {
	s := serveSite(t, "site-sitemap", nil)
	opts := testOptions()
	opts.Sitemaps = []string{s.URL + "/sitemap_index.xml"}
	r := crawl(t, opts, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{s.URL + "/news/1.html", s.URL + "/news/2.html"}
	if diff := cmp.Diff(want, r.urls()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	if n := s.hitCount("/child.xml.gz"); n != 1 {
		t.Errorf("child sitemap fetched %d times, want 1", n)
	}
}

func TestFeeds(t *testing.T) {
	s := serveSite(t, "site-feeds", nil)
	opts := testOptions()
	opts.Feeds = []string{s.URL + "/rss.xml", s.URL + "/atom.xml", s.URL + "/feed.json"}
	r := crawl(t, opts, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{s.URL + "/a/atom1.html", s.URL + "/a/json1.html", s.URL + "/a/rss1.html", s.URL + "/a/rss2.html"}
	if diff := cmp.Diff(want, r.urls()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
}

// flaky answers status (with Retry-After when set) to the first n requests, then a page.
func flaky(n int, status int, retryAfter string) http.HandlerFunc {
	var calls atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if int(calls.Add(1)) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body><p>finally</p></body></html>")
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		retries   int
		timeout   time.Duration
		emitted   bool
		minTime   time.Duration
		codes     map[string]float64
		errReason string
	}{
		{name: "503 with Retry-After 1 then 200", handler: flaky(1, 503, "1"), retries: 2, emitted: true, minTime: time.Second,
			codes: map[string]float64{"2xx": 1, "5xx": 1}},
		{name: "429 twice then 200", handler: flaky(2, 429, ""), retries: 2, emitted: true,
			codes: map[string]float64{"2xx": 1, "4xx": 2}},
		{name: "500 until retries run out", handler: flaky(100, 500, ""), retries: 2,
			codes: map[string]float64{"5xx": 3}},
		{name: "404 is not retried", handler: flaky(100, 404, ""),
			codes: map[string]float64{"4xx": 1}},
		{name: "timeout", retries: 1, timeout: 200 * time.Millisecond, errReason: "timeout",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
			},
			codes: map[string]float64{"error": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveSite(t, "site-depth", map[string]http.HandlerFunc{"/p": tt.handler})
			opts := testOptions(s.URL + "/p")
			opts.NoRobotsSitemaps, opts.RespectRobots = true, false
			opts.Retries = tt.retries
			if tt.timeout > 0 {
				opts.Timeout = tt.timeout
			}
			start := time.Now()
			r := crawl(t, opts, nil, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if _, ok := r.pages[s.URL+"/p"]; ok != tt.emitted {
				t.Errorf("emitted = %v, want %v", ok, tt.emitted)
			}
			if el := time.Since(start); el < tt.minTime {
				t.Errorf("took %v, want at least %v (Retry-After)", el, tt.minTime)
			}
			for code, want := range tt.codes {
				if got := testutil.ToFloat64(r.metrics.Requests.WithLabelValues("test", code)); got != want {
					t.Errorf("requests{code=%s} = %v, want %v", code, got, want)
				}
			}
			if tt.errReason != "" {
				if got := testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", tt.errReason)); got == 0 {
					t.Errorf("no fetch error with reason %s", tt.errReason)
				}
			}
		})
	}
}

func TestFetchFailures(t *testing.T) {
	bomb := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte("<html><body>"))
		zw.Write(make([]byte, 50<<20)) // 50 MiB of zeros, ~50 KiB compressed
		zw.Close()
		return buf.Bytes()
	}()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		reason  string
	}{
		{name: "redirect loop", reason: "other", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/p?n="+fmt.Sprint(len(r.URL.RawQuery)), http.StatusFound)
		}},
		{name: "body over max_body", reason: "too_large", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write(bytes.Repeat([]byte("<p>x</p>"), 4096)) // 32 KiB, chunked: no Content-Length
			w.(http.Flusher).Flush()
			w.Write(bytes.Repeat([]byte("<p>x</p>"), 4096))
		}},
		{name: "gzip bomb", reason: "too_large", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveSite(t, "site-depth", map[string]http.HandlerFunc{"/p": tt.handler})
			opts := testOptions(s.URL + "/p")
			opts.NoRobotsSitemaps, opts.RespectRobots = true, false
			opts.MaxBody = 16 << 10
			r := crawl(t, opts, nil, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if len(r.pages) != 0 {
				t.Errorf("emitted %v, want nothing", r.urls())
			}
			if got := testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", tt.reason)); got != 1 {
				t.Errorf("fetch errors{reason=%s} = %v, want 1", tt.reason, got)
			}
			if r.stats.FetchErrors != 1 {
				t.Errorf("stats.FetchErrors = %d, want 1", r.stats.FetchErrors)
			}
		})
	}
}

func TestGBKPageWithoutCharsetIsPassedRaw(t *testing.T) {
	s := serveSite(t, "site-gbk", nil)
	opts := testOptions(s.URL + "/article.html")
	r := crawl(t, opts, nil, nil)
	want, err := os.ReadFile("testdata/site-gbk/article.html")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.pages[s.URL+"/article.html"]
	if !ok {
		t.Fatalf("GBK page not emitted: %v", r.urls())
	}
	if !bytes.Equal(p.Body, want) {
		t.Errorf("body was re-encoded; want the GBK bytes as served")
	}
	if ct := p.Header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type %q", ct)
	}
}

const newsArticles = `/\d{4}/\d{2}/`

func TestRecrawlUnchangedSendsValidators(t *testing.T) {
	s := serveSite(t, "site-news", nil)
	store := openTestStore(t)
	opts := testOptions(s.URL + "/")
	opts.Article = mustRe(newsArticles)
	first := crawl(t, opts, store, nil)
	if first.err != nil {
		t.Fatal(first.err)
	}
	want := []string{s.URL + "/2024/01/first-story.html", s.URL + "/2024/01/second-story.html", s.URL + "/2024/01/third-story.html"}
	if diff := cmp.Diff(want, first.urls()); diff != "" {
		t.Fatalf("first run emitted (-want +got):\n%s", diff)
	}
	for _, p := range first.pages {
		if p.Unchanged || p.Status != 200 {
			t.Errorf("first run: %s status %d unchanged %v", p.URL, p.Status, p.Unchanged)
		}
	}
	second := crawl(t, opts, store, nil)
	if second.err != nil {
		t.Fatal(second.err)
	}
	if diff := cmp.Diff(want, second.urls()); diff != "" {
		t.Errorf("second run emitted (-want +got):\n%s", diff)
	}
	for _, p := range second.pages {
		if !p.Unchanged || p.Status != http.StatusNotModified || p.Body != nil {
			t.Errorf("second run: %s status %d unchanged %v", p.URL, p.Status, p.Unchanged)
		}
	}
	if got := s.statusOf("/2024/01/third-story.html"); got != http.StatusNotModified {
		t.Errorf("article re-fetch answered %d, want 304", got)
	}
	for _, p := range []string{"/", "/world/"} {
		if got := s.statusOf(p); got != http.StatusOK {
			t.Errorf("section %s re-fetch answered %d, want 200 (sections are fetched in full every run)", p, got)
		}
		if got := s.hitCount(p); got != 2 {
			t.Errorf("section %s fetched %d times over two runs, want 2", p, got)
		}
	}

	// A changed article is fetched in full again.
	s.setBody("/2024/01/third-story.html", "<html><body><p>changed</p></body></html>")
	third := crawl(t, opts, store, nil)
	p := third.pages[s.URL+"/2024/01/third-story.html"]
	if p.Unchanged || p.Status != 200 || !strings.Contains(string(p.Body), "changed") {
		t.Errorf("changed article: status %d unchanged %v", p.Status, p.Unchanged)
	}
	if p := third.pages[s.URL+"/2024/01/first-story.html"]; !p.Unchanged {
		t.Errorf("unchanged article not marked unchanged in third run")
	}
}

// With no article patterns every page is an article, sections included: a
// re-crawl must still read the sections' links, or a new story linked from
// an unchanged section page would never be found.
func TestRecrawlEveryPageModeFindsNewLinks(t *testing.T) {
	s := serveSite(t, "site-news", nil)
	store := openTestStore(t)
	opts := testOptions(s.URL + "/")
	if first := crawl(t, opts, store, nil); first.err != nil {
		t.Fatal(first.err)
	}
	// The front page is unchanged; the world section links a new story.
	s.setBody("/world/", `<html><body><a href="/2024/01/third-story.html">Third</a> <a href="/2024/01/fourth-story.html">Fourth</a></body></html>`)
	s.setBody("/2024/01/fourth-story.html", `<html><body><p>A new story.</p></body></html>`)
	second := crawl(t, opts, store, nil)
	if second.err != nil {
		t.Fatal(second.err)
	}
	p, ok := second.pages[s.URL+"/2024/01/fourth-story.html"]
	if !ok || p.Unchanged || p.Status != http.StatusOK {
		t.Errorf("new story behind an unchanged front page: emitted %v, status %d, unchanged %v; emitted %v", ok, p.Status, p.Unchanged, second.urls())
	}
	if front := second.pages[s.URL+"/"]; !front.Unchanged || front.Status != http.StatusOK {
		t.Errorf("front page re-fetch: status %d unchanged %v, want 200 and unchanged (fetched in full, same hash)", front.Status, front.Unchanged)
	}
	// A leaf (at the depth limit, its links never followed) may answer 304.
	if got := s.statusOf("/2024/01/third-story.html"); got != http.StatusNotModified && got != http.StatusOK {
		t.Errorf("third story answered %d", got)
	}
}

func TestResumeAfterInterruption(t *testing.T) {
	s := serveSite(t, "site-news", nil)
	store := openTestStore(t)
	opts := testOptions(s.URL + "/")
	opts.Article = mustRe(newsArticles)
	opts.Parallel = 1

	// First run: stop while emitting the second article; the first is done.
	c, err := New(opts, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var first []string
	err = c.Run(ctx, func(ctx context.Context, p Page) error {
		if len(first) == 1 {
			cancel()
			return ctx.Err()
		}
		first = append(first, p.URL)
		return nil
	})
	if err == nil {
		t.Fatal("interrupted run returned nil")
	}
	// Second run resumes: the done URL is not emitted again, nothing is lost.
	r := crawl(t, opts, store, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	all := append(append([]string{}, first...), r.emits...)
	sort.Strings(all)
	want := []string{s.URL + "/2024/01/first-story.html", s.URL + "/2024/01/second-story.html", s.URL + "/2024/01/third-story.html"}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("emits over both runs (-want +got):\n%s", diff)
	}
	if n := s.hitCount("/"); n != 1 {
		t.Errorf("seed fetched %d times; a resumed run must not start over", n)
	}
	// The run finished: the next one starts afresh from the seeds.
	r = crawl(t, opts, store, nil)
	if len(r.emits) != 3 || s.hitCount("/") != 2 {
		t.Errorf("after a finished run, next run emitted %v", r.emits)
	}
}

func TestMaxPages(t *testing.T) {
	s := serveSite(t, "site-depth", nil)
	opts := testOptions(s.URL + "/")
	opts.MaxPages = 2
	opts.NoRobotsSitemaps, opts.RespectRobots = true, false
	r := crawl(t, opts, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.pages) != 2 {
		t.Errorf("emitted %v, want 2 pages", r.urls())
	}
}

func TestPrivateAddressRefusedOnRedirect(t *testing.T) {
	// The target listens on 127.0.0.2; it must never see a request.
	var targetHits atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		fmt.Fprint(w, "<html><body>internal</body></html>")
	}))
	target.Listener.Close()
	target.Listener = ln
	target.Start()
	t.Cleanup(target.Close)

	s := serveSite(t, "site-depth", map[string]http.HandlerFunc{"/go": func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/admin", http.StatusFound)
	}})
	allowed := netip.MustParseAddrPort(strings.TrimPrefix(s.URL, "http://"))
	opts := testOptions(s.URL + "/go")
	opts.AllowPrivate = false
	opts.NoRobotsSitemaps, opts.RespectRobots = true, false
	r := crawl(t, opts, nil, func(c *Crawler) {
		// The test site is on loopback too: let exactly it through, as if it
		// were a public host, and keep the real guard for everything else.
		c.guard = func(ap netip.AddrPort) bool { return ap == allowed || publicOnly(ap) }
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", "private_address")); got != 1 {
		t.Errorf("private_address errors = %v, want 1", got)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("private target got %d requests", n)
	}
	if s.hitCount("/go") != 1 {
		t.Errorf("allowed host not fetched")
	}

	// Without the test exception the loopback seed itself is refused.
	r = crawl(t, opts, nil, nil)
	if r.stats.Fetched != 0 || testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", "private_address")) != 1 {
		t.Errorf("loopback seed: fetched %d, private_address %v", r.stats.Fetched,
			testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", "private_address")))
	}
}

func TestPublicOnly(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{name: "public v4", addr: "93.184.216.34:80", want: true},
		{name: "public v6", addr: "[2606:2800:220:1:248:1893:25c8:1946]:443", want: true},
		{name: "loopback", addr: "127.0.0.2:80"},
		{name: "private 10/8", addr: "10.1.2.3:80"},
		{name: "private 192.168", addr: "192.168.1.1:80"},
		{name: "link-local", addr: "169.254.169.254:80"},
		{name: "v6 loopback", addr: "[::1]:80"},
		{name: "v6 ula", addr: "[fd00::1]:80"},
		{name: "v4-mapped loopback", addr: "[::ffff:127.0.0.1]:80"},
		{name: "multicast", addr: "224.0.0.1:80"},
		{name: "unspecified", addr: "0.0.0.0:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := publicOnly(netip.MustParseAddrPort(tt.addr)); got != tt.want {
				t.Errorf("publicOnly(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestParseSitemap(t *testing.T) {
	tests := []struct {
		name            string
		body            string
		pages, children []string
		wantErr         bool
	}{
		{name: "urlset", body: `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc> https://a.example/1 </loc></url><url><loc></loc></url></urlset>`,
			pages: []string{"https://a.example/1"}},
		{name: "index", body: `<?xml version="1.0"?><sitemapindex><sitemap><loc>https://a.example/s1.xml.gz</loc></sitemap></sitemapindex>`,
			children: []string{"https://a.example/s1.xml.gz"}},
		{name: "html is not a sitemap", body: `<html><body>hi</body></html>`, wantErr: true},
		{name: "garbage", body: "\x00\x01not xml", wantErr: true},
		{name: "other charset refused", body: `<?xml version="1.0" encoding="ISO-8859-1"?><urlset></urlset>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, children, err := parseSitemap([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.pages, pages); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.children, children); diff != "" {
				t.Errorf("children (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "too large", err: fmt.Errorf("fetch x: %w", ErrTooLarge), want: "too_large"},
		{name: "private", err: &net.OpError{Op: "dial", Err: fmt.Errorf("dial 10.0.0.1:80: %w", ErrPrivateAddress)}, want: "private_address"},
		{name: "robots", err: ErrRobots, want: "robots"},
		{name: "dns", err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, want: "dns"},
		{name: "refused", err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, want: "refused"},
		{name: "deadline", err: fmt.Errorf("get: %w", context.DeadlineExceeded), want: "timeout"},
		{name: "tls", err: &tls.CertificateVerificationError{Err: errors.New("bad")}, want: "tls"},
		{name: "other", err: ErrTooManyRedirects, want: "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.err); got != tt.want {
				t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestUntrustedCertificateIsTLSError(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html></html>")
	}))
	t.Cleanup(s.Close)
	opts := testOptions(s.URL + "/")
	opts.NoRobotsSitemaps, opts.RespectRobots = true, false
	r := crawl(t, opts, nil, nil)
	if got := testutil.ToFloat64(r.metrics.FetchErrors.WithLabelValues("test", "tls")); got != 1 {
		t.Errorf("tls fetch errors = %v, want 1", got)
	}
}

// TestRedirectScope: a redirect is kept within the job's scope as a link is.
// A page redirecting to another host is dropped without a request there;
// a seed that moves to another host takes that host into the scope.
func TestRedirectScope(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		fmt.Fprint(w, "<html><body><p>elsewhere</p></body></html>")
	}))
	t.Cleanup(other.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><a href="/out">out</a> <a href="/in">in</a></body></html>`)
	})
	mux.HandleFunc("/out", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	})
	mux.HandleFunc("/in", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/story.html", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/story.html", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body><p>the story</p></body></html>")
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, site.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(moved.Close)

	for _, tt := range []struct {
		name, seed string
		want       []string
	}{
		{name: "off-scope redirect dropped", seed: site.URL + "/", want: []string{site.URL + "/", site.URL + "/in"}},
		{name: "moved seed followed", seed: moved.URL + "/", want: []string{moved.URL + "/", site.URL + "/in"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			otherHits.Store(0)
			opts := testOptions(tt.seed)
			opts.RespectRobots, opts.NoRobotsSitemaps = false, true
			r := crawl(t, opts, nil, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			sort.Strings(tt.want)
			if diff := cmp.Diff(tt.want, r.urls()); diff != "" {
				t.Errorf("emitted (-want +got):\n%s", diff)
			}
			if p := r.pages[site.URL+"/in"]; p.FinalURL != site.URL+"/story.html" {
				t.Errorf("in-scope redirect: final URL %q", p.FinalURL)
			}
			if n := otherHits.Load(); n != 0 {
				t.Errorf("off-scope host got %d requests", n)
			}
			if r.stats.OffScope != 1 || r.stats.FetchErrors != 0 {
				t.Errorf("stats: off-scope %d, fetch errors %d; want 1 and 0", r.stats.OffScope, r.stats.FetchErrors)
			}
		})
	}
}

// Refresh ignores what earlier runs recorded: no validators are sent and
// every article is emitted as changed.
func TestRefreshFetchesArticlesInFull(t *testing.T) {
	s := serveSite(t, "site-news", nil)
	store := openTestStore(t)
	opts := testOptions(s.URL + "/")
	opts.Article = mustRe(newsArticles)
	if first := crawl(t, opts, store, nil); first.err != nil {
		t.Fatal(first.err)
	}
	opts.Refresh = true
	second := crawl(t, opts, store, nil)
	if second.err != nil {
		t.Fatal(second.err)
	}
	if len(second.pages) != 3 {
		t.Fatalf("refresh emitted %v", second.urls())
	}
	for _, p := range second.pages {
		if p.Unchanged || p.Status != http.StatusOK || len(p.Body) == 0 {
			t.Errorf("refresh: %s status %d unchanged %v", p.URL, p.Status, p.Unchanged)
		}
	}
}

// TestWrittenIDGoesIntoDone: the output id a receiver reports with
// Page.Written is stored in the URL's record by the crawler's Done; an
// article the receiver did not report keeps the id it had; a page built
// outside a crawl reports false.
func TestWrittenIDGoesIntoDone(t *testing.T) {
	s := serveSite(t, "site-news", nil)
	store := openTestStore(t)
	opts := testOptions(s.URL + "/")
	opts.Article = mustRe(newsArticles)
	first, second := s.URL+"/2024/01/first-story.html", s.URL+"/2024/01/second-story.html"
	run := func(report map[string]string) {
		t.Helper()
		c, err := New(opts, store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Run(context.Background(), func(ctx context.Context, p Page) error {
			if id, ok := report[p.URL]; ok && !p.Written(id) {
				t.Errorf("Written(%s) = false for a crawled page", p.URL)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	idOf := func(u string) string {
		t.Helper()
		rec, ok, err := store.Record(context.Background(), opts.Job, u)
		if err != nil || !ok {
			t.Fatalf("record of %s: %v %v", u, ok, err)
		}
		return rec.OutputID
	}
	run(map[string]string{first: "00000000000000a1", second: "00000000000000b2"})
	if got := []string{idOf(first), idOf(second)}; !cmp.Equal(got, []string{"00000000000000a1", "00000000000000b2"}) {
		t.Errorf("after the first run: output ids %q", got)
	}
	s.setBody("/2024/01/first-story.html", "<html><body><p>changed</p></body></html>")
	s.setBody("/2024/01/second-story.html", "<html><body><p>changed too</p></body></html>")
	run(map[string]string{first: "00000000000000c3"})
	if got := []string{idOf(first), idOf(second)}; !cmp.Equal(got, []string{"00000000000000c3", "00000000000000b2"}) {
		t.Errorf("after the second run: output ids %q, want the new one and the kept one", got)
	}
	if (Page{URL: first}).Written("x") {
		t.Error("Written = true for a page that did not come from a crawl")
	}
}
