package crawler

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// Replay is a crawl whose pages come from an archive of earlier fetches
// (winnow reclean) instead of the network: it makes no request. Like a
// crawl, it emits the HTML pages (2xx) whose requested URL the article
// patterns match and hands the others to LinksPage. Several versions of
// one URL (from several runs) are emitted in archive order. Build it with
// NewReplay; Run it once.
type Replay struct {
	opts  Options
	pages iter.Seq2[Page, error]
	log   *slog.Logger

	fetched, emitted, pageErrs atomic.Int64
}

// NewReplay returns a Replay of pages. opts gives the job, the article
// patterns, LinksPage and Parallel (how many pages are emitted at once);
// its network settings are not used.
func NewReplay(opts Options, pages iter.Seq2[Page, error], log *slog.Logger) *Replay {
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Replay{opts: opts, pages: pages, log: log.With("component", "replay", "job", opts.Job)}
}

// Stats counts the pages read (Fetched), emitted and failed.
func (r *Replay) Stats() Stats {
	return Stats{Fetched: r.fetched.Load(), Emitted: r.emitted.Load(), PageErrors: r.pageErrs.Load()}
}

// isArticle is the crawler's test: no patterns means every page.
func (r *Replay) isArticle(u string) bool {
	if len(r.opts.Article) == 0 {
		return true
	}
	for _, re := range r.opts.Article {
		if re.MatchString(u) {
			return true
		}
	}
	return false
}

// Run reads every page and emits the articles from Parallel goroutines,
// which take the pages from one queue, so none idles while a page waits.
// The versions of one URL stay in order: a page whose URL is still being
// handled waits until that earlier version is done (the reading waits with
// it; versions of one URL are rarely close in an archive). It returns the
// first error of the archive, of emit (other than ErrPageFailed) or of ctx.
func (r *Replay) Run(ctx context.Context, emit func(context.Context, Page) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		mu       sync.Mutex
		free     = sync.NewCond(&mu)
		busy     = map[string]bool{} // URLs being handled
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }
	queue := make(chan Page, r.opts.Parallel)
	for range r.opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queue {
				if ctx.Err() == nil { // else drain
					if err := r.handle(ctx, p, emit); err != nil {
						fail(err)
					}
				}
				mu.Lock()
				delete(busy, p.URL)
				mu.Unlock()
				free.Broadcast()
			}
		}()
	}
	for p, err := range r.pages {
		if err != nil {
			fail(err)
			break
		}
		r.fetched.Add(1)
		if p.Status < 200 || p.Status > 299 || !strings.Contains(strings.ToLower(p.Header.Get("Content-Type")), "html") {
			continue
		}
		mu.Lock()
		for busy[p.URL] {
			free.Wait() // every handled page ends with a Broadcast, cancelled or not
		}
		busy[p.URL] = true
		mu.Unlock()
		select {
		case queue <- p:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(queue)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (r *Replay) handle(ctx context.Context, p Page, emit func(context.Context, Page) error) error {
	if !r.isArticle(p.URL) {
		if r.opts.LinksPage != nil {
			r.opts.LinksPage(ctx, p)
		}
		return nil
	}
	err := emit(ctx, p)
	switch {
	case err == nil:
		r.emitted.Add(1)
	case errors.Is(err, ErrPageFailed):
		r.pageErrs.Add(1)
		r.log.Warn("page failed", "url", p.URL, "err", err)
		return nil
	}
	return err
}

// OpenScratchBolt opens a bbolt state file that is thrown away after one
// use (a reclean's, when no --state is given): its commits are not synced
// to disk, which would cost two fsyncs per page for nothing.
func OpenScratchBolt(path string) (*BoltStore, error) {
	s, err := OpenBolt(path)
	if err != nil {
		return nil, err
	}
	s.db.NoSync = true
	return s, nil
}
