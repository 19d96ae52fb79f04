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
	// RecordTemplate stores url's fingerprints, replacing its earlier ones.
	RecordTemplate(ctx context.Context, host, url string, fps []uint64, article bool, at time.Time, lim crawler.TemplateLimits) error
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

// recordTemplate stores the fingerprints of a cleaned (or fingerprinted)
// page as its host's evidence.
func (r *Runner) recordTemplate(ctx context.Context, log *slog.Logger, p crawler.Page, fps []uint64, article bool) {
	if r.tpl == nil || len(fps) == 0 {
		return
	}
	u := pageURL(p)
	host := templateHost(u)
	if host == "" {
		return
	}
	at := p.FetchedAt
	if at.IsZero() {
		at = time.Now()
	}
	if err := r.tpl.RecordTemplate(ctx, host, u, fps, article, at, crawler.TemplateLimits{}); err != nil {
		log.Warn("template evidence not recorded", "url", u, "err", err)
	}
}

// learnFromLinksPage is the crawler's hook for pages read only for their
// links (sections, indexes): their blocks are the site's template evidence
// too, and they come first in a crawl.
func (r *Runner) learnFromLinksPage(log *slog.Logger) func(context.Context, crawler.Page) {
	return func(ctx context.Context, p crawler.Page) {
		fps, err := r.cleaner.Fingerprint(cleaner.Input{Body: p.Body, URL: pageURL(p), ContentType: p.Header.Get("Content-Type"), Tree: p.Tree})
		if err != nil {
			log.Debug("links page not fingerprinted", "url", p.URL, "err", err)
			return
		}
		r.recordTemplate(context.WithoutCancel(ctx), log, p, fps, false)
	}
}

// coldStart keeps the pages of a run cleaned before their host's template
// was known, to clean them again at the end of the run. Safe for
// concurrent use.
type coldStart struct {
	mu    sync.Mutex
	pages []coldPage
	bytes int
}

type coldPage struct {
	page      crawler.Page
	text      string // the body as first written
	templated int    // site_template removals the first time
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
