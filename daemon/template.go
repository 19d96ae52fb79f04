package daemon

import (
	"bytes"
	"context"
	"log/slog"
	nurl "net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
	"winnow/output"
)

// templateStore is what the Runner needs of a state store to learn each
// site's template from the pages it crawls; both state backends have it.
type templateStore interface {
	// TemplateCounts says how many of host's recorded pages other than url
	// carry each of fps.
	TemplateCounts(ctx context.Context, host, url string, fps []uint64) (crawler.TemplateCounts, error)
	// RecordTemplates stores pages' fingerprints, each replacing its URL's
	// earlier ones.
	RecordTemplates(ctx context.Context, pages []crawler.TemplatePage, lim crawler.TemplateLimits) error
}

// Cold start: a host's first articles are cleaned before its template is
// known. Those cleaned while fewer than coldArticles other articles of the
// host were known are kept (bounded) and cleaned again at the end of the
// run; a document that comes out different is rewritten (replaced).
const (
	coldArticles = 8
	coldMaxBytes = 64 << 20 // bodies held per run
)

// templateHost is the key of a page's site: its host as written, port
// included, lower-cased.
func templateHost(u string) string {
	pu, err := nurl.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(pu.Host)
}

func pageURL(p crawler.Page) string {
	if p.FinalURL != "" {
		return p.FinalURL
	}
	return p.URL
}

// storeEvidence answers the cleaner's template questions for one page from
// the store. A store error means no evidence (logged): the page is cleaned
// without its template, as on a new site.
type storeEvidence struct {
	ctx       context.Context
	ts        templateStore
	log       *slog.Logger
	host, url string
	seen      *cleaner.SiteCounts // what was answered, for the cold start
}

func (e storeEvidence) Counts(fps []uint64) cleaner.SiteCounts {
	tc, err := e.ts.TemplateCounts(e.ctx, e.host, e.url, fps)
	if err != nil {
		e.log.Warn("template evidence unavailable", "url", e.url, "err", err)
		return cleaner.SiteCounts{}
	}
	sc := cleaner.SiteCounts{Pages: tc.Pages, ArticlePages: tc.ArticlePages, Count: tc.Count, Articles: tc.Articles}
	*e.seen = sc
	return sc
}

// evidence returns the template evidence for page p (nil without a template
// store) and where the answer will be put.
func (r *Runner) evidence(ctx context.Context, log *slog.Logger, p crawler.Page) (cleaner.TemplateEvidence, *cleaner.SiteCounts) {
	if r.tpl == nil {
		return nil, nil
	}
	u := pageURL(p)
	host := templateHost(u)
	if host == "" {
		return nil, nil
	}
	// Not asked (a store error, the template switched off) reads as known:
	// such a page is not kept for the cold start.
	seen := &cleaner.SiteCounts{ArticlePages: coldArticles}
	return storeEvidence{ctx: ctx, ts: r.tpl, log: log, host: host, url: u, seen: seen}, seen
}

// templatePage is the record of a cleaned (or fingerprinted) page, or
// false when there is nothing to record.
func templatePage(p crawler.Page, fps []uint64, article bool) (crawler.TemplatePage, bool) {
	u := pageURL(p)
	host := templateHost(u)
	if host == "" || len(fps) == 0 {
		return crawler.TemplatePage{}, false
	}
	at := p.FetchedAt
	if at.IsZero() {
		at = time.Now()
	}
	return crawler.TemplatePage{Host: host, URL: u, FPs: fps, Article: article, At: at}, true
}

// Recording batches: a store write per page would cost a commit (bbolt's
// fsync, and a rewrite of the host's count pages, most of which any batch
// touches) per article, so pages are recorded in batches off the clean
// workers' path. While a host is new (a page was cleaned with fewer than
// coldArticles other articles known) its evidence is written within
// recordEveryCold, so the template is learnt from the first pages on;
// after that a batch is written every recordEvery or at recordBatch pages,
// whichever comes first: a page's evidence then waits a little longer to be
// seen by others, against a window of hundreds of pages.
const (
	recordBatch     = 256
	recordEvery     = time.Second
	recordEveryCold = 200 * time.Millisecond
)

// recordItem is one page to record; urgent says its host's template is
// still being learnt.
type recordItem struct {
	page   crawler.TemplatePage
	urgent bool
}

// templateRecorder writes the pages of one run to the store in batches
// from its own goroutine. add may be called concurrently until close;
// close flushes what is pending and returns once it is written.
type templateRecorder struct {
	ts   templateStore
	log  *slog.Logger
	in   chan recordItem
	done chan struct{}
}

func newTemplateRecorder(ts templateStore, log *slog.Logger) *templateRecorder {
	rec := &templateRecorder{ts: ts, log: log, in: make(chan recordItem, recordBatch), done: make(chan struct{})}
	go rec.loop()
	return rec
}

