package daemon

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/config"
	"winnow/crawler"
)

func TestJobOptions(t *testing.T) {
	cfg := testConfig(t, `
defaults:
  user_agent: "test-bot/1.0"
  parallel: 3
  delay: 200ms
  max_depth: 1
jobs:
  - name: news
    schedule: "@every 1m"
    seeds: [http://127.0.0.1:1/]
    sitemaps: [http://127.0.0.1:1/sitemap.xml]
    feeds: [http://127.0.0.1:1/feed.xml]
    allow: ['^http://127\.0\.0\.1']
    deny: ['\.pdf$']
    article: ['/\d{4}/']
    max_body: 1MiB
    max_pages: 50
    timeout: 5s
    respect_robots: false
    allow_private: true
`)
	got := JobOptions(cfg, cfg.Jobs[0])
	want := crawler.Options{
		Job:           "news",
		Seeds:         []string{"http://127.0.0.1:1/"},
		Sitemaps:      []string{"http://127.0.0.1:1/sitemap.xml"},
		Feeds:         []string{"http://127.0.0.1:1/feed.xml"},
		Allow:         []*regexp.Regexp{regexp.MustCompile(`^http://127\.0\.0\.1`)},
		Deny:          []*regexp.Regexp{regexp.MustCompile(`\.pdf$`)},
		Article:       []*regexp.Regexp{regexp.MustCompile(`/\d{4}/`)},
		MaxDepth:      1,
		MaxPages:      50,
		Parallel:      3,
		Delay:         200 * time.Millisecond,
		Timeout:       5 * time.Second,
		MaxBody:       1 << 20,
		UserAgent:     "test-bot/1.0",
		RespectRobots: false,
		AllowPrivate:  true,
		Retries:       2,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b *regexp.Regexp) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("JobOptions (-want +got):\n%s", diff)
	}
}

func TestOpenStoreErrors(t *testing.T) {
	tests := []struct {
		name string
		st   config.State
		want string
	}{
		{"unknown backend", config.State{Backend: "sqlite"}, `open state: unknown backend "sqlite"`},
		{"redis not yet", config.State{Backend: "redis", Addr: "127.0.0.1:6379"}, "redis backend is not implemented yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenStore(tt.st)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenStore: %v, want %q", err, tt.want)
			}
		})
	}
}
