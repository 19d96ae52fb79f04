package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/config"
	"winnow/crawler"
	"winnow/internal/testredis"
)

func TestJobOptions(t *testing.T) {
	cfg := testConfig(t, `
defaults:
  user_agent: "test-bot/1.0"
  parallel: 3
  delay: 200ms
  max_depth: 1
  min_words: 120
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
    languages: [en, de]
`)
	got := JobOptions(cfg, cfg.Jobs[0])
	want := RunOptions{Options: crawler.Options{
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
	}, Filter: config.Filter{MinWords: 120, Languages: []string{"en", "de"}, NearDuplicates: config.DefaultFilter().NearDuplicates}, Archive: config.Archive{MaxSize: 1 << 30}}
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
		{"bad redis url", config.State{Backend: "redis", Addr: "redis://[::1"}, "open state redis redis://[::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenStore(tt.st, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenStore: %v, want %q", err, tt.want)
			}
		})
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestOpenStoreBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "sub", "winnow.db")
	s, err := OpenStore(config.State{Backend: "bolt", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("state file: %v", err)
	}
}

// TestOpenStoreRedis runs against a real redis-server on a loopback port.
func TestOpenStoreRedis(t *testing.T) {
	srv := testredis.Start(t)
	s, err := OpenStore(config.State{Backend: "redis", Addr: srv.Addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
