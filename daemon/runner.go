// Package daemon runs jobs: the Runner does one run of one job (crawl →
// clean workers → sink), the Scheduler runs jobs on their cron schedules, and
// the HTTP handlers serve metrics, health and the jobs API.
package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/sync/errgroup"

	"winnow/cleaner"
	"winnow/crawler"
	"winnow/metrics"
	"winnow/output"
)

// RunResult summarises one run of one job.
type RunResult struct {
	ID        string    `json:"id"`
	Job       string    `json:"job"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Result    string    `json:"result"` // success, partial or failed
	Fetched   int       `json:"fetched"`
	Written   int       `json:"written"`
	Replaced  int       `json:"replaced"`
	Unchanged int       `json:"unchanged"`
	Skipped   int       `json:"skipped"`
	// SkippedBy breaks Skipped down by reason (not_article, too_short,
	// language, duplicate, near_duplicate, extract_failed); unchanged documents are in
	// Unchanged.
	SkippedBy   map[string]int `json:"skipped_by,omitempty"`
	FetchErrors int            `json:"fetch_errors"`
	Disallowed  int            `json:"robots_disallowed"` // URLs robots.txt disallowed: not errors, but not fetched
	PageErrors  int            `json:"page_errors"`
	Err         string         `json:"error,omitempty"`
	// Replica is the replica that held the run, with several replicas;
	// its counts are that replica's own work (each replica's metrics
	// count its own).
	Replica string `json:"replica,omitempty"`
}

// Progress is a snapshot of a run in progress, for the live progress line.
type Progress struct {
	Fetched, Written, Skipped, Errors, Queue int
}

// Runner does one run of one job at a time per call; it is safe for
// concurrent runs of different jobs (not of the same job: they would share
// the job's frontier).
type Runner struct {
	cleaner *cleaner.Cleaner
	sink    *output.Sink
	store   crawler.Store
	m       *metrics.Metrics
	log     *slog.Logger
	workers int
	tpl     templateStore // nil: the store keeps no template evidence
	// ProgressEvery is how often Run calls its progress callback (default 1s).
	ProgressEvery time.Duration
	writer        string // host:output directory, naming this writer among replicas
}

// NewRunner returns a Runner writing through sink and keeping state in store.
func NewRunner(cl *cleaner.Cleaner, sink *output.Sink, store crawler.Store, m *metrics.Metrics, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	dir, err := filepath.Abs(sink.Dir())
	if err != nil {
		dir = sink.Dir()
	}
	r := &Runner{cleaner: cl, sink: sink, store: store, m: m, log: log, workers: max(runtime.GOMAXPROCS(0), 2), ProgressEvery: time.Second,
		writer: host + ":" + dir}
	if ts, ok := store.(templateStore); ok {
		r.tpl = ts
	}
	return r
}

// committer decides which replica writes a document, when replicas share
// a crawl (the Redis store).
type committer interface {
	Commit(ctx context.Context, job, url string, w crawler.Write) (bool, crawler.Claim, error)
	TakeOver(ctx context.Context, job, url string, w crawler.Write, from crawler.Claim) (bool, error)
}

// heldIn reads another writer's output (output.Sink.HeldIn).
type heldIn interface {
	HeldIn(dir, volume, rel string, doc cleaner.Document) (held, reachable bool, err error)
}

// writeClaims is how a replica claims its writes: through the store, as
// writer (host:output directory) on volume, reading other writers'
// outputs through out.
type writeClaims struct {
	store          committer
	out            heldIn
	writer, volume string
	// grace is how old another writer's claim must be, with its document
	// still missing from its output, for this writer to take it over: the
	// lease TTL. A replica that claimed a document renames it right after;
	// one whose claim is a lease old without the file died in between.
	grace time.Duration
	log   *slog.Logger // nil: no log
}

// withCommit makes the sink's write of doc (the page at url's document)
// commit it in the store first: when replicas share a crawl, the one that
// commits first writes the article, and another that got the page too (a
// lapsed lease) does not — unless the first died between its commit and
// its rename (see takeOver).
func withCommit(ctx context.Context, wc writeClaims, job, url string, doc cleaner.Document) context.Context {
	sum := sha256.Sum256([]byte(doc.Text()))
	w := crawler.Write{ID: output.ID(doc.CanonicalURL), SHA: hex.EncodeToString(sum[:]), Writer: wc.writer, Volume: wc.volume}
	return output.WithCommit(ctx, func(rel string) (bool, error) {
		w.Rel = rel
		ok, held, err := wc.store.Commit(ctx, job, url, w)
		if err != nil || ok {
			return ok, err
		}
		return wc.takeOver(ctx, job, url, w, doc, held)
	})
}

// takeOver decides whether this writer writes a document another writer
// claimed (held): only when that writer's output is within reach (its
// directory, as seen here, is on the volume it wrote to: a shared volume,
// or the same machine) and lacks the document although the claim is at
// least grace old — that writer died between its claim and its rename,
// and without a take-over the article would be lost. A younger claim is
// looked at again until it is grace old. A writer out of reach (another
// machine's own disk) keeps its claim: this writer cannot tell a lost
// write from a done one, and does not write twice.
func (wc writeClaims) takeOver(ctx context.Context, job, url string, w crawler.Write, doc cleaner.Document, held crawler.Claim) (bool, error) {
	_, dir, _ := strings.Cut(held.Writer, ":")
	if wc.out == nil || dir == "" {
		return false, nil
	}
	at := held.Rel
	if at == "" {
		at = w.Rel // a claim of an older version: the same layout
	}
	for {
		has, reachable, err := wc.out.HeldIn(dir, held.Volume, at, doc)
		if err != nil {
			return false, fmt.Errorf("check the write of %s by %s: %w", url, held.Writer, err)
		}
		if has || !reachable {
			return false, nil
		}
		if held.Age >= wc.grace {
			break
		}
		// A live writer renames right after its claim: look again soon.
		wait := min(wc.grace-held.Age, max(wc.grace/32, 10*time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("wait on the write of %s by %s: %w", url, held.Writer, ctx.Err())
		case <-t.C:
		}
		held.Age += wait
	}
	ok, err := wc.store.TakeOver(ctx, job, url, w, held)
	if ok && wc.log != nil {
		wc.log.Warn("writing a document another replica claimed and never wrote (it died in between)", "url", url, "claimed_by", held.Writer, "claim_age", held.Age.Round(time.Millisecond))
	}
	return ok, err
}

// pageJob is one page handed from the crawl to a clean worker; the worker
// answers on done once the page is written or skipped.
type pageJob struct {
	page crawler.Page
	done chan error // buffered: the worker never blocks on it
}

// outcome counts of one run, owned by the run's collector goroutine.
type counts struct {
	written, replaced, unchanged, skipped, pageErrors int
	skippedBy                                         map[string]int
}

// Run crawls opts.Job once, writing the cleaned documents opts.Filter
// lets through, and returns its result. progress, when not nil,
// is called now and then from a goroutine of the run, never after Run returns.
//
// Stages: the crawler's workers call emit, which hands each page to a
// bounded channel (the send selects on ctx) and waits for a clean worker to
// finish it, so a URL is marked done in the state store only after its
// document is on disk. A failure on one page is counted and logged and never
// ends the run; the run ends when the crawl does or ctx is done. On
// cancellation, fetches stop at once and the pages already handed to a
// worker are still cleaned and written (a few per worker at most).
func (r *Runner) Run(ctx context.Context, runID string, opts RunOptions, progress func(Progress)) RunResult {
	return r.run(ctx, runID, opts, progress, nil)
}

// run does one run of opts.Job over the pages newSource's source emits; nil
// means the crawler.
func (r *Runner) run(ctx context.Context, runID string, opts RunOptions, progress func(Progress), newSource func(crawler.Options) (pageSource, error)) RunResult {
	start := time.Now()
	res := RunResult{ID: runID, Job: opts.Job, Start: start}
	job := opts.Job
	log := r.log.With("component", "runner", "job", job, "run_id", runID)
	r.m.RunInProgress.WithLabelValues(job).Set(1)
	defer r.m.RunInProgress.WithLabelValues(job).Set(0)

	finish := func(result string, err error) RunResult {
		res.End = time.Now()
		res.Result = result
		if err != nil {
			res.Err = err.Error()
		}
		// A replica joining another's run counts its requests and
		// documents; the run itself is recorded once, by its holder.
		if !opts.Join {
			r.m.Runs.WithLabelValues(job, result).Inc()
			r.m.RunDuration.WithLabelValues(job).Observe(res.End.Sub(start).Seconds())
			if result == "success" {
				r.m.LastRunSuccess.WithLabelValues(job).Set(float64(res.End.Unix()))
			}
		}
		log.Info("run finished", "result", result, "fetched", res.Fetched, "written", res.Written,
			"replaced", res.Replaced, "unchanged", res.Unchanged, "skipped", res.Skipped,
			"fetch_errors", res.FetchErrors, "robots_disallowed", res.Disallowed, "page_errors", res.PageErrors,
			"duration", res.End.Sub(start).Round(time.Millisecond), "err", res.Err)
		return res
	}

	if r.sink.Documents() == 0 && !opts.Shared {
		// An empty output directory: the state may still remember articles
		// (the directory was removed, or --out is new), which would all be
		// "unchanged" and never written again. (With no state, a refresh
		// changes nothing.)
		opts.Refresh = true
	}
	// Each page is parsed once, by the cleaner's own decoding and parsing:
	// the crawler reads its links from the tree and hands it back in
	// Page.Tree for cleaning.
	opts.Parse = func(body []byte, contentType string) (*html.Node, error) {
		return r.cleaner.Parse(cleaner.Input{Body: body, ContentType: contentType})
	}
	var cold *coldStart
	if r.tpl != nil {
		cold = &coldStart{rec: newTemplateRecorder(r.tpl, log)}
		opts.Options.LinksPage = r.learnFromLinksPage(log, cold.rec)
	}
	closeArchive, err := r.openArchive(&opts, r.log.With("job", job, "run_id", runID))
	if err != nil {
		cold.finishRecording()
		return finish("failed", err)
	}
	defer closeArchive()
	if newSource == nil {
		newSource = func(o crawler.Options) (pageSource, error) {
			return crawler.New(o, r.store, r.m, r.log.With("run_id", runID)) // the crawler adds its component and job
		}
	}
	cr, err := newSource(opts.Options)
	if err != nil {
		cold.finishRecording()
		return finish("failed", err)
	}

	// One clean worker per concurrent fetch at least: a crawl worker waits
	// for its page to be written, and writing waits on fsync, not the CPU.
	workers := max(r.workers, opts.Parallel, crawler.DefaultParallel)
	results := make(chan runOutcome, workers)
	jobs := make(chan pageJob, workers)
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for pj := range jobs {
				// A page handed over is finished even when the run is
				// cancelled: it is written whole and then marked done, so a
				// shutdown loses no work and a restart does not redo it.
				// The worker keeps no copy of the page: its parsed tree
				// is garbage once cleaned, while the document is written.
				page, done := pj.page, pj.done
				o := r.process(context.WithoutCancel(gctx), log, opts, page, cold)
				done <- o.err
				results <- o // the tally reads until results is closed
			}
			return nil
		})
	}

	// The tally goroutine owns the counts; progress reads them from here.
	var c counts
	tallyDone := make(chan struct{})
	go func() {
		defer close(tallyDone)
		tick := time.NewTicker(r.ProgressEvery)
		defer tick.Stop()
		report := func() {
			if progress == nil {
				return
			}
			st := cr.Stats()
			progress(Progress{
				Fetched: int(st.Fetched), Written: c.written + c.replaced, Skipped: c.unchanged + c.skipped,
				Errors: int(st.FetchErrors + st.HTTPErrors + st.PageErrors), Queue: int(st.Queue),
			})
		}
		for {
			select {
			case o, ok := <-results:
				if !ok {
					report()
					return
				}
				o.add(&c)
			case <-tick.C:
				report()
			}
		}
	}()

	emit := func(ctx context.Context, p crawler.Page) error {
		done := make(chan error, 1)
		select {
		case jobs <- pageJob{page: p, done: done}:
		case <-ctx.Done():
			return ctx.Err()
		}
		return <-done // the worker always answers, cancelled or not
	}
	crawlErr := cr.Run(ctx, emit)
	close(jobs)
	_ = g.Wait()
	cold.finishRecording()
	if ctx.Err() == nil && crawlErr == nil {
		r.reclean(ctx, log, job, opts.Filter, cold, results)
	}
	close(results)
	<-tallyDone

	st := cr.Stats()
	res.Fetched = int(st.Fetched)
	res.FetchErrors = int(st.FetchErrors + st.HTTPErrors)
	res.Disallowed = int(st.Robots)
	res.Written, res.Replaced, res.Unchanged, res.Skipped, res.PageErrors = c.written, c.replaced, c.unchanged, c.skipped, c.pageErrors
	res.SkippedBy = c.skippedBy
	switch {
	case crawlErr != nil && !errors.Is(crawlErr, context.Canceled) && !errors.Is(crawlErr, context.DeadlineExceeded):
		return finish("failed", fmt.Errorf("crawl %s: %w", job, crawlErr))
	case st.Fetched == 0 && !opts.Join && (st.FetchErrors > 0 || st.HTTPErrors > 0 || ctx.Err() == nil):
		return finish("failed", fmt.Errorf("crawl %s: nothing could be fetched", job))
	case ctx.Err() != nil:
		return finish("partial", fmt.Errorf("crawl %s: interrupted: %w", job, ctx.Err()))
	case res.FetchErrors > 0 || res.PageErrors > 0:
		return finish("partial", nil)
	}
	return finish("success", nil)
}

// runOutcome is what one page came to.
type runOutcome struct {
	result string // written, replaced, unchanged, skipped, error
	reason string // why skipped: the reason label of winnow_documents_skipped_total
	err    error  // returned to emit: nil or wraps crawler.ErrPageFailed
}

func (o runOutcome) add(c *counts) {
	switch o.result {
	case "written":
		c.written++
	case "replaced":
		c.replaced++
	case "unchanged":
		c.unchanged++
	case "skipped":
		c.skipped++
		if c.skippedBy == nil {
			c.skippedBy = map[string]int{}
		}
		c.skippedBy[o.reason]++
	case "error":
		c.pageErrors++
	}
}

// process cleans one page and writes it unless filter keeps it out,
// recording the per-page metrics.
func (r *Runner) process(ctx context.Context, log *slog.Logger, opts RunOptions, p crawler.Page, cold *coldStart) runOutcome {
	job, filter := opts.Job, opts.Filter
	skip := func(reason string) runOutcome {
		r.m.DocumentsSkipped.WithLabelValues(job, reason).Inc()
		if reason == "unchanged" {
			return runOutcome{result: "unchanged", reason: reason}
		}
		return runOutcome{result: "skipped", reason: reason}
	}
	if p.Unchanged || p.Status == 304 {
		return skip("unchanged")
	}
	t0 := time.Now()
	ev, seen := r.evidence(ctx, log, p)
	doc, rep, err := r.cleaner.Clean(cleaner.Input{Body: p.Body, URL: p.FinalURL, ContentType: p.Header.Get("Content-Type"), Template: ev, Tree: p.Tree})
	p.Tree = nil // Clean has taken it apart
	r.m.CleanDuration.Observe(time.Since(t0).Seconds())
	cold.record(p, rep.Fingerprints, err == nil, seen)
	for rule, n := range rep.Counts() {
		r.m.BoilerplateRemoved.WithLabelValues(rule).Add(float64(n))
	}
	if err != nil {
		reason := "extract_failed"
		if errors.Is(err, cleaner.ErrNotArticle) {
			reason = "not_article"
		}
		log.Debug("page not written", "url", p.URL, "reason", reason, "err", err)
		return skip(reason)
	}
	if reason := skipReason(filter, doc); reason != "" {
		log.Debug("page not written", "url", p.URL, "reason", reason, "words", Words(doc.Text()), "lang", doc.Lang)
		return skip(reason)
	}
	if len(filter.Languages) > 0 && doc.Lang == "" {
		log.Debug("language unknown: written anyway", "url", p.URL, "languages", filter.Languages)
	}
	if reason := r.nearDuplicate(ctx, log, job, filter, doc); reason != "" {
		return skip(reason)
	}
	doc.FetchedAt = p.FetchedAt
	if cm, ok := r.store.(committer); ok && opts.Shared {
		grace := opts.LeaseTTL
		if grace <= 0 {
			grace = crawler.DefaultLeaseTTL
		}
		vol, err := r.sink.VolumeID()
		if err != nil {
			log.Error("write failed", "url", p.URL, "err", err)
			return runOutcome{result: "error", err: fmt.Errorf("write %s: %w: %w", p.URL, crawler.ErrPageFailed, err)}
		}
		ctx = withCommit(ctx, writeClaims{store: cm, out: r.sink, writer: r.writer, volume: vol, grace: grace, log: log}, job, p.URL, doc)
	}
	wr, err := r.sink.Write(ctx, job, doc)
	if err != nil {
		log.Error("write failed", "url", p.URL, "err", err)
		return runOutcome{result: "error", err: fmt.Errorf("write %s: %w: %w", p.URL, crawler.ErrPageFailed, err)}
	}
	id := output.ID(doc.CanonicalURL)
	switch wr {
	case output.Unchanged:
		// The document is on disk under id (written by an earlier run, or
		// by this one before a crash kept its record from being stored).
		p.Written(id)
		return skip("unchanged")
	case output.Duplicate:
		return skip("duplicate")
	}
	r.m.DocumentsWritten.WithLabelValues(job).Inc()
	// A crawled page's id goes into its record with the crawler's Done,
	// one state write; a page from elsewhere has its record updated here.
	if !p.Written(id) {
		if err := r.store.SetOutputID(ctx, job, p.URL, id); err != nil {
			log.Warn("state not updated", "url", p.URL, "err", err)
		}
	}
	cold.keep(p, seen, doc, rep)
	if wr == output.Replaced {
		return runOutcome{result: "replaced"}
	}
	return runOutcome{result: "written"}
}
