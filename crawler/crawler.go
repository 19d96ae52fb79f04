// Package crawler fetches the pages of one job politely: frontier, robots,
// sitemaps, feeds, retries, private-address refusal and incremental state.
package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/html"

	"winnow/metrics"
)

// Page is one fetched article page, handed to emit.
type Page struct {
	URL       string // the URL requested (normalised)
	FinalURL  string // the URL after redirects
	Status    int    // HTTP status; 304 means unchanged since the last run
	Header    http.Header
	Body      []byte // raw bytes as served (after gzip decoding); nil for 304
	FetchedAt time.Time
	Depth     int
	// Tree is Body parsed by Options.Parse, after its links were read: the
	// receiver may mutate it. nil for a page that is unchanged or could
	// not be parsed.
	Tree *html.Node
	// Unchanged is set for a 304 and for a body whose SHA-256 equals the
	// last run's: the page needs no cleaning and nothing is written.
	Unchanged bool

	// written receives the output id the receiver reports with Written;
	// nil for a page that did not come from a Crawler's Run.
	written *string
}

// Written tells the crawler that p was written as the document with
// output id id: the crawler stores it in the URL's record when it marks
// the URL done, in the same state write, so a written page costs one
// write of its record rather than two. Call it from emit, before it
// returns. It reports false for a page that did not come from a Crawler's
// Run (a replay, a test): the caller then stores the id itself.
func (p Page) Written(id string) bool {
	if p.written == nil {
		return false
	}
	*p.written = id
	return true
}

// ErrPageFailed, wrapped in an error returned by emit, marks a page that
// could not be processed: the crawler counts it, keeps no state for it (so
// the next run fetches it in full) and goes on with the run. Any other emit
// error ends the run.
var ErrPageFailed = errors.New("page failed")

// Options describe one crawl. The daemon maps a config job onto it;
// `winnow crawl` maps its flags. Zero values take the defaults noted.
type Options struct {
	Job           string
	Seeds         []string
	Sitemaps      []string
	Feeds         []string
	Allow         []*regexp.Regexp // empty: stay on the hosts of seeds, sitemaps and feeds
	Deny          []*regexp.Regexp
	Article       []*regexp.Regexp // pages to emit; others are only followed. Empty: every page
	MaxDepth      int
	MaxPages      int // 0: no limit
	Parallel      int // concurrent requests of the job; 0: 4
	Delay         time.Duration
	Timeout       time.Duration // per request; 0: 30s
	MaxBody       int64         // 0: 10 MiB
	UserAgent     string        // "": winnow/1.0
	RespectRobots bool
	AllowPrivate  bool
	Retries       int // retries of a fetch that timed out or got 408, 429 or 5xx; 0: none
	// NoRobotsSitemaps turns off reading the seeds' robots.txt for Sitemap: lines.
	NoRobotsSitemaps bool
	// LinksPage, when set, is called synchronously with each HTML page
	// fetched (2xx) only for its links: sections and indexes, not articles.
	// The Runner learns the site's template from their chrome. It must not
	// keep p.Body or p.Tree, nor change the tree.
	LinksPage func(ctx context.Context, p Page)
	// Parse turns an HTML body into a tree (decoding its charset), once
	// per page: the crawler reads the page's links from the tree and hands
	// it on in Page.Tree. nil: html.Parse of the bytes as they are.
	Parse func(body []byte, contentType string) (*html.Node, error)
	// Shared makes the crawl one of several working the same job's
	// frontier at once (replicas of the daemon on one Redis): items are
	// leased, politeness is cluster-wide. The store must support it.
	Shared bool
	// Join, with Shared, works a run another crawler started: no
	// BeginRun, no sources, no FinishRun; it ends when the shared
	// frontier is empty.
	Join bool
	// LeaseTTL is how long a leased item stays with this crawler without
	// a renewal (0: DefaultLeaseTTL).
	LeaseTTL time.Duration
	// Refresh ignores the validators and hashes recorded by earlier runs:
	// every article is fetched in full and emitted as changed. For an output
	// that is being rebuilt (its documents are gone, the state is not).
	Refresh bool
	// Archive, when set, is given every exchange as it crossed the wire
	// (a WARC writer); nil: nothing is archived.
	Archive Archiver
}

