package crawler

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/mmcdole/gofeed"
	"github.com/temoto/robotstxt"
)

// sitemapDoc is a <urlset> or a <sitemapindex>.
type sitemapDoc struct {
	XMLName  xml.Name
	URLs     []sitemapLoc `xml:"url"`
	Sitemaps []sitemapLoc `xml:"sitemap"`
}

type sitemapLoc struct {
	Loc string `xml:"loc"`
}

// parseSitemap returns the page URLs and child sitemaps of a sitemap body
// (already gunzipped by the transport).
func parseSitemap(body []byte) (pages, children []string, err error) {
	var doc sitemapDoc
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, fmt.Errorf("sitemap charset %q not supported", label)
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("parse sitemap: %w", err)
	}
	switch doc.XMLName.Local {
	case "urlset", "sitemapindex":
	default:
		return nil, nil, fmt.Errorf("parse sitemap: root element <%s>", doc.XMLName.Local)
	}
	for _, l := range doc.URLs {
		if s := strings.TrimSpace(l.Loc); s != "" {
			pages = append(pages, s)
		}
	}
	for _, l := range doc.Sitemaps {
		if s := strings.TrimSpace(l.Loc); s != "" {
			children = append(children, s)
		}
	}
	return pages, children, nil
}

// parseFeed returns the item links of an RSS, Atom or JSON feed.
func parseFeed(body []byte, base string) ([]string, error) {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	b, _ := url.Parse(base)
	var out []string
	for _, it := range f.Items {
		links := it.Links
		if it.Link != "" {
			links = append([]string{it.Link}, links...)
		}
		for _, l := range links {
			if u, err := url.Parse(strings.TrimSpace(l)); err == nil && l != "" {
				if b != nil {
					u = b.ResolveReference(u)
				}
				out = append(out, u.String())
				break
			}
		}
	}
	return out, nil
}

// discovered turns the URLs found in a sitemap or feed at depth into
// frontier items. Its entries are one hop further, like a page's links, and
// are followed for their own links while under MaxDepth; they are fetched
// even past it (a sitemap or feed lists what to fetch). Child sitemaps keep
// their kind and depth.
func (c *Crawler) discovered(depth int, pages, children []string) []Item {
	var out []Item
	for _, p := range pages {
		if n, err := Normalize(p); err == nil && c.inScope(n) {
			out = append(out, Item{URL: n, Depth: min(depth+1, c.opts.MaxDepth), Kind: KindPage})
		}
	}
	for _, s := range children {
		if n, err := Normalize(s); err == nil {
			out = append(out, Item{URL: n, Depth: depth, Kind: KindSitemap})
		}
	}
	return out
}

// feedTypes are the media types of <link rel="alternate"> that announce a
// feed: RSS, Atom and JSON Feed.
var feedTypes = []string{"application/rss+xml", "application/atom+xml", "application/feed+json"}

func isFeedType(t string) bool {
	media, _, _ := strings.Cut(t, ";")
	media = strings.ToLower(strings.TrimSpace(media))
	return slices.Contains(feedTypes, media)
}

// announcedFeeds turns the feeds a seed or section page at depth announces
// into frontier items read like configured feeds: their entries are one hop
// from that page, as its links are. Feeds outside the scope are left out.
func (c *Crawler) announcedFeeds(feeds []string, depth int) []Item {
	var out []Item
	for _, f := range feeds {
		if n, err := Normalize(f); err == nil && c.inScope(n) {
			out = append(out, Item{URL: n, Depth: depth, Kind: KindFeed})
		}
	}
	return out
}

// maxCrawlDelay caps a robots.txt Crawl-delay, so one line cannot stall a
// job for hours.
const maxCrawlDelay = time.Minute

// robots returns host's robots.txt, fetching it once per run, and applies
// its Crawl-delay to the host gate. A missing or unreachable file allows
// everything; a 5xx one disallows everything (robotstxt semantics).
func (c *Crawler) robots(ctx context.Context, col *colly.Collector, scheme, host string) *robotstxt.RobotsData {
	c.robotsCache.mu.Lock()
	e, ok := c.robotsCache.hosts[host]
	if !ok {
		e = &robotsEntry{}
		c.robotsCache.hosts[host] = e
	}
	c.robotsCache.mu.Unlock()
	e.once.Do(func() {
		u := scheme + "://" + host + "/robots.txt"
		st, err := c.fetch(ctx, col, u, nil, warcRef{})
		if err != nil || st == nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				c.log.Debug("robots.txt unavailable", "url", u, "err", err)
			}
			return
		}
		data, err := robotstxt.FromStatusAndBytes(st.status, st.body)
		if err != nil {
			c.log.Warn("robots.txt unreadable", "url", u, "err", err)
			return
		}
		e.data = data
		if g := data.FindGroup(c.agent); g != nil && g.CrawlDelay > 0 {
			d := g.CrawlDelay
			if d > maxCrawlDelay {
				c.log.Warn("robots.txt Crawl-delay capped", "host", host, "crawl_delay", d, "cap", maxCrawlDelay)
				d = maxCrawlDelay
			}
			c.gate.setDelay(host, d)
		}
	})
	return e.data
}

// allowedByRobots reports whether robots.txt lets the crawler fetch u.
func (c *Crawler) allowedByRobots(ctx context.Context, col *colly.Collector, u string) bool {
	if !c.opts.RespectRobots {
		return true
	}
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	if pu.Path == "/robots.txt" {
		return true
	}
	data := c.robots(ctx, col, pu.Scheme, pu.Host)
	if data == nil {
		return true
	}
	return data.TestAgent(pu.RequestURI(), c.agent)
}
