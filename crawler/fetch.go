package crawler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"
)

const stateKey = "winnow.fetch"

// fetchState collects what colly's callbacks see of one request.
type fetchState struct {
	start  time.Time
	status int
	header http.Header
	body   []byte
	final  string
	html   bool
	warc   warcRef // the archive record of the last response, when archived
}

// newCollector builds the colly collector of one run. It runs
// synchronously: the crawler's own workers call Request, so there is no
// goroutine per page. Visited URLs live in the Store. robots.txt and
// per-host politeness live in the crawler: colly ignores Crawl-delay, and a
// LimitRule cannot be added once requests are running (Limit initialises
// the rule after publishing it, a data race), while hosts and their
// Crawl-delay are only known during the run. Bodies are limited by
// limitBody, after gzip decoding, which colly's MaxBodySize is not.
func (c *Crawler) newCollector(ctx context.Context) *colly.Collector {
	col := colly.NewCollector(colly.UserAgent(c.opts.UserAgent), colly.StdlibContext(ctx))
	col.IgnoreRobotsTxt = true
	col.AllowURLRevisit = true
	col.ParseHTTPErrorResponse = true
	col.MaxBodySize = 0 // limitBody enforces MaxBody on the decoded stream
	col.DetectCharset = false
	col.DisableCookies()
	col.SetRequestTimeout(c.opts.Timeout)
	tr := newTransport(c.opts.Timeout, c.opts.Parallel, c.opts.MaxBody, c.guard)
	if c.tap != nil {
		c.tap.base, tr.base = tr.base, c.tap // the tap sees bodies before they are decoded
	}
	col.WithTransport(tr)
	col.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return ErrTooManyRedirects
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s: not http or https", req.URL.Scheme)
		}
		return c.checkRedirect(req.URL, via[0].URL)
	})
	job := c.opts.Job
	col.OnRequest(func(r *colly.Request) {
		if st, ok := r.Ctx.GetAny(stateKey).(*fetchState); ok {
			st.start = time.Now()
		}
	})
	col.OnResponse(func(r *colly.Response) {
		st, ok := r.Ctx.GetAny(stateKey).(*fetchState)
		if !ok {
			return
		}
		c.m.Requests.WithLabelValues(job, statusClass(r.StatusCode)).Inc()
		c.m.RequestDuration.WithLabelValues(job).Observe(time.Since(st.start).Seconds())
		c.m.ResponseBytes.WithLabelValues(job).Add(float64(len(r.Body)))
		st.status = r.StatusCode
		st.header = r.Headers.Clone()
		if ct := st.header.Get("Content-Type"); charsetConverted(ct) {
			// colly has decoded the body to UTF-8 by the header's charset;
			// say so, or the cleaner would decode it a second time.
			st.header.Set("Content-Type", withUTF8(ct))
		}
		st.body = r.Body
		st.final = r.Request.URL.String()
		st.html = isHTML(st.header.Get("Content-Type"), r.Body)
	})
	col.OnError(func(r *colly.Response, err error) {
		st, ok := r.Ctx.GetAny(stateKey).(*fetchState)
		if !ok || st.status != 0 {
			return // an HTML parse error after a response: not a fetch error
		}
		if errors.Is(err, ErrOffScope) {
			return // a page dropped for its place, not a failed request
		}
		c.m.Requests.WithLabelValues(job, "error").Inc()
		c.m.RequestDuration.WithLabelValues(job).Observe(time.Since(st.start).Seconds())
		c.m.FetchErrors.WithLabelValues(job, Reason(err)).Inc()
	})
	return col
}

func statusClass(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "2xx"
	case code >= 300 && code < 400:
		return "3xx"
	case code >= 400 && code < 500:
		return "4xx"
	case code >= 500 && code < 600:
		return "5xx"
	}
	return "error"
}

// checkRedirect keeps redirects within the job's scope, as links are kept.
// A source (seed, sitemap, feed) that moves — http to https, bare host to
// www — takes its new host into the scope when no allow patterns set it, or
// the crawl would end at its first page. robots.txt may redirect anywhere
// (RFC 9309); the address guard still applies at dial time.
func (c *Crawler) checkRedirect(to, origin *url.URL) error {
	n, err := Normalize(to.String())
	if err != nil {
		return fmt.Errorf("redirect to %s: %w", to, err)
	}
	if origin.Path == "/robots.txt" || c.inScope(n) {
		return nil
	}
	if o, err := Normalize(origin.String()); err == nil && c.sources[o] && len(c.opts.Allow) == 0 {
		c.addHost(hostOf(n))
		if c.inScope(n) { // deny still applies
			c.log.Info("source moved to another host; following it", "from", o, "to", n)
			return nil
		}
	}
	return fmt.Errorf("redirect to %s: %w", n, ErrOffScope)
}

// fetch GETs u through the per-host gate, retrying timeouts, 408, 429 and
// 5xx with exponential backoff and jitter, honouring Retry-After.
// orig is, for a conditional request, the archive record a 304 confirms.
func (c *Crawler) fetch(ctx context.Context, col *colly.Collector, u string, hdr http.Header, orig warcRef) (*fetchState, error) {
	host := hostOf(u)
	call := c.tap.begin(orig)
	defer c.tap.end(call)
	for attempt := 0; ; attempt++ {
		if err := c.gate.acquire(ctx, host); err != nil {
			return nil, err
		}
		st := &fetchState{}
		cctx := colly.NewContext()
		cctx.Put(stateKey, st)
		h := hdr.Clone()
		if h == nil {
			h = http.Header{}
		}
		call.mark(h)
		err := col.Request(http.MethodGet, u, nil, cctx, h)
		st.warc = call.result()
		c.gate.release(host)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil && st.status != 0 {
			err = nil // HTML parse trouble after a response; the response stands
		}
		wait, retry := c.retryAfter(st, err, attempt)
		if !retry || attempt >= c.retries {
			if err != nil {
				return st, fmt.Errorf("fetch %s: %w", u, err)
			}
			return st, nil
		}
		c.log.Debug("retrying", "url", u, "attempt", attempt+1, "wait", wait, "status", st.status, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// maxRetryWait caps both the backoff and a server's Retry-After.
const maxRetryWait = 2 * time.Minute

// retryAfter says whether a result is worth retrying and after how long.
func (c *Crawler) retryAfter(st *fetchState, err error, attempt int) (time.Duration, bool) {
	switch {
	case err != nil:
		if Reason(err) != "timeout" {
			return 0, false
		}
	case st.status == http.StatusRequestTimeout, st.status == http.StatusTooManyRequests, st.status >= 500 && st.status <= 599:
	default:
		return 0, false
	}
	d := min(c.backoff<<attempt, maxRetryWait)
	wait := d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	if st.header != nil {
		if ra := parseRetryAfter(st.header.Get("Retry-After"), time.Now()); ra > wait {
			wait = min(ra, maxRetryWait)
		}
	}
	return wait, true
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// charsetConverted reports whether colly converted a body with this
// Content-Type to UTF-8 (it does when the header names another charset).
func charsetConverted(ct string) bool {
	l := strings.ToLower(ct)
	if !strings.Contains(l, "charset") || strings.Contains(l, "utf-8") || strings.Contains(l, "utf8") {
		return false
	}
	for _, t := range []string{"image/", "video/", "audio/", "font/"} {
		if strings.Contains(l, t) {
			return false
		}
	}
	return true
}

// withUTF8 replaces the charset parameter of a Content-Type with utf-8.
func withUTF8(ct string) string {
	media, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(media) + "; charset=utf-8"
}