// Defaults of Options.
const (
	DefaultParallel  = 4
	DefaultTimeout   = 30 * time.Second
	DefaultMaxBody   = 10 << 20
	DefaultUserAgent = "winnow/1.0"
)

// Stats are the running counts of a crawl.
type Stats struct {
	Fetched     int64 // responses received (any status), robots.txt excluded
	FetchErrors int64 // fetches that got no response
	Robots      int64 // URLs robots.txt disallowed (not an error of the run)
	OffScope    int64 // URLs a redirect took outside the job's scope (not an error either)
	HTTPErrors  int64 // 4xx/5xx responses after retries
	PageErrors  int64 // pages emit reported as failed
	Emitted     int64
	Queue       int64 // items waiting in the frontier
}

// Crawler runs one crawl. Build it with New; Run it once.
type Crawler struct {
	opts    Options
	store   Store
	log     *slog.Logger
	m       *metrics.Metrics
	agent   string
	sources map[string]bool // normalised seeds, sitemaps and feeds
	hostsMu sync.RWMutex    // guards hosts, which a moved source widens
	hosts   map[string]bool // hosts of the sources: the scope when Allow is empty
	retries int

	// Test hooks, set by New to their production values.
	guard   addrGuard     // nil: connect anywhere (AllowPrivate)
	backoff time.Duration // base of the exponential backoff

	gate        politeGate
	robotsCache robotsCache
	tap         *archiveTap // nil: no archive

	shared     sharedFrontier // set with Options.Shared
	prefetched sync.Map       // seq -> prefetched, records read by Lease

	fetched, fetchErrs, robotsErrs, offScope, httpErrs, pageErrs, emitted, queue atomic.Int64
}

// New checks opts and returns a Crawler.
func New(opts Options, store Store, m *metrics.Metrics, log *slog.Logger) (*Crawler, error) {
	if opts.Job == "" {
		return nil, errors.New("crawler: job name is empty")
	}
	if store == nil {
		return nil, fmt.Errorf("crawler %s: no state store", opts.Job)
	}
	if len(opts.Seeds)+len(opts.Sitemaps)+len(opts.Feeds) == 0 {
		return nil, fmt.Errorf("crawler %s: no seeds, sitemaps or feeds", opts.Job)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = metrics.New(prometheus.NewRegistry())
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	c := &Crawler{
		opts:    opts,
		store:   store,
		log:     log.With("component", "crawler", "job", opts.Job),
		m:       m,
		agent:   agentToken(opts.UserAgent),
		sources: make(map[string]bool),
		hosts:   make(map[string]bool),
		retries: opts.Retries,
		backoff: 500 * time.Millisecond,
		gate:    newHostGate(opts.Parallel, opts.Delay),
	}
	if opts.Shared {
		sf, ok := store.(sharedFrontier)
		if !ok {
			return nil, fmt.Errorf("crawler %s: the state backend cannot share a frontier", opts.Job)
		}
		c.shared = sf
		ttl := opts.LeaseTTL
		if ttl <= 0 {
			ttl = DefaultLeaseTTL
		}
		c.gate = sf.Gate(opts.Job, opts.Parallel, opts.Delay, ttl)
	}
	c.robotsCache.hosts = make(map[string]*robotsEntry)
	if opts.Archive != nil {
		c.tap = newArchiveTap(opts.Archive, c.log, opts.Parallel)
	}
	c.retries = max(c.retries, 0)
	if !opts.AllowPrivate {
		c.guard = publicOnly
	}
	for _, list := range [][]string{opts.Seeds, opts.Sitemaps, opts.Feeds} {
		for _, s := range list {
			n, err := Normalize(s)
			if err != nil {
				return nil, fmt.Errorf("crawler %s: %w", opts.Job, err)
			}
			c.sources[n] = true
			c.hosts[hostOf(n)] = true
		}
	}
	return c, nil
}

// Stats returns the crawl's counts so far; safe to call during Run.
func (c *Crawler) Stats() Stats {
	return Stats{
		Fetched: c.fetched.Load(), FetchErrors: c.fetchErrs.Load(), Robots: c.robotsErrs.Load(), OffScope: c.offScope.Load(), HTTPErrors: c.httpErrs.Load(),
		PageErrors: c.pageErrs.Load(), Emitted: c.emitted.Load(), Queue: c.queue.Load(),
	}
}

// Run crawls until the frontier is empty, ctx is done, MaxPages pages were
// fetched, or emit returns an error other than ErrPageFailed. emit is
// called synchronously, from at most Parallel goroutines at once, for every
// article page; a URL counts as done only once emit returned nil for it.
// When Run stops early (ctx, emit error, a crash) the frontier stays in the
// store and the next Run of the same job resumes it.
func (c *Crawler) Run(ctx context.Context, emit func(context.Context, Page) error) error {
	job := c.opts.Job
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	col := c.newCollector(ctx)
	if !c.opts.Join {
		resumed, queued, err := c.store.BeginRun(ctx, job)
		if err != nil {
			return err
		}
		c.queue.Store(int64(queued))
		if resumed {
			c.log.Info("resuming unfinished run", "queued", queued)
		}
		if err := c.enqueueSources(ctx, col); err != nil {
			return err
		}
		if c.shared != nil {
			if err := c.shared.MarkSeeded(ctx, job); err != nil {
				return err
			}
		}
	}

	work := make(chan Item)
	done := make(chan finished, c.opts.Parallel)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range c.opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				err := c.handle(ctx, col, it, emit)
				if err != nil && ctx.Err() == nil {
					fail(err)
				}
				done <- finished{seq: it.Seq, acked: err == nil}
			}
		}()
	}

	var (
		complete bool
		err      error
	)
	if c.shared != nil {
		complete, err = c.dispatchLeased(ctx, c.shared, work, done)
	} else {
		complete, err = c.dispatch(ctx, work, done)
	}
	close(work)
	wg.Wait()
	c.m.QueueDepth.WithLabelValues(job).Set(float64(c.queue.Load()))
	switch {
	case firstErr != nil:
		return firstErr
	case err != nil:
		return err
	case complete && c.opts.Join:
		return nil
	case complete:
		return c.store.FinishRun(context.WithoutCancel(ctx), job)
	}
	return ctx.Err()
}

