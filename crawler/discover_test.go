package crawler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Feeds announced by <link rel="alternate"> on seed and section pages are
// read like configured feeds; entries of sitemaps and feeds are followed
// for links up to max_depth like other pages.
func TestDiscoveredFeedsAndFollowedEntries(t *testing.T) {
	tests := []struct {
		name     string
		maxDepth int
		want     []string // articles emitted
		notHit   []string // never fetched
	}{
		{
			name:     "depth 2",
			maxDepth: 2,
			want: []string{"/2024/02/feed-story.html", "/2024/02/linked-from-feed.html", "/2024/03/linked-from-sitemap.html",
				"/2024/03/sitemap-story.html", "/2024/04/json-story.html"},
			// an article's own feed, an alternate page that is no feed, a feed off the site
			notHit: []string{"/2024/02/comments.xml", "/2024/02/comment-1.html", "/de/"},
		},
		{
			// The section is at the depth limit: its links and feeds are
			// not read; the entries of the front page's feed and of the
			// sitemap are fetched but not followed.
			name:     "depth 1",
			maxDepth: 1,
			want:     []string{"/2024/02/feed-story.html", "/2024/03/sitemap-story.html"},
			notHit:   []string{"/world/feed.json", "/2024/02/linked-from-feed.html", "/2024/03/linked-from-sitemap.html", "/2024/04/json-story.html"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveSite(t, "site-discover", nil)
			opts := testOptions(s.URL + "/")
			opts.Sitemaps = []string{s.URL + "/sitemap.xml"}
			opts.Article = mustRe(newsArticles)
			opts.MaxDepth = tt.maxDepth
			r := crawl(t, opts, nil, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			var want []string
			for _, p := range tt.want {
				want = append(want, s.URL+p)
			}
			if diff := cmp.Diff(want, r.urls()); diff != "" {
				t.Errorf("emitted (-want +got):\n%s", diff)
			}
			for _, p := range tt.notHit {
				if n := s.hitCount(p); n != 0 {
					t.Errorf("%s fetched %d times, want never", p, n)
				}
			}
			if tt.maxDepth == 2 && s.hitCount("/feed.xml") != 1 {
				t.Errorf("announced feed fetched %d times, want once", s.hitCount("/feed.xml"))
			}
		})
	}
}

func TestIsFeedType(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"application/rss+xml", true},
		{"Application/Atom+XML", true},
		{"application/feed+json; charset=utf-8", true},
		{"text/html", false},
		{"application/json", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := isFeedType(tt.in); got != tt.want {
				t.Errorf("isFeedType(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