func (rec *templateRecorder) loop() {
	defer close(rec.done)
	tick := time.NewTicker(recordEveryCold)
	defer tick.Stop()
	var (
		batch  []crawler.TemplatePage
		urgent bool
		last   = time.Now()
	)
	flush := func() {
		last = time.Now()
		if len(batch) == 0 {
			return
		}
		// A batch is written whole even while the run is being cancelled:
		// it is a few milliseconds of work, and the evidence stays right.
		if err := rec.ts.RecordTemplates(context.Background(), batch, crawler.TemplateLimits{}); err != nil {
			rec.log.Warn("template evidence not recorded", "pages", len(batch), "err", err)
		}
		batch, urgent = batch[:0], false
	}
	for {
		select {
		case it, ok := <-rec.in:
			if !ok {
				flush()
				return
			}
			batch = append(batch, it.page)
			urgent = urgent || it.urgent
			if len(batch) >= recordBatch {
				flush()
			}
		case now := <-tick.C:
			if urgent || now.Sub(last) >= recordEvery {
				flush()
			}
		}
	}
}

// add queues one page; urgent asks for it to be written soon (its host's
// template is still being learnt). It blocks only while a batch is being
// written.
func (rec *templateRecorder) add(p crawler.Page, fps []uint64, article, urgent bool) {
	if rec == nil {
		return
	}
	if tp, ok := templatePage(p, fps, article); ok {
		rec.in <- recordItem{page: tp, urgent: urgent}
	}
}

// close writes what is pending; no add may follow.
func (rec *templateRecorder) close() {
	if rec == nil {
		return
	}
	close(rec.in)
	<-rec.done
}

// learnFromLinksPage is the crawler's hook for pages read only for their
// links (sections, indexes): their blocks are the site's template evidence
// too, and they come first in a crawl.
func (r *Runner) learnFromLinksPage(log *slog.Logger, rec *templateRecorder) func(context.Context, crawler.Page) {
	return func(ctx context.Context, p crawler.Page) {
		fps, err := r.cleaner.Fingerprint(cleaner.Input{Body: p.Body, URL: pageURL(p), ContentType: p.Header.Get("Content-Type"), Tree: p.Tree})
		if err != nil {
			log.Debug("links page not fingerprinted", "url", p.URL, "err", err)
			return
		}
		rec.add(p, fps, false, false)
	}
}

// coldStart is one run's part in learning the sites' templates: it
// records the pages' fingerprints, and keeps the pages cleaned before
// their host's template was known, to clean them again at the end of the
// run. Safe for concurrent use; nil when the store keeps no evidence.
type coldStart struct {
	rec   *templateRecorder
	mu    sync.Mutex
	pages []coldPage
	bytes int
}

type coldPage struct {
	page      crawler.Page
	text      string // the body as first written
	templated int    // site_template removals the first time
}

// record queues a cleaned page's fingerprints for the store; seen is what
// the store answered for the page (nil: not asked). A page cleaned while
// its host had fewer than coldArticles known articles is written soon.
func (c *coldStart) record(p crawler.Page, fps []uint64, article bool, seen *cleaner.SiteCounts) {
	if c != nil {
		c.rec.add(p, fps, article, seen != nil && seen.ArticlePages < coldArticles)
	}
}

// finishRecording writes the fingerprints still queued; no record may follow.
func (c *coldStart) finishRecording() {
	if c != nil {
		c.rec.close()
	}
}

// keep remembers p when its host had fewer than coldArticles other known
// articles when it was cleaned, within the run's byte bound.
func (c *coldStart) keep(p crawler.Page, seen *cleaner.SiteCounts, doc cleaner.Document, rep cleaner.Report) {
	if c == nil || seen == nil || seen.ArticlePages >= coldArticles {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(p.Body) > coldMaxBytes {
		return
	}
	c.bytes += len(p.Body)
	p.Body = bytes.Clone(p.Body)
	c.pages = append(c.pages, coldPage{page: p, text: doc.Text(), templated: rep.Counts()[cleaner.RuleSiteTemplate]})
}

// reclean cleans the kept pages again now that their hosts' templates are
// better known, and rewrites those whose text changed. It sends one
// outcome per rewritten document. The first cleaning's metrics stand; the
// removals the template adds are counted on top.
func (r *Runner) reclean(ctx context.Context, log *slog.Logger, job string, filter config.Filter, cold *coldStart, results chan<- runOutcome) {
	if cold == nil {
		return
	}
	cold.mu.Lock()
	pages := slices.Clone(cold.pages)
	cold.pages, cold.bytes = nil, 0
	cold.mu.Unlock()
	rewritten := 0
	for _, cp := range pages {
		if ctx.Err() != nil {
			return
		}
		p := cp.page
		ev, _ := r.evidence(ctx, log, p)
		doc, rep, err := r.cleaner.Clean(cleaner.Input{Body: p.Body, URL: pageURL(p), ContentType: p.Header.Get("Content-Type"), Template: ev})
		if err != nil || skipReason(filter, doc) != "" || doc.Text() == cp.text {
			continue
		}
		if n := rep.Counts()[cleaner.RuleSiteTemplate] - cp.templated; n > 0 {
			r.m.BoilerplateRemoved.WithLabelValues(cleaner.RuleSiteTemplate).Add(float64(n))
		}
		doc.FetchedAt = p.FetchedAt
		wr, err := r.sink.Write(ctx, job, doc)
		if err != nil {
			log.Error("write failed", "url", p.URL, "err", err)
			continue
		}
		if wr == output.Replaced {
			rewritten++
			select {
			case results <- runOutcome{result: "replaced"}:
			case <-ctx.Done():
				return
			}
		}
	}
	log.Info("cold start: documents cleaned again with the learnt template", "pages", len(pages), "rewritten", rewritten)
}