// enqueueSources puts the seeds, sitemaps (given and announced by the
// seeds' robots.txt) and feeds in the frontier. On a resumed run they are
// already in the visited set, so nothing is added twice.
func (c *Crawler) enqueueSources(ctx context.Context, col *colly.Collector) error {
	var items []Item
	for _, s := range c.opts.Seeds {
		n, _ := Normalize(s)
		items = append(items, Item{URL: n, Kind: KindPage})
	}
	for _, s := range c.opts.Sitemaps {
		n, _ := Normalize(s)
		items = append(items, Item{URL: n, Kind: KindSitemap})
	}
	for _, s := range c.opts.Feeds {
		n, _ := Normalize(s)
		items = append(items, Item{URL: n, Kind: KindFeed})
	}
	if !c.opts.NoRobotsSitemaps {
		seen := map[string]bool{}
		for _, s := range c.opts.Seeds {
			n, _ := Normalize(s)
			pu, _ := url.Parse(n)
			if seen[pu.Host] {
				continue
			}
			seen[pu.Host] = true
			if data := c.robots(ctx, col, pu.Scheme, pu.Host); data != nil {
				for _, sm := range data.Sitemaps {
					if sn, err := Normalize(sm); err == nil {
						items = append(items, Item{URL: sn, Kind: KindSitemap})
					}
				}
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	added, err := c.store.Enqueue(ctx, c.opts.Job, items)
	if err != nil {
		return err
	}
	c.addQueue(int64(added))
	return nil
}

func (c *Crawler) addQueue(n int64) {
	c.m.QueueDepth.WithLabelValues(c.opts.Job).Set(float64(c.queue.Add(n)))
}

// dispatch feeds the workers from the store's frontier in order, a batch at
// a time, so memory does not grow with the frontier. complete reports that
// the frontier was drained (or MaxPages reached) rather than interrupted.
func (c *Crawler) dispatch(ctx context.Context, work chan<- Item, done <-chan finished) (complete bool, err error) {
	const batch = 256
	var (
		buf      []Item
		cursor   uint64
		inflight int
		sent     int
		limitHit bool
	)
	for {
		if len(buf) == 0 && !limitHit {
			buf, err = c.store.Frontier(ctx, c.opts.Job, cursor, batch)
			if err != nil {
				// Workers still owe an answer for the items in flight (a
				// worker may finish one and take the next before its
				// answer is read): take them all, or a worker blocks.
				for ; inflight > 0; inflight-- {
					<-done
				}
				return false, err
			}
			if len(buf) > 0 {
				cursor = buf[len(buf)-1].Seq
			}
		}
		if len(buf) == 0 && inflight == 0 {
			return ctx.Err() == nil, nil
		}
		var (
			send chan<- Item
			next Item
		)
		if len(buf) > 0 && !limitHit {
			send, next = work, buf[0]
		}
		select {
		case send <- next:
			buf = buf[1:]
			inflight++
			sent++
			if c.opts.MaxPages > 0 && sent >= c.opts.MaxPages {
				limitHit, buf = true, nil
			}
		case <-done:
			inflight--
		case <-ctx.Done():
			for inflight > 0 {
				<-done
				inflight--
			}
			return false, nil
		}
	}
}

// handle fetches one item and records it as done. It returns an error only
// when the run must stop; the item then stays in the frontier.
func (c *Crawler) handle(ctx context.Context, col *colly.Collector, it Item, emit func(context.Context, Page) error) error {
	job := c.opts.Job
	pre, _ := c.prefetched.LoadAndDelete(it.Seq)
	var (
		links []Item
		rec   *Record
	)
	finish := func() error {
		if c.shared != nil {
			// A leased item: its acknowledgement rides along with the
			// store's next request rather than costing a round trip.
			if err := c.shared.DoneLater(job, it, rec, links); err != nil {
				return err
			}
			c.addQueue(-1) // the next lease counts the links
			return nil
		}
		added, err := c.store.Done(context.WithoutCancel(ctx), job, it, rec, links)
		if err != nil {
			return err
		}
		c.addQueue(int64(added) - 1)
		return nil
	}
	if !c.allowedByRobots(ctx, col, it.URL) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.robotsErrs.Add(1)
		c.m.FetchErrors.WithLabelValues(job, "robots").Inc()
		c.log.Debug("disallowed by robots.txt", "url", it.URL)
		return finish()
	}

	article := it.Kind == KindPage && c.isArticle(it.URL)
	var old Record
	var haveOld bool
	var orig warcRef // for a 304: the archived response it confirms
	hdr := http.Header{}
	if article {
		var err error
		if p, ok := pre.(prefetched); ok {
			old, haveOld = p.rec, p.ok
		} else if old, haveOld, err = c.store.Record(ctx, job, it.URL); err != nil {
			return err
		}
		haveOld = haveOld && !c.opts.Refresh
		if haveOld && c.conditional(it) {
			if old.ETag != "" {
				hdr.Set("If-None-Match", old.ETag)
			}
			if old.LastModified != "" {
				hdr.Set("If-Modified-Since", old.LastModified)
			}
			orig = warcRef{id: old.WARCID, date: old.WARCDate}
		}
	}

	st, err := c.fetch(ctx, col, it.URL, hdr, orig)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, ErrOffScope) {
		c.offScope.Add(1)
		c.log.Debug("redirected outside the scope", "url", it.URL, "err", err)
		return finish()
	}
	if err != nil {
		c.fetchErrs.Add(1)
		c.log.Warn("fetch failed", "url", it.URL, "reason", Reason(err), "err", err)
		return finish()
	}
	c.fetched.Add(1)
	now := time.Now().UTC()
	archived := st.warc.id != "" && st.warc.url == st.final
	if archived {
		now = st.warc.date // the archive's WARC-Date, so that a reclean writes the same fetched_at
	}

	switch {
	case st.status == http.StatusNotModified && article && haveOld:
		page := Page{URL: it.URL, FinalURL: st.final, Status: st.status, Header: st.header, FetchedAt: now, Depth: it.Depth, Unchanged: true}
		if err := c.emitPage(ctx, emit, page); err != nil {
			if !errors.Is(err, ErrPageFailed) {
				return err
			}
			return finish()
		}
		old.FetchedAt = now
		rec = &old
	case st.status < 200 || st.status > 299:
		c.httpErrs.Add(1)
		c.log.Info("http error", "url", it.URL, "status", st.status)
	case it.Kind == KindSitemap:
		pages, children, err := parseSitemap(st.body)
		if err != nil {
			c.log.Warn("bad sitemap", "url", it.URL, "err", err)
		}
		links = c.discovered(it.Depth, pages, children)
	case it.Kind == KindFeed:
		entries, err := parseFeed(st.body, st.final)
		if err != nil {
			c.log.Warn("bad feed", "url", it.URL, "err", err)
		}
		links = c.discovered(it.Depth, entries, nil)
	default:
		if !st.html {
			break
		}
		var (
			hexsum    string
			unchanged bool
		)
		if article {
			sum := sha256.Sum256(st.body)
			hexsum = hex.EncodeToString(sum[:])
			unchanged = haveOld && old.SHA256 == hexsum
		}
		// The page is parsed once, here: its links are read from the
		// tree, which then goes on to the cleaner in Page.Tree.
		var tree *html.Node
		follow := it.Depth < c.opts.MaxDepth
		if follow || (article && !unchanged) || c.opts.LinksPage != nil {
			var err error
			if tree, err = c.parse(st.body, st.header.Get("Content-Type")); err != nil {
				c.log.Debug("page not parsed", "url", it.URL, "err", err)
			}
		}
		if follow && tree != nil {
			var feeds []string
			links, feeds = c.pageItems(tree, st.final, it.Depth+1)
			if !article || c.sources[it.URL] {
				// First: a feed also linked as a page is read as a feed.
				links = append(c.announcedFeeds(feeds, it.Depth), links...)
			}
		}
		if !article {
			if tree != nil && c.opts.LinksPage != nil {
				c.opts.LinksPage(ctx, Page{URL: it.URL, FinalURL: st.final, Status: st.status, Header: st.header, Body: st.body, Tree: tree, FetchedAt: now, Depth: it.Depth})
			}
			break
		}
		outputID := old.OutputID
		page := Page{
			URL: it.URL, FinalURL: st.final, Status: st.status, Header: st.header, Body: st.body, Tree: tree,
			FetchedAt: now, Depth: it.Depth, Unchanged: unchanged, written: &outputID,
		}
		if err := c.emitPage(ctx, emit, page); err != nil {
			if !errors.Is(err, ErrPageFailed) {
				return err
			}
			return finish()
		}
		rec = &Record{ETag: st.header.Get("ETag"), LastModified: st.header.Get("Last-Modified"), SHA256: hexsum, OutputID: outputID, FetchedAt: now}
		if archived {
			rec.WARCID, rec.WARCDate = st.warc.id, st.warc.date
		}
	}
	return finish()
}

// conditional reports whether an article page already seen may be fetched
// with validators (If-None-Match, If-Modified-Since). A 304 has no body, so
// no links: a page the crawl must read links from is fetched in full (its
// unchanged text is still detected by its hash). Those are the sources, and,
// when no article patterns are set (every page is an article, sections
// included), every page above the depth limit. With article patterns,
// articles are fetched only when changed and their links are not re-read.
func (c *Crawler) conditional(it Item) bool {
	if c.sources[it.URL] {
		return false
	}
	return len(c.opts.Article) > 0 || it.Depth >= c.opts.MaxDepth
}

// emitPage calls emit and counts pages it reports as failed.
func (c *Crawler) emitPage(ctx context.Context, emit func(context.Context, Page) error, p Page) error {
	u := p.URL
	// p is not used after the call, so this frame does not keep the page's
	// tree alive while the receiver finishes with it.
	err := emit(ctx, p)
	switch {
	case err == nil:
		c.emitted.Add(1)
	case errors.Is(err, ErrPageFailed):
		c.pageErrs.Add(1)
		c.log.Warn("page failed", "url", u, "err", err)
	}
	return err
}

// pageItems returns the links of a page as frontier items at depth
// (normalised, in scope, each once, in page order) and the feeds it
// announces (resolved, not normalised).
func (c *Crawler) pageItems(doc *html.Node, pageURL string, depth int) (links []Item, feeds []string) {
	var seen map[string]bool
	eachLink(doc, pageURL, func(u *url.URL, feed bool) {
		if feed {
			feeds = append(feeds, u.String())
			return
		}
		n, host, ok := normalizeLink(u)
		if !ok || seen[n] || !c.inScopeAt(n, host) {
			return
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[n] = true
		links = append(links, Item{URL: n, Depth: depth, Kind: KindPage})
	})
	return links, feeds
}
